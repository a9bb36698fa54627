import { describe, expect, test } from 'vitest'
import { Worker } from 'node:worker_threads'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { Tracing, callbackLayer } from '../src/index.js'
import { fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'
import { RecordingLayer } from './support/recording-layer.js'

const WORKER = new URL('./support/traced-worker.mjs', import.meta.url)

interface WorkerSpan {
  name: string
  index?: number
  threadId: number
  parent?: number
  id: number
}
interface WorkerResult {
  threadId: number
  spans: WorkerSpan[]
  stats: { dropped: number }
}

async function runWorker(index: number): Promise<WorkerResult> {
  const worker = new Worker(WORKER, { workerData: { mode: 'work', index } })
  // Listened for at once: a worker that posts and ends has its last message
  // and its 'exit' emitted in one go, before an `await` could add a listener.
  const exited = once(worker, 'exit')
  const [result] = (await once(worker, 'message')) as [WorkerResult]
  await exited
  return result
}

describe('worker_threads: one addon, one layer per thread', () => {
  test('each layer gets exactly the spans of its own thread and their descendants', async () => {
    const main = new RecordingLayer()
    using _tracing = Tracing.start(fib, { filter: 'trace', layers: [callbackLayer(main)] })

    const workers = Promise.all([runWorker(7), runWorker(9)])
    // The main thread works at the same time, with its own numbers.
    for (let i = 0; i < 20; i++) {
      fib.fibonacci(5, false)
      await sleep(1)
    }
    const [seven, nine] = await workers

    // Main: 20 × fibonacci(5) and nothing else.
    expect(main.named('fibonacci')).toHaveLength(20 * classicCalls(5))
    expect(main.spans.size).toBe(20 * classicCalls(5))
    expect(main.named('fibonacci').every((s) => Number(s.fields['index']) <= 5)).toBe(true)

    for (const [result, index] of [[seven, 7], [nine, 9]] as const) {
      // fibonacci(index) on the worker's thread, then fan_out(2, index):
      // 1 fan_out + 2 worker spans + 2 more recursions.
      const fibs = result.spans.filter((s) => s.name === 'fibonacci')
      expect(fibs).toHaveLength(3 * classicCalls(index))
      expect(result.spans.filter((s) => s.name === 'fan_out')).toHaveLength(1)
      expect(result.spans.filter((s) => s.name === 'worker')).toHaveLength(2)
      expect(result.spans).toHaveLength(3 * classicCalls(index) + 3)
      expect(Math.max(...fibs.map((s) => s.index ?? 0))).toBe(index)
      expect(result.stats.dropped).toBe(0)
    }
    // No span id is seen by two layers.
    const ids = [...main.spans.keys(), ...seven.spans.map((s) => s.id), ...nine.spans.map((s) => s.id)]
    expect(new Set(ids).size).toBe(ids.length)
  })

  test('terminating a worker mid-stream neither crashes nor leaks into the others', async () => {
    const main = new RecordingLayer()
    using tracing = Tracing.start(fib, { filter: 'trace', layers: [callbackLayer(main)] })
    const worker = new Worker(WORKER, { workerData: { mode: 'busy' } })
    // The worker's own layer receives its background threads' spans...
    let ticks = 0
    worker.on('message', (m: { ticks: number }) => (ticks = m.ticks))
    const end = Date.now() + 10_000
    while (ticks === 0 && Date.now() < end) await sleep(10)
    expect(ticks).toBeGreaterThan(0)
    await worker.terminate()
    // The worker's background threads keep making spans for seconds; none may reach us.
    // Counted by the addon itself: proof that they did make spans after the worker was gone.
    const afterTerminate = fib.backgroundTicks()
    let calls = 0
    const until = Date.now() + 10_000
    while (fib.backgroundTicks() < afterTerminate + 100 && Date.now() < until) {
      fib.fibonacci(4, false)
      calls++
      await sleep(5)
    }
    expect(fib.backgroundTicks()).toBeGreaterThanOrEqual(afterTerminate + 100)
    tracing.flush()
    expect(main.named('tick')).toHaveLength(0)
    expect(main.named('background')).toHaveLength(0)
    expect(main.named('fibonacci')).toHaveLength(calls * classicCalls(4))
    expect(main.spans.size).toBe(calls * classicCalls(4))
  })
})
