/**
 * What real suites do, as installed: fake timers (from the project's setup
 * file or a beforeAll), type tests beside runtime tests, hundreds of test
 * files in the threads pool, a chain of a million spans closed at once,
 * and spans alive for a while but never entered. Each keeps the run's
 * outcome, its counts and a trace that DevTools' engine places whole.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { classicCalls } from '../support/counts.js'
import { loadTrace, processOf, within } from '../support/trace-engine.js'
import { calls, testNamed } from './support/report.js'
import { installedEnv, runVitest, type Pool } from './support/run-vitest.js'

describe.each(['forks', 'threads', 'vmThreads'] as Pool[])('fake timers (%s)', (pool) => {
  test.each(['setup', 'beforeAll'])('installed in the %s: test slices on the real clock, each holding its native spans', async (where) => {
    const run = runVitest({ project: 'fake-timers', pool, env: { FIXTURE_FAKE_IN: where } })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([])
    const first = 'a minute passes on the fake clock'
    expect(calls(testNamed(report, first), 'fibonacci')).toBe(classicCalls(10))
    expect(calls(testNamed(report, 'and another minute'), 'work')).toBe(1)
    const trace = await loadTrace(run.tracePath)
    const tests = trace.slices.filter((s) => s.cat === 'test')
    expect(tests.map((t) => t.name).sort()).toEqual(['a minute passes on the fake clock', 'and another minute'])
    // A minute passed on the fake clock only: each test took milliseconds.
    for (const t of tests) expect(t.dur, t.name).toBeLessThan(10e6)
    const [minute, another] = [tests.find((t) => t.name === first)!, tests.find((t) => t.name !== first)!]
    const roots = (name: string) => trace.slices.filter((s) => s.name === name && s.parent?.name !== name)
    expect(roots('fibonacci').length).toBeGreaterThan(0)
    for (const span of roots('fibonacci')) expect(within(span, minute), `fibonacci at ${span.ts}, test at ${minute.ts}+${minute.dur}`).toBe(true)
    for (const span of roots('work')) expect(within(span, another)).toBe(true)
    const file = trace.slices.find((s) => s.cat === 'file')!
    for (const t of tests) expect(within(t, file)).toBe(true)
  })
})

describe.each(['forks', 'threads'] as Pool[])('type tests (%s)', (pool) => {
  test('vitest --typecheck: the type tests pass as without the plugin, no problem is made of them, the runtime test is traced', () => {
    const run = runVitest({ project: 'typecheck', pool, args: ['--typecheck'] })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/types\.test-d\.ts/)
    expect(run.stdout).toMatch(/Tests\s+2 passed/)
    const report = run.report()
    expect(report.problems).toEqual([])
    expect(report.tests.map((t) => t.name)).toEqual(['runs in a worker'])
    expect(calls(testNamed(report, 'runs in a worker'), 'fibonacci')).toBe(classicCalls(6))
  })
})

describe('300 test files in the threads pool', () => {
  test('each worker thread a trace process of its own, named after its own files; every file counted', async () => {
    const env = installedEnv()
    const project = join(env.projects, 'three-hundred')
    rmSync(project, { recursive: true, force: true })
    mkdirSync(project)
    writeFileSync(
      join(project, 'vitest.config.ts'),
      "import { defineConfig } from 'vitest/config'\nimport { traced } from '../traced.js'\n\nexport default defineConfig({ plugins: [traced(['../../addons/fib/index.js'])] })\n",
    )
    for (let n = 0; n < 300; n++) {
      writeFileSync(
        join(project, `f${n}.test.ts`),
        `import { expect, test } from 'vitest'\nimport fib from '../../addons/fib/index.js'\n\ntest('file ${n}', () => {\n  expect(fib.fibonacci(${n % 5}, false)).toBeGreaterThanOrEqual(0)\n})\n`,
      )
    }
    try {
      const run = runVitest({ project: 'three-hundred', pool: 'threads' })
      expect(run.exitCode, run.stdout + run.stderr).toBe(0)
      const report = run.report()
      expect(report.problems).toEqual([])
      expect(report.tests).toHaveLength(300)
      for (const t of report.tests) expect(calls(t, 'fibonacci'), t.name).toBe(classicCalls(Number(t.name.slice(5)) % 5))
      const trace = await loadTrace(run.tracePath)
      const files = trace.slices.filter((s) => s.cat === 'file')
      expect(files).toHaveLength(300)
      // More worker threads ran than 256, each its own process in the trace.
      const workers = new Set(files.map((f) => processOf(trace, f).pid))
      expect(workers.size).toBeGreaterThan(256)
      for (const f of files) expect(processOf(trace, f).name, f.name).toMatch(new RegExp(`[:,] ${f.name.replace('.', '\\.')}(,|$)`))
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  }, 300_000)
})

describe.each(['forks', 'threads'] as Pool[])('extremes (%s)', (pool) => {
  test('a chain of a million spans closed at once, and 10,000 spans alive but never entered: the run as untraced, lifetimes shown as lifetime', async () => {
    const run = runVitest({ project: 'extremes', pool })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([])
    const chain = testNamed(report, 'a chain of a million spans')
    expect(calls(chain, 'link')).toBe(1_000_000)
    expect(calls(testNamed(report, 'the test after it'), 'fibonacci')).toBe(classicCalls(5))
    // Never entered: no busy time, their lifetime apart.
    const held = testNamed(report, 'ten thousand spans alive for 30 ms, never entered').spans.find((s) => s.name === 'held')!
    expect(held).toMatchObject({ calls: 10_000, selfMs: 0, totalMs: 0 })
    expect(held.lifetimeMs).toBeGreaterThanOrEqual(10_000 * 30)
    // No figure labelled self beyond the test's own time.
    for (const t of report.tests) expect(t.spans.reduce((n, s) => n + s.selfMs, 0), t.name).toBeLessThanOrEqual(t.durationMs + 1)
    expect(run.stdout).toMatch(/held +10,000× +lifetime +(3\d|[4-9]\d|\d{3})\.\d+ ms mean/)
    const trace = await loadTrace(run.tracePath)
    // Lifetimes as async slices: a million nested ones, closed in one burst faster than any disk
    // takes them, so the writer may drop some, never silently: each is in the trace or counted.
    const links = trace.lifetimes.filter((l) => l.name === 'link').length
    expect(links + report.droppedRecords).toBe(1_000_000)
    if (report.droppedRecords > 0) expect(run.stdout).toMatch(/[\d,]+ records or trace\s+entries\s+were\s+dropped\s+because\s+a\s+worker\s+could\s+not\s+keep\s+up/)
    // ten thousand that overlap without nesting.
    const lives = trace.lifetimes.filter((l) => l.name === 'held').sort((a, b) => a.ts - b.ts)
    expect(lives).toHaveLength(10_000)
    for (const l of lives) expect(l.dur).toBeGreaterThanOrEqual(30_000)
    expect(lives[1]!.ts < lives[0]!.ts + lives[0]!.dur && lives[1]!.ts + lives[1]!.dur > lives[0]!.ts + lives[0]!.dur).toBe(true)
    expect(trace.slices.filter((s) => s.name === 'link' || s.name === 'held')).toEqual([])
  }, 300_000)
})
