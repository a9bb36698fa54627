import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('before exit', () => {
  expect(fib.fibonacci(4, false)).toBe(3)
})

test('calls process.exit', () => {
  fib.fibonacci(5, false)
  process.exit(3)
})
