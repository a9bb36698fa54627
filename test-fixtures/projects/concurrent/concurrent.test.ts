import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'
import { overlapping } from '../overlap.js'

const together = overlapping(2)

describe('overlapping', () => {
  test.concurrent('first', async () => {
    await together()
    await sleep(10)
    // Called from this test: its spans are this test's, though the other runs too.
    expect(fib.fibonacci(5, false)).toBe(5)
    // Made on tokio with no parent: either test could have started it.
    expect(await fib.fibonacciAsync(10)).toBe(55)
    await sleep(60)
  })

  test.concurrent('second', async () => {
    await together()
    await sleep(20)
    expect(fib.fibonacci(6, false)).toBe(8)
    expect(await fib.fibonacciAsync(12)).toBe(144)
    await sleep(60)
  })
})

test('alone afterwards', () => {
  expect(fib.fibonacci(4, false)).toBe(3)
})
