import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

const warmed = fib.fibonacci(2, false)

test('runs', () => {
  expect(warmed + fib.fibonacci(4, false)).toBe(4)
})
