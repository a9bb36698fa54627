/** Reading a run's report.json as the end-to-end tests do: a test by name, its calls of a span. */
import type { ReportNode, ReportTest, SpanReport } from 'vitest-napi-tracing/plugin'
import { runVitest, type RunOptions, type RunResult } from './run-vitest.js'

/** The test of `report` with the full name `name`; throws naming the tests there are. */
export function testNamed(report: SpanReport, name: string): ReportTest {
  const found = report.tests.find((t) => t.name === name)
  if (!found) throw new Error(`no test named ${JSON.stringify(name)}; the report has ${report.tests.map((t) => JSON.stringify(t.name)).join(', ')}`)
  return found
}

/** Calls of the spans named `name` a test made (every path), or of all its spans. */
export function calls(t: ReportTest, name?: string): number {
  return t.spans.filter((s) => name === undefined || s.name === name).reduce((n, s) => n + s.calls, 0)
}

/** Calls of the spans named `name` in `tree`, by how they were placed. */
export function placed(tree: readonly ReportNode[], name: string): { caused: number; timed: number; shared: number } {
  const counted = { caused: 0, timed: 0, shared: 0 }
  const walk = (nodes: readonly ReportNode[]) => {
    for (const n of nodes) {
      if (n.name === name) {
        if (n.shared) counted.shared += n.calls
        else if (n.timed) counted.timed += n.calls
        else counted.caused += n.calls
      }
      walk(n.children)
    }
  }
  walk(tree)
  return counted
}

/**
 * The same run traced and untraced: `untraced` sets the environment that
 * leaves tracing out (by default `VITEST_NAPI_TRACING=0`).
 */
export function runBoth(options: RunOptions, untraced: Record<string, string> = { VITEST_NAPI_TRACING: '0' }): { traced: RunResult; plain: RunResult } {
  const run = (env: Record<string, string>) => runVitest({ ...options, json: true, env: { ...options.env, ...env } })
  return { traced: run({}), plain: run(untraced) }
}
