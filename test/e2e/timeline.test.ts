/**
 * One timeline: the `timeline` project with `profile` on, as installed,
 * its trace read by Chrome DevTools' trace engine. A test's JavaScript
 * function (150 ms of it) is among its thread's JavaScript calls inside the test slice,
 * beside the native spans its calls made on four threads, with arrows from
 * the call to them; the samples V8 took inside a native call are that
 * call's; the worker's heap and RSS are counter tracks; report.json and
 * the `full` and `tree` reports name the function under its test.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { ReportTest } from 'vitest-napi-tracing/plugin'
import { loadTrace, readTraceEvents, within, type Slice, type ThreadView, type TraceView } from '../support/trace-engine.js'
import { REPO, type Major } from './support/paths.js'
import { testNamed } from './support/report.js'
import { runVitest, type Pool } from './support/run-vitest.js'

/** The line countWords is declared on, as report.json and the reports give it. */
const WORDS_LINE =
  readFileSync(join(REPO, 'test-fixtures/projects/timeline/words.ts'), 'utf8')
    .split('\n')
    .findIndex((l) => l.startsWith('export function countWords')) + 1

function threadOf(trace: TraceView, slice: Slice): ThreadView {
  for (const p of trace.processes.values()) for (const t of p.threads.values()) if (t.slices.includes(slice)) return t
  throw new Error(`slice ${slice.name} is on no thread`)
}

function jsOf(t: ReportTest) {
  if (!t.js) throw new Error(`test ${t.name} has no JavaScript samples`)
  return t.js
}

describe('JavaScript samples, native spans, memory and causality in one trace', () => {
  test.each([
    [4, 'forks', 'full'],
    [4, 'threads', 'tree'],
    [5, 'forks', 'full'],
  ] as Array<[Major, Pool, 'full' | 'tree']>)('Vitest %i, pool %s, report %s', async (major, pool, mode) => {
    const run = runVitest({ project: 'timeline', major, pool, args: ['timeline.test.ts'], env: { FIXTURE_REPORT: mode } })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([])
    const trace = await loadTrace(run.tracePath)

    // The test that runs countWords, then fans out to 4 threads.
    const both = testNamed(report, 'javascript and native threads')
    const words = jsOf(both).functions.find((f) => f.name === 'countWords')
    expect(words).toMatchObject({ file: 'words.ts', line: WORDS_LINE })
    // 150 ms of it in 50 calls (a loaded machine delays V8's sampler thread: a third will do).
    expect(words!.selfMs).toBeGreaterThan(50)
    const testSlice = trace.slices.find((s) => s.cat === 'test' && s.name === 'javascript and native threads')!
    const jsThread = threadOf(trace, testSlice)
    const calls = jsThread.profileCalls.filter((c) => within(c, testSlice))
    expect(calls.some((c) => c.callFrame?.functionName === 'countWords')).toBe(true)
    // Beside it, the native spans: fan_out on this thread, the workers on four others.
    const fanOut = jsThread.slices.find((s) => s.name === 'fan_out' && within(s, testSlice))!
    expect(fanOut).toBeDefined()
    const workers = trace.slices.filter((s) => s.name === 'worker' && within(s, testSlice))
    expect(workers).toHaveLength(4)
    expect(new Set(workers.map((w) => threadOf(trace, w).tid)).size).toBe(4)
    // Arrows from the call to each worker's first slice, bound on both ends.
    const arrows = trace.flows.filter((f) => f[0]?.name === 'fan_out' && f[0].ts === fanOut.ts)
    expect(arrows.map((f) => f.map((s) => s.name))).toEqual(Array(4).fill(['fan_out', 'worker']))
    expect(arrows.map((f) => f[1]!.ts).sort()).toEqual(workers.map((w) => w.ts).sort())
    expect(arrows.every((f) => f[1]!.tid !== jsThread.tid)).toBe(true)

    // The test spent in one native call: its samples are the call's, not the test function's.
    const inNative = jsOf(testNamed(report, 'mostly inside one native call'))
    expect(inNative.nativeMs).toBeGreaterThan(100)
    expect(inNative.native.map((n) => n.name)).toContain('spin')
    expect(inNative.nativeMs).toBeGreaterThan(4 * inNative.jsMs)
    const work = jsThread.slices.find((s) => s.name === 'work')!
    const leaves = jsThread.profileCalls.filter((c) => within(c, work) && c.children.length === 0)
    expect(leaves.length).toBeGreaterThan(0)
    // Every innermost call there is a native one: `spin`, or `work` between its spins.
    const innermost = new Set(leaves.map((c) => c.callFrame?.functionName))
    expect(innermost).toContain('spin')
    expect([...innermost].filter((name) => name !== 'spin' && name !== 'work')).toEqual([])

    // Memory: a counter track per worker, the heap and the RSS, and each test's growth.
    const events = readTraceEvents(run.tracePath)
    const counters = events.filter((e) => e.ph === 'C' && e.name === 'memory')
    expect(counters.length).toBeGreaterThanOrEqual(6)
    const workerPid = [...trace.processes.values()].find((p) => p.threads.get(jsThread.tid) === jsThread)!.pid
    expect(new Set(counters.map((e) => e.pid))).toEqual(new Set([workerPid]))
    for (const c of counters) expect(c.args).toEqual({ heapUsed: expect.any(Number), rss: expect.any(Number) })
    const grew = testNamed(report, 'grows the heap').memory!
    // 40 arrays of 100,000 small integers kept alive: 16 MB at 4 bytes each (32 MB at 8).
    expect(grew.heapUsed).toBeGreaterThan(12e6)
    expect(typeof grew.rss).toBe('number')

    // One profile per worker: its head before its chunks, in the worker's JavaScript thread.
    const profileEvents = events.filter((e) => e.ph === 'P')
    expect(profileEvents[0]).toMatchObject({ name: 'Profile', cat: 'disabled-by-default-v8.cpu_profiler', tid: jsThread.tid, args: { data: { startTime: expect.any(Number) } } })
    expect(profileEvents.slice(1).every((e) => e.name === 'ProfileChunk' && e.tid === jsThread.tid)).toBe(true)

    // The printed report names the function under its test, with its self time.
    const text = run.stdout
    // The split is wrapped to the width: read it as one line.
    const block = text.slice(text.indexOf('javascript and native threads')).replace(/\n {7}(?!ƒ| )/g, ' ')
    const time = String.raw`[\d.]+ (?:s|ms|µs|ns)`
    expect(block).toMatch(new RegExp(`JavaScript thread: ${time} JS · ${time} in native calls · ${time} idle \\([\\d,]+ samples\\)`))
    expect(block).toMatch(new RegExp(`ƒ countWords\\s+words\\.ts:${WORDS_LINE}\\s+self\\s+[\\d.]+ ms`))
  })

  test('isolation off: the second file a worker runs names its functions too', () => {
    const run = runVitest({ project: 'timeline', isolate: false, args: ['--maxWorkers=1'] })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([])
    for (const name of ['javascript and native threads', 'javascript in a second file']) {
      const words = jsOf(testNamed(report, name)).functions.find((f) => f.name === 'countWords')
      expect(words, name).toMatchObject({ file: 'words.ts', line: WORDS_LINE })
      expect(words!.selfMs, name).toBeGreaterThan(50)
    }
    // One profile for the worker, whatever the files: DevTools keeps one per thread.
    const heads = readTraceEvents(run.tracePath).filter((e) => e.ph === 'P' && e.name === 'Profile')
    expect(heads).toHaveLength(1)
    expect(JSON.parse(readFileSync(run.reportPath, 'utf8')).files.map((f: { file: string }) => f.file).sort()).toEqual(['again.test.ts', 'timeline.test.ts'])
  })
})
