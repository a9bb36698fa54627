import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('spans of an unoptimised build', () => {
  expect(fib.fibonacci(5, false)).toBe(5)
})
