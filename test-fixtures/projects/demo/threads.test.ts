import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('fan out to 4 threads', () => {
  expect(fib.fanOut(4, 15)).toBe(4 * 610)
})

test('AsyncTask on the libuv pool', async () => {
  expect(await fib.fibonacciTask(25)).toBe(75025)
})

test('async fn on tokio', async () => {
  expect(await fib.fibonacciAsync(20)).toBe(6765)
})

test('events at every level', () => {
  fib.emitEvents()
})
