import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('a chain of a million spans', () => {
  expect(fib.chain(1_000_000)).toBe(1_000_000)
})

test('the test after it', () => {
  expect(fib.fibonacci(5, false)).toBe(5)
})
