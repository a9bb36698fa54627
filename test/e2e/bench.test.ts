/**
 * Benchmarks of an addon function, as installed: `vitest bench` (Vitest 4.1
 * and 4.0, where each benchmark is a test of its own) and Vitest 5's `bench`
 * fixture inside a test. Each benchmark's spans per iteration match the
 * function's known span count, in report.json and in the report; the run's
 * outcome is as without the plugin, and its trace places every entry.
 */
import { describe, expect, test } from 'vitest'
import type { ReportBenchmark, ReportTest } from 'vitest-napi-tracing/plugin'
import { classicCalls } from '../support/counts.js'
import { loadTrace } from '../support/trace-engine.js'
import type { Major } from './support/paths.js'
import { testNamed } from './support/report.js'
import { runVitest, type RunOptions } from './support/run-vitest.js'

/** `vitest bench` on a project, traced and not (Vitest 4's benchmark reporters have no JSON one, so states are not compared). */
function benchBoth(options: RunOptions) {
  return { traced: runVitest({ ...options, command: 'bench' }), plain: runVitest({ ...options, command: 'bench', env: { VITEST_NAPI_TRACING: '0' } }) }
}

/** A test's benchmarks by name: spans per iteration and iterations. */
function perIteration(t: ReportTest): Record<string, Pick<ReportBenchmark, 'spans' | 'iterations'>> {
  return Object.fromEntries((t.benchmarks ?? []).map((b) => [b.name, { spans: b.spans, iterations: b.iterations }]))
}

describe.each([4, 40] as Major[])('vitest bench, Vitest %s', (major) => {
  test("each benchmark's spans per iteration, its measured iterations only", async () => {
    const { traced, plain } = benchBoth({ project: 'bench', major })
    expect(plain.exitCode, plain.stdout + plain.stderr).toBe(0)
    expect(traced.exitCode, traced.stdout + traced.stderr).toBe(0)
    const report = traced.report()
    expect(report.problems).toEqual([])
    // 40 iterations, and the one tinybench makes to tell an async function (counted, as its spans are).
    expect(perIteration(testNamed(report, 'fibonacci > classic 10'))).toEqual({ 'classic 10': { spans: classicCalls(10), iterations: 41 } })
    expect(perIteration(testNamed(report, 'fibonacci > classic 5'))).toEqual({ 'classic 5': { spans: classicCalls(5), iterations: 41 } })
    expect(traced.stdout).toMatch(/Benchmarks \(per iteration\)\n +fib\.bench\.ts > fibonacci > classic 10\n +— 177 spans · [\d.]+ .s self · 41 iterations/)
    expect(traced.stdout).not.toMatch(/vitest\/suite.*deprecated/)
    await loadTrace(traced.tracePath)
  })
})

test("Vitest 5's bench fixture: each benchmark of the test, per iteration", async () => {
  const { traced, plain } = benchBoth({ project: 'bench5', major: 5 })
  expect(plain.exitCode, plain.stdout + plain.stderr).toBe(0)
  expect(traced.exitCode, traced.stdout + traced.stderr).toBe(0)
  const report = traced.report()
  expect(report.problems).toEqual([])
  const t = testNamed(report, 'benchmarks fibonacci')
  expect(perIteration(t)).toEqual({
    'classic 10': { spans: classicCalls(10), iterations: 40 },
    'classic 5': { spans: classicCalls(5), iterations: 40 },
    'classic 3': { spans: classicCalls(3), iterations: 40 },
  })
  expect(traced.stdout).toMatch(/fib\.bench\.ts > benchmarks fibonacci › classic 5\n +— 15 spans · [\d.]+ .s self · 40 iterations/)
  await loadTrace(traced.tracePath)
})
