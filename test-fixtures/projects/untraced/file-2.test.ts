import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('file 2', () => {
  expect(fib.fibonacci(4, false)).toBeGreaterThan(0)
})
