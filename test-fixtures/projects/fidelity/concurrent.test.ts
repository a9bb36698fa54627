import { describe, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Native work on the JavaScript thread, then on tokio while the others run, then on the JavaScript thread again. */
async function work(index: number): Promise<void> {
  fib.fibonacci(index, false)
  await delay(30)
  expect(await fib.fibonacciAsync(8)).toBe(21)
  fib.fibonacci(index, false)
  await delay(10)
}

describe.concurrent('two at once', () => {
  test('pair 5', () => work(5))
  test('pair 6', () => work(6))
})

describe.concurrent('three at once', () => {
  test('trio 4', () => work(4))
  test('trio 5', () => work(5))
  test('trio 6', () => work(6))
})

test('alone after them', () => {
  fib.fibonacci(3, false)
})
