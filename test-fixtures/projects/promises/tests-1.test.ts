import { expect, test } from 'vitest'
import fib from '../million/fib.js'

// 500 tests of one span and 200 awaited promises each.
for (let n = 0; n < 500; n++) {
  test(`test 1.${n}`, async () => {
    let sum = 0
    for (let k = 0; k < 200; k++) sum += await Promise.resolve(k)
    expect(sum).toBe(19_900)
    expect(fib.fibonacci(0, false)).toBe(0)
  })
}
