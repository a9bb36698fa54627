/**
 * The fault suite: every failure keeps the run's results and the data
 * collected so far. Each case runs a real Vitest child process on a fixture
 * project, once with the plugin and once without, and compares.
 */
import { describe, expect, test } from 'vitest'
import type { ReportTest, SpanReport } from '../src/report/model.js'
import { classicCalls } from './support/addons.js'
import { runVitest, type Major, type Pool, type RunOptions, type RunResult } from './support/run-vitest.js'
import { loadTrace } from './support/trace-engine.js'

/** Runs a project with and without the plugin, with Vitest's JSON reporter beside the default. */
function runBoth(options: RunOptions): { traced: RunResult; plain: RunResult } {
  const run = (env: Record<string, string>) => runVitest({ ...options, json: true, env: { ...options.env, ...env } })
  return { traced: run({}), plain: run({ VITEST_NAPI_TRACING: '0' }) }
}

function testNamed(report: SpanReport, name: string): ReportTest {
  const found = report.tests.find((t) => t.name === name)
  if (!found) throw new Error(`no test ${name}`)
  return found
}

function calls(t: ReportTest, name: string): number {
  return t.spans.filter((s) => s.name === name).reduce((n, s) => n + s.calls, 0)
}

const matrix: Array<[Major, Pool, boolean]> = [
  [4, 'forks', true],
  [4, 'threads', true],
  [4, 'vmForks', true],
  [4, 'vmThreads', true],
  [4, 'forks', false],
  [5, 'forks', true],
  [5, 'threads', false],
  [5, 'vmThreads', true],
]

describe.each(matrix)('Vitest %i, pool %s, isolate %s', (major, pool, isolate) => {
  test('faults inside tests keep results, report and trace', async () => {
    const { traced, plain } = runBoth({ project: 'faults', major, pool, isolate })
    // The run's outcome is what it is without the plugin.
    expect(traced.exitCode, traced.stdout + traced.stderr).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    expect(traced.stdout + traced.stderr).toContain('thrown from a native callback')

    const report = traced.report()
    expect(report.problems).toEqual([])
    // process.exit() in a test: the spans before it are kept.
    expect(calls(testNamed(report, 'calls process.exit'), 'fibonacci')).toBe(classicCalls(5))
    expect(calls(testNamed(report, 'before exit'), 'fibonacci')).toBe(classicCalls(4))
    // A timed-out test keeps the spans its threads go on making; the next test gets none of them.
    expect(testNamed(report, 'times out while native threads still run').state).toBe('failed')
    expect(calls(testNamed(report, 'times out while native threads still run'), 'tick')).toBeGreaterThan(0)
    expect(testNamed(report, 'after the timeout').spans.map((s) => [s.name, s.calls])).toEqual([['fibonacci', classicCalls(4)]])
    // The callback that threw ran inside its spans.
    expect(calls(testNamed(report, 'a native callback throws'), 'calling_back')).toBe(1)
    // Extremes.
    expect(calls(testNamed(report, 'a 1 MB string field'), 'big_field')).toBe(1)
    expect(calls(testNamed(report, 'nesting 10,000 deep'), 'level')).toBe(10_000)
    expect(calls(testNamed(report, '1,000 threads each making spans'), 'tick')).toBe(5_000)
    expect(testNamed(report, 'a span never closed').openSpans).toBe(1)

    const trace = await loadTrace(traced.tracePath)
    const big = trace.slices.find((s) => s.name === 'big_field')
    expect(String(big?.args['text']).length).toBe(1 << 20)
    expect(trace.slices.filter((s) => s.name === 'level')).toHaveLength(10_000)
    const odd = trace.slices.find((s) => s.name.includes('odd_debug') || s.args['raw'] !== undefined)
    expect(odd?.args).toMatchObject({ raw: '[111, 107, 255, 254]', os: '"ok\\xFF\\xFE"', lossy: 'ok\uFFFD\uFFFD' })
    const ticks = trace.slices.filter((s) => s.name === 'tick')
    expect(new Set(ticks.map((t) => t.args['thread'])).size).toBeGreaterThanOrEqual(1_000)
  })
})
