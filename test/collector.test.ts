import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { SpanCollector, Tracing, collectLayer } from '../src/index.js'
import { fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'

let tracing: Tracing | undefined
afterEach(() => {
  tracing?.close()
  tracing = undefined
})

interface Line {
  ph: string
  name: string
  tid: number
  pid: number
  ts: number
  dur: number
  args: Record<string, unknown>
}

function start(options: { queueCapacity?: number } = {}) {
  const trace = join(mkdtempSync(join(tmpdir(), 'napi-tracing-collect-')), 'native.trace.jsonl')
  const collector = new SpanCollector()
  tracing = Tracing.start(fib, {
    filter: 'trace',
    layers: [collectLayer(collector, { trace, pid: 4242 })],
    ...(options.queueCapacity ? { queueCapacity: options.queueCapacity } : {}),
  })
  const lines = () =>
    readFileSync(trace, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l.replace(/,$/, '')) as Line)
  return { collector, lines }
}

describe('the collect layer (timing, trace and sums in Rust, attribution in TypeScript)', () => {
  test('per-test statistics match the slices the addon wrote: calls, total, self, min, max', () => {
    const { collector, lines } = start()
    collector.beginTest('t1', process.hrtime.bigint())
    fib.fibonacci(8, false)
    tracing!.flush()
    const [stats] = collector.endTest('t1', process.hrtime.bigint())
    expect(stats).toMatchObject({ name: 'fibonacci', target: 'fib_addon', calls: classicCalls(8) })
    const slices = lines().filter((l) => l.ph === 'X' && l.name === 'fibonacci')
    expect(slices).toHaveLength(classicCalls(8))
    expect(slices.every((s) => s.pid === 4242 && s.args['index'] !== undefined)).toBe(true)
    // The trace has µs with ns precision; the statistics are ns.
    const durations = slices.map((s) => Math.round(s.dur * 1000))
    const root = Math.max(...durations)
    expect(stats!.maxNs).toBe(root)
    expect(stats!.minNs).toBe(Math.min(...durations))
    expect(stats!.totalNs).toBe(durations.reduce((a, b) => a + b, 0))
    // One thread, one root: self times add up to the root's time.
    expect(stats!.selfNs).toBe(root)
    // Nested slices lie within their parent on the same thread.
    const rootSlice = slices.find((s) => Math.round(s.dur * 1000) === root)!
    for (const s of slices) {
      expect(s.tid).toBe(rootSlice.tid)
      expect(s.ts).toBeGreaterThanOrEqual(rootSlice.ts)
      expect(s.ts + s.dur).toBeLessThanOrEqual(rootSlice.ts + rootSlice.dur + 0.001)
    }
    // The thread is named once, through the worker (which writes the trace's names), not in the file.
    expect(lines().some((l) => l.ph === 'M')).toBe(false)
    expect(collector.takeTracks()).toEqual([{ track: rootSlice.tid, name: expect.any(String) }])
    expect(collector.takeTracks()).toEqual([])
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

  test('sums, not spans, reach JavaScript: a long call through a tiny queue loses nothing', () => {
    // 21,891 spans; a 4 KiB queue would hold about a hundred per-span records.
    const { collector } = start({ queueCapacity: 4 << 10 })
    collector.beginTest('big', process.hrtime.bigint())
    fib.fibonacci(20, false)
    // No JavaScript ran during the call: nothing is summed here yet.
    expect(collector.spans).toBe(0)
    const [stats] = collector.endTest('big', process.hrtime.bigint())
    expect(stats?.calls).toBe(classicCalls(20))
    expect(collector.spans).toBe(classicCalls(20))
    // One callsite, one anchor: one record, and one naming the thread's track.
    expect(tracing!.stats()).toMatchObject({ delivered: 2, dropped: 0 })
  })

  test('flushes during a test split its sums, not its statistics', () => {
    const { collector } = start()
    collector.beginTest('t', process.hrtime.bigint())
    fib.fibonacci(5, false)
    tracing!.flush()
    fib.fibonacci(7, false)
    tracing!.flush()
    fib.fibonacci(6, false)
    const [stats] = collector.endTest('t', process.hrtime.bigint())
    expect(stats?.calls).toBe(classicCalls(5) + classicCalls(7) + classicCalls(6))
    // Three sums, and the thread's track named at the first.
    expect(tracing!.stats().delivered).toBe(4)
    expect(collector.stats('')).toEqual([])
  })

  test('a span still open at the end of its test is counted against that test', () => {
    const { collector } = start()
    collector.beginTest('t', process.hrtime.bigint())
    fib.fibonacci(4, false)
    fib.leakSpan()
    collector.endTest('t', process.hrtime.bigint())
    collector.beginTest('next', process.hrtime.bigint())
    const open = fib.napiTracingOpenSpans()
    expect(open).toEqual([expect.objectContaining({ count: 1, caller: 0 })])
    expect(collector.openOf('t', open)).toBe(1)
    expect(collector.openOf('next', open)).toBe(0)
  })
})
