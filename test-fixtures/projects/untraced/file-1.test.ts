import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('file 1', () => {
  expect(fib.fibonacci(3, false)).toBeGreaterThan(0)
})
