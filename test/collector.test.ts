import { afterEach, describe, expect, test } from 'vitest'
import { SpanCollector, Tracing, collectLayer, type SliceSink } from '../src/index.js'
import { classicCalls, fib } from './support/addons.js'

class Slices implements SliceSink {
  readonly slices: Array<{ tid: number; name: string; start: number; dur: number; args: Record<string, unknown> }> = []
  readonly threads = new Map<number, string>()
  slice(tid: number, name: string, _cat: string, start: number, dur: number, args: string) {
    this.slices.push({ tid, name, start, dur, args: JSON.parse(args) as Record<string, unknown> })
  }
  instant() {}
  thread(tid: number, name: string) {
    this.threads.set(tid, name)
  }
}

let tracing: Tracing | undefined
afterEach(() => {
  tracing?.close()
  tracing = undefined
})

function start(options: { queueCapacity?: number; batchBytes?: number } = {}) {
  const sink = new Slices()
  const collector = new SpanCollector(sink)
  tracing = Tracing.start(fib, {
    filter: 'trace',
    layers: [collectLayer(collector, options.batchBytes ? { batchBytes: options.batchBytes } : {})],
    ...(options.queueCapacity ? { queueCapacity: options.queueCapacity } : {}),
  })
  return { sink, collector }
}

describe('the collector (batched, no JavaScript call per span)', () => {
  test('per-test statistics: calls, total, self, min, max', () => {
    const { sink, collector } = start()
    collector.beginTest('t1', process.hrtime.bigint())
    fib.fibonacci(8, false)
    tracing!.flush()
    const [stats] = collector.endTest('t1', process.hrtime.bigint())
    expect(stats).toMatchObject({ name: 'fibonacci', target: 'fib_addon', calls: classicCalls(8) })
    const slices = sink.slices.filter((s) => s.name === 'fibonacci')
    expect(slices).toHaveLength(classicCalls(8))
    const durations = slices.map((s) => s.dur)
    const root = Math.max(...durations)
    expect(stats!.maxNs).toBe(root)
    expect(stats!.minNs).toBe(Math.min(...durations))
    expect(stats!.totalNs).toBe(durations.reduce((a, b) => a + b, 0))
    // One thread, one root: self times add up to the root's time.
    expect(stats!.selfNs).toBe(root)
    expect(slices.every((s) => s.args['test'] === 't1')).toBe(true)
  })

  test('spans outside any test window belong to the file', () => {
    const { collector } = start()
    fib.fibonacci(3, false)
    collector.beginTest('t', process.hrtime.bigint())
    fib.fibonacci(2, false)
    tracing!.flush()
    collector.endTest('t', process.hrtime.bigint())
    expect(collector.stats('').map((s) => s.calls)).toEqual([classicCalls(3)])
    expect(collector.stats('t').map((s) => s.calls)).toEqual([classicCalls(2)])
  })

  test('a long synchronous call hands its batches over on the JavaScript thread: nothing dropped, memory bounded', () => {
    // 20 × 21,891 spans × 4 records ≈ 3.5 MB of records through a 256 KiB queue.
    const { collector } = start({ queueCapacity: 256 << 10, batchBytes: 64 << 10 })
    collector.beginTest('big', process.hrtime.bigint())
    fib.fibonacci(20, false)
    const stats = tracing!.stats()
    expect(stats.dropped).toBe(0)
    expect(collector.records).toBeGreaterThan(0)
    tracing!.flush()
    expect(collector.endTest('big', process.hrtime.bigint())[0]?.calls).toBe(classicCalls(20))
  })
})
