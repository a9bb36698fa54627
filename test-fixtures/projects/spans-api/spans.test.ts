import { describe, expect, test } from 'vitest'
import { napiSpans } from 'vitest-napi-tracing/test'
import fib from '../../addons/fib/index.js'
import { overlapping } from '../overlap.js'

/** One more span in the snapshot test when set: what a change to the addon would do. */
const extra = Number(process.env['EXTRA_SPANS'] ?? 0)
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('fibonacci(10): 177 spans, 2 of them ten calls deep', async () => {
  fib.fibonacci(10, false)
  const spans = await napiSpans()
  expect(spans.count('fibonacci')).toBe(177)
  // Calls per depth: 1, 2, 4, 8, 16, 32, 52, 44, 16, 2.
  expect(spans.find(Array(7).fill('fibonacci'))?.calls).toBe(52)
  expect(spans.find(Array(10).fill('fibonacci'))?.calls).toBe(2)
  expect(spans).toHaveSpan('fibonacci', { calls: 177 })
  expect(spans).not.toHaveSpan('fan_out')
})

test('spans closed on other threads are in', async () => {
  fib.fanOut(4, 5)
  const spans = await napiSpans()
  expect(spans).toHaveSpan('worker', { calls: 4, parent: 'fan_out' })
  expect(spans.count('fibonacci')).toBe(4 * 15)
})

test('events by message', async () => {
  fib.emitEvents()
  const spans = await napiSpans()
  expect(spans).toHaveEvent('a warn event')
  expect(spans).not.toHaveEvent('no such event')
  expect(spans.events(/event$/)).toHaveLength(5)
})

test('a span snapshot', async () => {
  fib.fibonacci(3, false)
  for (let i = 0; i < extra; i++) fib.recordLater(i)
  expect(await napiSpans()).toMatchSpanSnapshot()
})

test('an inline span snapshot', async () => {
  fib.fibonacci(2, false)
  expect(await napiSpans()).toMatchInlineSpanSnapshot(`
    "fib_addon::fibonacci ×1
    fib_addon::fibonacci › fibonacci ×2"
  `)
})

describe.concurrent('concurrent tests see only their own spans', () => {
  const together = overlapping(2)
  test('four', async () => {
    await together()
    fib.fibonacci(4, false)
    await delay(30)
    fib.fibonacci(4, false)
    expect((await napiSpans()).count('fibonacci')).toBe(2 * 9)
  })
  test('five', async () => {
    await together()
    fib.fibonacci(5, false)
    await delay(15)
    expect((await napiSpans()).count('fibonacci')).toBe(15)
  })
})

let attempt = 0
test('a retried test sees its current attempt only', { retry: 1 }, async () => {
  attempt++
  fib.fibonacci(attempt === 1 ? 5 : 3, false)
  expect((await napiSpans()).count('fibonacci')).toBe(attempt === 1 ? 15 : 5)
  if (attempt === 1) throw new Error('the first attempt fails on purpose')
})
