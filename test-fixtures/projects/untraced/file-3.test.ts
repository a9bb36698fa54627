import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('file 3', () => {
  expect(fib.fibonacci(5, false)).toBeGreaterThan(0)
})
