import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { SpanCollector, Tracing, collectLayer } from '../src/index.js'
import { classicCalls, fib } from './support/addons.js'

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

function start(options: { queueCapacity?: number; batchBytes?: number } = {}) {
  const trace = join(mkdtempSync(join(tmpdir(), 'napi-tracing-collect-')), 'native.trace.jsonl')
  const collector = new SpanCollector()
  tracing = Tracing.start(fib, {
    filter: 'trace',
    layers: [collectLayer(collector, { trace, pid: 4242, ...(options.batchBytes ? { batchBytes: options.batchBytes } : {}) })],
    ...(options.queueCapacity ? { queueCapacity: options.queueCapacity } : {}),
  })
  const lines = () =>
    readFileSync(trace, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line)
  return { collector, lines }
}

describe('the collect layer (timing and trace in Rust, statistics in TypeScript, batched)', () => {
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
    expect(lines().some((l) => l.ph === 'M' && l.tid === rootSlice.tid)).toBe(true)
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
    // 21,891 spans × 2 records through a 64 KiB queue.
    const { collector } = start({ queueCapacity: 64 << 10, batchBytes: 16 << 10 })
    collector.beginTest('big', process.hrtime.bigint())
    fib.fibonacci(20, false)
    expect(tracing!.stats().dropped).toBe(0)
    expect(collector.records).toBeGreaterThan(0)
    tracing!.flush()
    expect(collector.endTest('big', process.hrtime.bigint())[0]?.calls).toBe(classicCalls(20))
  })
})
