import { beforeAll, describe, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

beforeAll(() => {
  // Outside any test: 9 spans for the file.
  fib.fibonacci(4, false)
})

describe('recursion', () => {
  test('classic', () => {
    expect(fib.fibonacci(10, false)).toBe(55)
  })

  test('no native calls', () => {
    expect(1 + 1).toBe(2)
  })

  test('fails after 5 spans', () => {
    fib.fibonacci(3, false)
    expect(fib.fibonacci(1, false)).toBe(2)
  })

  test.skip('skipped', () => {
    fib.fibonacci(20, false)
  })
})
