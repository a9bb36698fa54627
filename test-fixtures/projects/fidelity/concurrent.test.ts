import { describe, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'
import { overlapping } from '../overlap.js'

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Native work on the JavaScript thread, then on tokio while the others run, then on the JavaScript thread again. */
async function work(index: number, together: () => Promise<void>): Promise<void> {
  await together()
  fib.fibonacci(index, false)
  await delay(30)
  expect(await fib.fibonacciAsync(8)).toBe(21)
  fib.fibonacci(index, false)
  await delay(10)
}

describe.concurrent('two at once', () => {
  const together = overlapping(2)
  test('pair 5', () => work(5, together))
  test('pair 6', () => work(6, together))
})

describe.concurrent('three at once', () => {
  const together = overlapping(3)
  test('trio 4', () => work(4, together))
  test('trio 5', () => work(5, together))
  test('trio 6', () => work(6, together))
})

test('alone after them', () => {
  fib.fibonacci(3, false)
})
