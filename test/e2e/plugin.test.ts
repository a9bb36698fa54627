/**
 * The plugin end to end, as installed: real Vitest child processes on the
 * `basic` fixture project with the packed package in node_modules, in every
 * pool, isolation on and off, Vitest 3.2, 4 and 5, checked through report.json
 * and the trace as Chrome DevTools' trace engine reads it.
 */
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, inject, test } from 'vitest'
import type { ReportSpan, ReportTest, SpanReport } from 'vitest-napi-tracing/plugin'
import { classicCalls } from '../support/counts.js'
import type { Major } from './support/paths.js'
import { calls, placed, testNamed } from './support/report.js'
import { installedEnv, runVitest, type Pool, type RunResult } from './support/run-vitest.js'
import { loadTrace, readTraceEvents, slicePath, type Slice, type TraceView } from '../support/trace-engine.js'

function span(t: ReportTest, name: string): ReportSpan | undefined {
  return t.spans.find((s) => s.name === name)
}

/** What every run of the basic project must show, whatever the pool. */
async function checkBasicRun(run: RunResult): Promise<void> {
  // One test fails on purpose: the run's outcome is Vitest's own.
  expect(run.exitCode, run.stdout + run.stderr).toBe(1)
  expect(run.stdout).toMatch(/Tests\s+1 failed \| 5 passed \| 1 skipped/)
  const report = run.report()
  expect(report.version).toBe(2)
  expect(report.problems).toEqual([])
  expect(report.droppedRecords).toBe(0)

  const classic = testNamed(report, 'recursion > classic')
  expect(classic).toMatchObject({ file: 'counts.test.ts', state: 'passed' })
  expect(classic.spans.map((s) => [s.name, s.calls])).toEqual([['fibonacci', classicCalls(10)]])
  // All on one thread: the self times add up to the outermost call.
  const fibSpan = span(classic, 'fibonacci')!
  expect(fibSpan.selfMs).toBeCloseTo(fibSpan.maxMs, 2)
  expect(fibSpan.meanMs).toBeCloseTo(fibSpan.totalMs / fibSpan.calls, 3)
  expect(fibSpan.minMs).toBeLessThanOrEqual(fibSpan.meanMs)

  expect(testNamed(report, 'recursion > no native calls').spans).toEqual([])
  const failing = testNamed(report, 'recursion > fails after 5 spans')
  expect(failing.state).toBe('failed')
  expect(failing.spans.map((s) => [s.name, s.calls])).toEqual([['fibonacci', classicCalls(3) + 1]])
  const skipped = testNamed(report, 'recursion > skipped')
  expect(skipped).toMatchObject({ state: 'skipped', spans: [] })
  // beforeAll ran outside any test: the file's bucket.
  expect(report.files.find((f) => f.file === 'counts.test.ts')?.spans.map((s) => [s.name, s.calls])).toEqual([
    ['fibonacci', classicCalls(4)],
  ])

  // Work on 4 threads belongs to the test that started it.
  const fan = testNamed(report, 'fan out')
  expect(Object.fromEntries(fan.spans.map((s) => [s.name, s.calls]))).toEqual({
    fan_out: 1,
    worker: 4,
    fibonacci: 4 * classicCalls(6),
  })
  // Children on other threads do not count against fan_out's self time...
  expect(span(fan, 'fan_out')!.selfMs).toBeCloseTo(span(fan, 'fan_out')!.totalMs, 3)
  // ...children on the same thread do: a worker's total is its self plus its recursion.
  expect(span(fan, 'worker')!.totalMs).toBeCloseTo(span(fan, 'worker')!.selfMs + span(fan, 'fibonacci')!.selfMs, 1)
  const task = testNamed(report, 'async task')
  expect(span(task, 'compute')?.calls).toBe(1)
  expect(span(task, 'fibonacci_task')?.calls).toBe(1)
  // A second addon, traced separately, in the same run.
  const checksum = testNamed(report, 'checksum')
  expect(checksum.spans.map((s) => [s.target, s.name, s.calls])).toEqual([
    ['other_addon', 'checksum', 1],
    ['other_addon', 'add', 2],
  ])
  // No test's spans leak into another.
  const total = report.tests.reduce((n, t) => n + t.spans.reduce((m, s) => m + s.calls, 0), 0)
  expect(total).toBe(classicCalls(10) + classicCalls(3) + 1 + 1 + 4 + 4 * classicCalls(6) + spanCalls(task) + 3)

  // The printed report, after Vitest's summary, names the files it wrote.
  expect(run.stdout).toContain('NAPI TRACING')
  // A long line wraps its figures onto the next one.
  expect(run.stdout).toMatch(/✓ counts\.test\.ts > recursion > classic\s+— 177 spans · /)
  expect(run.stdout).toMatch(/Report\s+\S*report\.json\n/)
  // The command it prints opens that trace, from where Vitest ran.
  const open = /Trace\s+\S*trace\.json\n\s+open it(?::| in Perfetto:\n)\s*npx vitest-napi-tracing open(?: (\S+))?\n/.exec(run.stdout)
  expect(open, run.stdout).not.toBeNull()
  expect(resolve(run.cwd, open![1] ?? '.vitest/napi-tracing/trace.json')).toBe(run.tracePath)

  // Without `profile`: no sample, profile chunk or counter in the trace, none in the report.
  expect(readTraceEvents(run.tracePath).filter((e) => e.ph === 'P' || e.ph === 'C')).toEqual([])
  expect(report.tests.filter((t) => t.js || t.memory).map((t) => t.name)).toEqual([])
  const trace = await loadTrace(run.tracePath)
  expect([...trace.processes.values()].flatMap((p) => [...p.threads.values()].flatMap((t) => t.profileCalls))).toEqual([])
  await checkTrace(trace, report)
}

function spanCalls(t: ReportTest): number {
  return t.spans.reduce((n, s) => n + s.calls, 0)
}

/** The merged trace, as DevTools reads it. */
async function checkTrace(trace: TraceView, report: SpanReport): Promise<void> {
  const processes = [...trace.processes.values()]
  expect(processes.length).toBeGreaterThan(0)
  for (const p of processes) expect(p.name).toMatch(/^vitest worker \S+ \(pid \d+/)
  const tests = trace.slices.filter((s) => s.cat === 'test')
  // Every test that ran has a slice, with its state.
  expect(tests.map((t) => t.name).sort()).toEqual(['async task', 'checksum', 'classic', 'fails after 5 spans', 'fan out', 'no native calls'])
  expect(tests.find((t) => t.name === 'fails after 5 spans')?.args['state']).toBe('failed')
  // Every file has its slice, holding the slices of its tests.
  const files = trace.slices.filter((s) => s.cat === 'file')
  const testsByFile = Object.fromEntries(files.map((f) => [f.name, f.children.filter((c) => c.cat === 'test').map((c) => c.name).sort()]))
  expect(testsByFile).toEqual({
    'counts.test.ts': ['classic', 'fails after 5 spans', 'no native calls'],
    'other.test.ts': ['checksum'],
    'threads.test.ts': ['async task', 'fan out'],
  })
  // Native spans on the JavaScript thread nest inside their test's slice.
  const classic = tests.find((t) => t.name === 'classic')!
  const inside = classic.children.filter((c) => c.name === 'fibonacci')
  expect(inside).toHaveLength(1)
  expect(countNamed(inside[0]!, 'fibonacci')).toBe(classicCalls(10))
  // Native spans on other threads fall within their test's slice in time.
  const fan = tests.find((t) => t.name === 'fan out')!
  const workers = trace.slices.filter((s) => s.name === 'worker')
  expect(workers).toHaveLength(4)
  for (const w of workers) {
    expect(w.ts).toBeGreaterThanOrEqual(fan.ts)
    expect(w.ts + w.dur).toBeLessThanOrEqual(fan.ts + fan.dur)
    expect(slicePath(w)).toBe('worker')
    expect(countNamed(w, 'fibonacci')).toBe(classicCalls(6))
  }
  // Threads are named.
  const threadNames = processes.flatMap((p) => [...p.threads.values()].map((t) => t.name))
  expect(threadNames).toEqual(expect.arrayContaining(['fib-worker-0', 'fib-worker-3']))
  expect(threadNames.some((n) => n?.startsWith('JavaScript'))).toBe(true)
  // Every span the report counts is in the trace: as a slice, or (never entered: the AsyncTask's handle) as a lifetime.
  const nativeCalls = report.tests.reduce((n, t) => n + spanCalls(t), 0) + classicCalls(4) - 3
  const lifetimes = trace.lifetimes.filter((l) => l.cat === 'fib_addon')
  expect(lifetimes.map((l) => l.name)).toEqual(['fibonacci_task'])
  expect(trace.slices.filter((s) => s.cat === 'fib_addon').length + lifetimes.length).toBe(nativeCalls)
  expect(trace.slices.filter((s) => s.cat === 'other_addon')).toHaveLength(3)
}

function countNamed(slice: Slice, name: string): number {
  return (slice.name === name ? 1 : 0) + slice.children.reduce((n, c) => n + countNamed(c, name), 0)
}

/**
 * Vitest 4.1 and 5, every pool, isolation on and off: 16 runs, each of three
 * files on one worker; and Vitest 3.2, the oldest supported, in every pool.
 */
const MATRIX: Array<[Major, Pool, boolean]> = [
  ...([4, 5] as Major[]).flatMap((major) =>
    (['forks', 'threads', 'vmForks', 'vmThreads'] as Pool[]).flatMap((pool) => [true, false].map((isolate): [Major, Pool, boolean] => [major, pool, isolate])),
  ),
  ...(['forks', 'threads', 'vmForks', 'vmThreads'] as Pool[]).map((pool): [Major, Pool, boolean] => [32, pool, true]),
]

test('Vitest 3.2 and 4 run on Node 20, the oldest Node the package supports, and Vitest 5 on Node 22 or later', () => {
  const major = (m: Major) => Number(/^v(\d+)\./.exec(spawnSync(installedEnv(m).node, ['--version'], { encoding: 'utf8' }).stdout)?.[1])
  expect(major(4)).toBe(20)
  expect(major(32)).toBe(20)
  expect(major(5)).toBeGreaterThanOrEqual(22)
})

describe.each(MATRIX)('Vitest %i, pool %s, isolate %s, one worker', (major, pool, isolate) => {
  test('every file traced: exact span counts, test and file slices', async () => {
    await checkBasicRun(runVitest({ project: 'basic', major, pool, isolate, args: ['--maxWorkers=1'] }))
  })
})

describe('the plugin in the config', () => {
  test('several workers at once', async () => {
    await checkBasicRun(runVitest({ project: 'basic', args: ['--maxWorkers=3'] }))
  })

  test("the report states its own cost: each addon's span cost measured at start, each test's share of it, none of the measurement's spans left", () => {
    const run = runVitest({ project: 'basic' })
    const report = run.report()
    const fib = report.run!.addons.find((a) => a.label.includes('fib'))!
    // Measured in every worker, through the path the spans take: well above a clock read, well below a µs-scale bug.
    expect(fib.spanCostNs).toBeGreaterThan(20)
    expect(fib.spanCostNs).toBeLessThan(50_000)
    const costs = report.run!.addons.map((a) => a.spanCostNs!)
    const mean = costs.reduce((a, b) => a + b, 0) / costs.length
    for (const t of report.tests.filter((t) => t.spans.length > 0)) {
      expect(t.tracingMs, t.name).toBeCloseTo((t.spans.reduce((n, s) => n + s.calls, 0) * mean) / 1e6, 5)
    }
    expect(run.stdout).toMatch(new RegExp(`≈ tracing cost ${Math.round(mean)} ns per span here`))
    // The measurement made spans of its own callsite: none reach the report or the trace.
    const names = [...report.tests, ...report.files].flatMap((t) => t.spans.map((s) => s.name))
    expect(names.filter((n) => n.includes('calibration'))).toEqual([])
    expect(readFileSync(run.tracePath, 'utf8')).not.toContain('napi-tracing calibration')
  })

  test('the reporter survives --reporter flags', () => {
    const run = runVitest({ project: 'basic', args: ['--reporter=dot'] })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('NAPI TRACING')
    expect(run.report().tests).toHaveLength(7)
  })

  test('VITEST_NAPI_TRACING=0 turns it off', () => {
    const run = runVitest({ project: 'basic', env: { VITEST_NAPI_TRACING: '0' } })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).not.toContain('NAPI TRACING')
    expect(() => run.report()).toThrow(/no report\.json/)
  })
})

describe('an addon whose loader is an ES module (napi build --esm)', () => {
  test('on Node 20.18, which cannot require() one: imported, every call counted in its own test, concurrent ones too', () => {
    const node = inject('installed').nodes['20.18']
    expect(spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe('v20.18.3')
    const run = runVitest({ project: 'esm-loader', node })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([])
    expect(calls(testNamed(report, 'imports the loader and calls it'), 'checksum')).toBe(1)
    for (const [name, chunks] of [
      ['one', 1],
      ['two', 2],
      ['three', 3],
    ] as const) {
      const t = testNamed(report, `side by side > checksums ${name}`)
      // Tagged as its own, not shared by the tests it overlapped.
      expect(placed(t.tree, 'checksum'), name).toEqual({ caused: 3, timed: 0, shared: 0 })
      expect(placed(t.tree, 'add'), name).toEqual({ caused: 3 * chunks, timed: 0, shared: 0 })
    }
  })
})

describe('attribution', () => {
  test('concurrent tests: spans of their own calls are theirs; spans no call explains are marked shared', () => {
    const run = runVitest({ project: 'concurrent', env: { FIXTURE_REPORT: 'full' } })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    const first = testNamed(report, 'overlapping > first')
    const second = testNamed(report, 'overlapping > second')
    const exact = (t: ReportTest) => t.spans.filter((s) => !s.shared).map((s) => [s.name, s.calls])
    const shared = (t: ReportTest) => Object.fromEntries(t.spans.filter((s) => s.shared).map((s) => [s.name, s.calls]))
    // Both ran at once on one JavaScript thread; each call knew its test.
    expect(exact(first)).toEqual([['fibonacci', classicCalls(5)]])
    expect(exact(second)).toEqual([['fibonacci', classicCalls(6)]])
    // The async fns' spans start on tokio without a parent: either test could
    // have started them, so both tests list both of them, marked shared.
    for (const t of [first, second]) {
      expect(shared(t)).toEqual({ fibonacci_async: 2, fibonacci: 2, fibonacci_memoized: 2 * 10 - 1 + (2 * 12 - 1) })
    }
    // A test that ran alone is attributed exactly.
    expect(testNamed(report, 'alone afterwards').spans).toEqual([
      expect.objectContaining({ name: 'fibonacci', calls: classicCalls(4) }),
    ])
    expect(testNamed(report, 'alone afterwards').spans[0]?.shared).toBeUndefined()
    expect(run.stdout).toMatch(/^ +fibonacci_async +2× .* shared$/m)
    // Sequential tests of suites that run at once overlap too, the first of them begun alone.
    expect(exact(testNamed(report, 'suites at once > left > left test'))).toEqual([['fibonacci', classicCalls(5)]])
    expect(exact(testNamed(report, 'suites at once > right > right test'))).toEqual([['fibonacci', classicCalls(6)]])
    for (const name of ['suites at once > left > left test', 'suites at once > right > right test']) expect(shared(testNamed(report, name))).toEqual({})
  })
})
