import { afterEach, describe, expect, test } from 'vitest'
import { setImmediate as tick } from 'node:timers/promises'
import { Tracing, callbackLayer } from '../src/index.js'
import { fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'
import { RecordingLayer } from './support/recording-layer.js'

let tracing: Tracing | undefined
afterEach(() => tracing?.close())

function start(options: { queueCapacity?: number } = {}) {
  const layer = new RecordingLayer()
  tracing = Tracing.start(fib, { filter: 'trace', layers: [callbackLayer(layer)], ...options })
  return layer
}

/** Lets the event loop run until `done()` holds, or fails after `ms`. */
async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting for records')
    await tick()
  }
}

describe('spans from other threads', () => {
  test('work fanned out to 4 threads: 4 worker spans on 4 distinct threads, each with its own recursion', () => {
    const layer = start()
    expect(fib.fanOut(4, 6)).toBe(4 * 8)
    const [root] = layer.named('fan_out')
    const workers = layer.named('worker')
    expect(workers).toHaveLength(4)
    expect(workers.every((w) => w.parent === root?.id)).toBe(true)
    const threads = new Set(workers.map((w) => w.threadId))
    expect(threads.size).toBe(4)
    expect(threads.has(root!.threadId)).toBe(false)
    expect(workers.map((w) => w.threadName).sort()).toEqual(['fib-worker-0', 'fib-worker-1', 'fib-worker-2', 'fib-worker-3'])
    for (const worker of workers) {
      // Every fibonacci span of this worker's recursion runs on its thread.
      const mine = layer.named('fibonacci').filter((s) => s.threadId === worker.threadId)
      expect(mine).toHaveLength(classicCalls(6))
      expect(mine.filter((s) => s.parent === worker.id)).toHaveLength(1)
    }
  })

  test('off-thread callbacks arrive in order for every span', () => {
    const layer = start()
    fib.fanOut(4, 8)
    tracing!.flush()
    const ids = [...layer.spans.keys()]
    expect(ids.length).toBe(1 + 4 + 4 * classicCalls(8))
    for (const id of ids) {
      expect(layer.history(id), `span ${id}`).toEqual(['onNewSpan', 'onEnter', 'onExit', 'onClose'])
    }
    // Per span, timestamps follow the callbacks' order.
    for (const id of ids) {
      const stamps = layer.calls.flatMap((c) => (c.method !== 'onEvent' && c.span.id === id ? [c.span.timestamp] : []))
      expect([...stamps].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(stamps)
    }
  })

  test('an AsyncTask on the libuv pool reports its spans without a flush', async () => {
    const layer = start()
    expect(await fib.fibonacciTask(15)).toBe(610)
    await until(() => layer.named('compute').length === 1 && layer.history(layer.named('fibonacci_task')[0]!.id).includes('onClose'))
    const [task] = layer.named('fibonacci_task')
    const [compute] = layer.named('compute')
    expect(compute?.parent).toBe(task?.id)
    expect(compute?.threadId).not.toBe(task?.threadId)
    // The memoized recursion ran under compute, on the pool thread.
    const memo = layer.named('fibonacci_memoized').filter((s) => s.threadId === compute?.threadId)
    expect(memo.length).toBeGreaterThan(0)
  })

  test('a #[napi] async fn on tokio reports its spans', async () => {
    const layer = start()
    expect(await fib.fibonacciAsync(12)).toBe(144)
    await until(() => layer.named('fibonacci_async').some((s) => layer.history(s.id).includes('onClose')))
    const [span] = layer.named('fibonacci_async')
    expect(span?.fields).toEqual({ index: 12 })
    expect(layer.history(span!.id)[0]).toBe('onNewSpan')
    expect(layer.history(span!.id).at(-1)).toBe('onClose')
  })

  test('threads that outlive the call deliver later, each thread its own ticks', async () => {
    const layer = start()
    fib.spawnBackground(2, 100)
    // Ticks from both threads, arriving after the call returned.
    const perThread = () => {
      const counts = new Map<number, number>()
      for (const t of layer.named('tick')) counts.set(t.threadId, (counts.get(t.threadId) ?? 0) + 1)
      return counts
    }
    await until(() => [...perThread().values()].filter((n) => n >= 5).length >= 2)
    expect(perThread().size).toBe(2)
  })

  test('a full queue drops and counts records instead of blocking or growing', () => {
    const layer = start({ queueCapacity: 64 * 1024 })
    // 4 threads × 5000 spans × (new, enter, exit, close) while this thread waits in join().
    fib.burst(4, 5000)
    const stats = tracing!.close()
    const produced = 4 * 5000 * 4 + 4 // plus the burst span's own 4 records
    expect(stats.dropped).toBeGreaterThan(0)
    expect(stats.delivered + stats.dropped).toBe(produced)
    expect(layer.calls).toHaveLength(stats.delivered)
    // A span whose first record was dropped is dropped whole: no headless callbacks.
    const later = layer.calls.filter((call) => call.method !== 'onEvent' && call.method !== 'onNewSpan')
    expect(later.length).toBeGreaterThan(0)
    expect(later.filter((call) => !layer.spans.has(call.span.id))).toEqual([])
  })
})
