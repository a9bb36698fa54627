import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

describe('overlapping', () => {
  test.concurrent('first', async () => {
    await sleep(10)
    expect(fib.fibonacci(5, false)).toBe(5)
    // Still running while the other test makes its spans.
    await sleep(60)
  })

  test.concurrent('second', async () => {
    await sleep(20)
    expect(fib.fibonacci(6, false)).toBe(8)
    await sleep(60)
  })
})

test('alone afterwards', () => {
  expect(fib.fibonacci(4, false)).toBe(3)
})
