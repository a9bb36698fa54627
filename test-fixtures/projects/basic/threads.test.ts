import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('fan out', () => {
  expect(fib.fanOut(4, 6)).toBe(4 * 8)
})

test('async task', async () => {
  expect(await fib.fibonacciTask(12)).toBe(144)
})
