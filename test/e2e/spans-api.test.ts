/**
 * Where the time goes, as installed: call trees in report.json, a test's
 * spans as data inside the test (`napiSpans()`, the matchers, span
 * snapshots through Vitest's own snapshot machinery), the span summary in
 * Vitest's per-test data, a report that fits the terminal and keeps out of
 * a machine-readable stdout, and tests labelled by project.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { ReportNode, SpanReport } from 'vitest-napi-tracing/plugin'
import { classicCalls } from '../support/counts.js'
import type { Major } from './support/paths.js'
import { installedEnv, runVitest, type Pool, type RunResult } from './support/run-vitest.js'

/** A private copy of a fixture project (Vitest writes snapshots into it), inside the installed project. */
function copyOf(project: string, major: Major = 4): string {
  const env = installedEnv(major)
  const copy = mkdtempSync(join(env.projects, `${project}-`))
  cpSync(join(env.projects, project), copy, { recursive: true })
  return copy.slice(env.projects.length + 1)
}

function depthOf(nodes: readonly ReportNode[]): number {
  return nodes.length === 0 ? 0 : 1 + Math.max(...nodes.map((n) => depthOf(n.children)))
}

describe.each([
  [4, 'forks', true],
  [4, 'vmThreads', true],
  [5, 'threads', false],
] as Array<[Major, Pool, boolean]>)('napiSpans() and the matchers, Vitest %i, pool %s, isolate %s', (major, pool, isolate) => {
  test('every assertion on spans holds, concurrent and retried tests included', () => {
    const run = runVitest({ project: copyOf('spans-api', major), major, pool, isolate, args: ['-u'] })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Tests\s+8 passed/)
    const report = run.report()
    expect(report.version).toBe(2)
    const fib10 = report.tests.find((t) => t.name.startsWith('fibonacci(10)'))!
    // The recursion as a tree: ten levels deep, 177 spans in all.
    expect(depthOf(fib10.tree)).toBe(10)
    const count = (nodes: readonly ReportNode[]): number => nodes.reduce((n, node) => n + node.calls + count(node.children), 0)
    expect(count(fib10.tree)).toBe(classicCalls(10))
    expect(fib10.tree[0]).toMatchObject({ name: 'fibonacci', target: 'fib_addon', calls: 1 })
  })
})

describe('span snapshots: the timing-free regression gate', () => {
  test('passes, fails with a diff naming the span path after the addon makes one more span, passes again after -u', () => {
    const project = copyOf('spans-api')
    const only = ['-t', 'span snapshot']
    const write = runVitest({ project, args: [...only, '-u'] })
    expect(write.exitCode, write.stdout + write.stderr).toBe(0)
    const dir = join(installedEnv().projects, project, '__snapshots__')
    const snapshot = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')
    expect(snapshot).toContain('fib_addon::fibonacci › fibonacci › fibonacci ×2')
    expect(snapshot).not.toMatch(/\d+(\.\d+)? ?(ms|µs|ns)/)

    expect(runVitest({ project, args: only }).exitCode).toBe(0)

    const changed = runVitest({ project, args: only, env: { EXTRA_SPANS: '1' } })
    expect(changed.exitCode).toBe(1)
    expect(changed.stdout + changed.stderr).toMatch(/Snapshot .*a span snapshot.* mismatched/)
    expect(changed.stdout + changed.stderr).toMatch(/\+ fib_addon::record_later ×1/)

    const updated = runVitest({ project, args: [...only, '-u'], env: { EXTRA_SPANS: '1' } })
    expect(updated.exitCode, updated.stdout + updated.stderr).toBe(0)
    expect(runVitest({ project, args: only, env: { EXTRA_SPANS: '1' } }).exitCode).toBe(0)
    // The old snapshot, with one span fewer, now fails.
    expect(runVitest({ project, args: only }).exitCode).toBe(1)
  })
})

describe('the report as a user reads it', () => {
  function napiLines(run: RunResult): string[] {
    const text = run.stdout
    return text.slice(text.indexOf(' NAPI TRACING ')).split('\n')
  }

  test('compact by default: hottest paths, failed and slowest tests, each line within 80 columns, "1 span"', () => {
    const run = runVitest({ project: 'basic' })
    const lines = napiLines(run)
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80)
    expect(lines.join('\n')).toMatch(/Hottest span paths/)
    expect(lines.join('\n')).toMatch(/fan_out › worker › fibonacci\^n/)
    expect(lines.join('\n')).toMatch(/Failed tests\n {3}× counts\.test\.ts > recursion > fails after 5 spans\s+— 6 spans · /)
    // Only a span path too long for its column is cut (from the start, keeping the end).
    expect(lines.filter((l) => l.includes('…')).every((l) => /^ +\S+ [µmn]?s +\d+% {2}…/.test(l))).toBe(true)
    expect(lines.join('\n')).not.toMatch(/\b1 spans\b/)
    expect(lines.join('\n')).not.toContain('more (report.json has them all)')
  })

  test("report: 'tree' prints each test's call tree with its share of the test's time", () => {
    const run = runVitest({ project: 'basic', env: { FIXTURE_REPORT: 'tree' } })
    const text = napiLines(run).join('\n')
    expect(text).toMatch(/\n {7}fan_out +1× +total .* self .* 100\.0%\n {9}worker +4× /)
  })

  test('warnings and errors are counted per test and shown', () => {
    const run = runVitest({ project: 'first-run', env: { RUST_LOG: '' } })
    expect(run.report().tests.find((t) => t.name === 'info spans and a warn event')).toMatchObject({ warnings: 1, errors: 1 })
    expect(run.stdout).toMatch(/info spans and a warn event\n +— .* · 1 warning · 1 error/)
  })

  test('--reporter=json writing to stdout stays parseable: the span report goes to stderr', () => {
    const run = runVitest({ project: 'basic', args: ['--reporter=json'] })
    const json = JSON.parse(run.stdout) as { testResults: Array<{ assertionResults: Array<{ fullName: string; meta: Record<string, any> }> }> }
    expect(run.stderr).toContain('NAPI TRACING')
    // The span summary travels in Vitest's own per-test data.
    const classic = json.testResults.flatMap((f) => f.assertionResults).find((a) => a.fullName === 'recursion classic')
    expect(classic?.meta['napiTracing']).toMatchObject({ spanCount: classicCalls(10), spans: [expect.objectContaining({ name: 'fibonacci', calls: classicCalls(10) })] })
  })

  test('with several Vitest projects, each test is labelled with its project', () => {
    const run = runVitest({ project: 'two-projects' })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report: SpanReport = run.report()
    expect(report.tests.map((t) => [t.project, t.name, t.spans[0]?.calls])).toEqual([
      ['alpha', 'in alpha', classicCalls(5)],
      ['beta', 'in beta', classicCalls(4)],
    ])
    expect(run.stdout).toMatch(/\[alpha\] alpha\.test\.ts > in alpha/)
  })

  test('with the plugin in one project only, the other project\'s tests are left out and counted, never "no spans"', () => {
    const run = runVitest({ project: 'two-projects', env: { FIXTURE_ONE_TRACED: '1' } })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report: SpanReport = run.report()
    expect(report.tests.map((t) => [t.project, t.name, t.spans[0]?.calls])).toEqual([['alpha', 'in alpha', classicCalls(5)]])
    expect(report.untraced).toEqual([{ project: 'beta', tests: 1 }])
    expect(report.problems).toEqual([])
    expect(run.stdout).toMatch(/in 1 of 1 test\b/)
    expect(run.stdout).toMatch(/\[beta\] 1 test ran untraced: the plugin is not in that project's config/)
    expect(run.stdout).not.toMatch(/in beta/)
  })
})
