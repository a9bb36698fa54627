import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { asTracingAddon } from '../src/native.js'
import { spansByName } from '../plugin/data/stats.js'
import { collectLayer, CollectSession } from '../plugin/worker/collect-layer.js'
import { SpanCollector } from '../plugin/worker/collector.js'
import type { FlushedSums } from '../plugin/worker/sums.js'
import { fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'

let session: CollectSession | undefined
afterEach(() => {
  session?.close()
  session = undefined
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

/**
 * A collect session of the fib addon and its collector, driven as a worker
 * drives them: `flush` takes the sums into the collector (as the worker's
 * checkpoints do), `beginTest` and `endTest` flush at a test's edges.
 */
function start(options: { queueCapacity?: number } = {}) {
  const trace = join(mkdtempSync(join(tmpdir(), 'napi-tracing-collect-')), 'native.trace.jsonl')
  const started = CollectSession.start(asTracingAddon(fib), collectLayer({ trace, pid: 4242 }), { filter: 'trace', queueCapacity: options.queueCapacity })
  session = started
  const collector = new SpanCollector((path) => started.reader.steps(path))
  /** Each flush's sums, as the addon returned them. */
  const flushed: FlushedSums[] = []
  const flush = (wait: boolean): number => {
    const { epoch, sums } = started.flush(wait)
    flushed.push(sums)
    collector.add(sums)
    return epoch
  }
  const lines = () =>
    readFileSync(trace, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l.replace(/,$/, '')) as Line)
  return {
    collector,
    lines,
    flushed,
    flush: () => void flush(true),
    beginTest: (id: string) => collector.beginTest(id, flush(false)),
    endTest: (id: string) => collector.endTest(id, flush(false)),
  }
}

describe('the collect layer (timing, trace and sums in Rust, attribution in TypeScript)', () => {
  test('per-test statistics match the slices the addon wrote: calls, total, self, min, max', () => {
    const { collector, lines, flush, beginTest, endTest } = start()
    beginTest('t1')
    fib.fibonacci(8, false)
    flush()
    endTest('t1')
    const [stats] = spansByName(collector.tree('t1'))
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
    // The thread is named once, in the file that writes on it.
    expect(lines().filter((l) => l.ph === 'M')).toEqual([expect.objectContaining({ name: 'thread_name', pid: 4242, tid: rootSlice.tid })])
  })

  test('spans outside any test window belong to the file', () => {
    const { collector, flush, beginTest, endTest } = start()
    fib.fibonacci(3, false)
    beginTest('t')
    fib.fibonacci(2, false)
    flush()
    endTest('t')
    expect(spansByName(collector.tree('')).map((s) => s.calls)).toEqual([classicCalls(3)])
    expect(spansByName(collector.tree('t')).map((s) => s.calls)).toEqual([classicCalls(2)])
  })

  test('sums, not spans, reach JavaScript: a long call through a tiny queue loses nothing', () => {
    // 21,891 spans; a 4 KiB queue would hold about a hundred per-span records.
    const { collector, flushed, beginTest, endTest } = start({ queueCapacity: 4 << 10 })
    beginTest('big')
    fib.fibonacci(20, false)
    // No JavaScript ran during the call: nothing is summed here yet.
    expect(collector.spans).toBe(0)
    endTest('big')
    const [stats] = spansByName(collector.tree('big'))
    expect(stats?.calls).toBe(classicCalls(20))
    expect(collector.spans).toBe(classicCalls(20))
    // Records grow with paths, not spans: per recursion depth (20 paths) one
    // summing it.
    expect(flushed.flatMap((f) => f.spans)).toHaveLength(20)
    expect(session!.stats()).toMatchObject({ dropped: 0 })
  })

  test('flushes during a test split its sums, not its statistics', () => {
    const { collector, flushed, flush, beginTest, endTest } = start()
    beginTest('t')
    fib.fibonacci(5, false)
    flush()
    fib.fibonacci(7, false)
    flush()
    fib.fibonacci(6, false)
    endTest('t')
    const [stats] = spansByName(collector.tree('t'))
    expect(stats?.calls).toBe(classicCalls(5) + classicCalls(7) + classicCalls(6))
    // Per flush a sum per recursion depth (5, 7, 6).
    expect(flushed.flatMap((f) => f.spans)).toHaveLength(5 + 7 + 6)
    expect(spansByName(collector.tree(''))).toEqual([])
  })

  test('a span still open at the end of its test is counted against that test', () => {
    const { collector, beginTest, endTest } = start()
    beginTest('t')
    fib.fibonacci(4, false)
    fib.leakSpan()
    endTest('t')
    beginTest('next')
    const open = fib.napiTracingOpenSpans()
    expect(open).toEqual([expect.objectContaining({ count: 1, caller: 0 })])
    expect(collector.openOf('t', open)).toBe(1)
    expect(collector.openOf('next', open)).toBe(0)
  })
})

describe('call trees: spans summed by path in Rust, per test', () => {
  /** Spans of `fibonacci(index, false)` at each depth of its recursion (depth 0: the call itself). */
  function perDepth(index: number, depth = 0, into: number[] = []): number[] {
    into[depth] = (into[depth] ?? 0) + 1
    if (index >= 2) {
      perDepth(index - 1, depth + 1, into)
      perDepth(index - 2, depth + 1, into)
    }
    return into
  }

  test('fibonacci(10, false): 177 spans, one path per depth, exact counts per depth', () => {
    const { collector, beginTest, endTest } = start()
    beginTest('t')
    fib.fibonacci(10, false)
    endTest('t')
    const tree = collector.tree('t')
    const depths = perDepth(10)
    expect(depths.reduce((a, b) => a + b, 0)).toBe(177)
    expect(tree.map((p) => [p.path.length, p.calls]).sort((a, b) => a[0]! - b[0]!)).toEqual(depths.map((n, d) => [d + 1, n]))
    expect(tree.every((p) => p.path.every(([target, name]) => target === 'fib_addon' && name === 'fibonacci'))).toBe(true)
    // Self times add up to the root's total on one thread.
    const root = tree.find((p) => p.path.length === 1)!
    expect(tree.reduce((n, p) => n + p.selfNs, 0)).toBe(root.totalNs)
  })

  test('fanned out to 4 threads: the tree follows the parent links across threads', () => {
    const { collector, beginTest, endTest } = start()
    beginTest('t')
    fib.fanOut(4, 6)
    endTest('t')
    const byPath = new Map(collector.tree('t').map((p) => [p.path.map(([, name]) => name).join(' › '), p.calls]))
    expect(byPath.get('fan_out')).toBe(1)
    expect(byPath.get('fan_out › worker')).toBe(4)
    expect(byPath.get('fan_out › worker › fibonacci')).toBe(4)
    const recursion = perDepth(6)
    recursion.forEach((n, depth) => {
      expect(byPath.get(['fan_out', 'worker', ...Array(depth + 1).fill('fibonacci')].join(' › '))).toBe(4 * n)
    })
  })

  test('events are counted per test by message and level', () => {
    const { collector, beginTest, endTest } = start()
    beginTest('t')
    fib.emitEvents()
    fib.emitEvents()
    endTest('t')
    const events = Object.fromEntries(collector.events('t').map((e) => [e.message, [e.level, e.count]]))
    expect(events).toEqual({
      'a trace event': ['TRACE', 2],
      'a debug event': ['DEBUG', 2],
      'an info event': ['INFO', 2],
      'a warn event': ['WARN', 2],
      'an error event': ['ERROR', 2],
    })
  })
})
