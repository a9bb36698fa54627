import { expect, test } from 'vitest'
import fib from '../million/fib.js'

// 1,250 trivial tests, one span each: what the plugin costs per test.
for (let n = 0; n < 1250; n++) {
  test(`test 1.${n}`, () => {
    expect(fib.fibonacci(0, false)).toBe(0)
  })
}
