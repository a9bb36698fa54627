import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('runs in a worker', () => {
  expect(fib.fibonacci(6, false)).toBe(8)
})
