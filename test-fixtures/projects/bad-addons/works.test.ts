import { expect, test } from 'vitest'
import bare from '../../addons/bare/index.js'
import fib from '../../addons/fib/index.js'

test('the untraceable addon still works', () => {
  expect(bare.double(21)).toBe(42)
})

test('fib is still traced', () => {
  expect(fib.fibonacci(5, false)).toBe(5)
})
