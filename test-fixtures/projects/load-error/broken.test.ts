// A test file that calls the addon while it loads, then throws: Vitest
// reports the file failed, and runs none of its hooks.
import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

const warmed = fib.fibonacci(3, false)
throw new Error(`this file fails to load (after warming up to ${warmed})`)

test('never collected', () => {
  expect(warmed).toBe(2)
})
