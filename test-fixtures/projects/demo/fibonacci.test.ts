import { beforeAll, describe, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

beforeAll(() => {
  // Runs outside any test: reported under the file.
  fib.fibonacci(5, false)
})

describe('fibonacci', () => {
  test('classic recursion', () => {
    expect(fib.fibonacci(10, false)).toBe(55)
  })

  test('memoized', () => {
    expect(fib.fibonacci(30, true)).toBe(832040)
  })

  test('fields recorded later', () => {
    expect(fib.recordLater(21)).toBe(42)
  })
})
