// test.extend fixtures, as Vitest recommends for per-test resources: some
// call the addon in their setup and teardown, one does not, and concurrent
// tests use them too.
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, onTestFinished, test as base } from 'vitest'
import fib from '../../addons/fib/index.js'
import { overlapping } from '../overlap.js'

interface Fixtures {
  /** Warms the addon up (fibonacci(5): 15 spans), hands fibonacci(3) (5 spans) over, cools down (fibonacci(2): 3 spans). */
  warmed: number
  /** No addon call at all. */
  answer: number
}

const test = base.extend<Fixtures>({
  warmed: async ({}, use) => {
    fib.fibonacci(5, false)
    await use(fib.fibonacci(3, false))
    fib.fibonacci(2, false)
  },
  answer: async ({}, use) => {
    await use(42)
  },
})

test('a fixture that calls no addon', ({ answer }) => {
  expect(answer).toBe(42)
})

test('a fixture whose setup and teardown call the addon', ({ warmed }) => {
  expect(warmed).toBe(2)
  expect(fib.fibonacci(4, false)).toBe(3)
})

test('both fixtures, and a span made in onTestFinished', ({ warmed, answer }) => {
  expect(warmed + answer).toBe(44)
  onTestFinished(() => {
    fib.fibonacci(1, false)
  })
})

const together = overlapping(3)

describe.concurrent('concurrent tests with fixtures', () => {
  test('first', async ({ warmed }) => {
    await together()
    expect(warmed).toBe(2)
    expect(fib.fibonacci(6, false)).toBe(8)
    await sleep(30)
  })

  test('second', async ({ warmed, answer }) => {
    await together()
    expect(warmed + answer).toBe(44)
    expect(fib.fibonacci(7, false)).toBe(13)
    await sleep(30)
  })

  test('third', async ({ answer }) => {
    await together()
    expect(answer).toBe(42)
    await sleep(30)
  })
})
