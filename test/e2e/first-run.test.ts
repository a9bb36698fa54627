/**
 * What a new user meets on a first run, as installed: every state the
 * plugin cannot trace is said, never silent, and a run that collected
 * nothing never destroys the files of an earlier one.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { ReportTest, SpanReport } from 'vitest-napi-tracing/plugin'
import { classicCalls } from '../support/counts.js'
import { loadTrace } from '../support/trace-engine.js'
import { runVitest, type RunResult } from './support/run-vitest.js'

function calls(t: ReportTest | undefined): Record<string, number> {
  return Object.fromEntries((t?.spans ?? []).map((s) => [s.name, s.calls]))
}

function testNamed(report: SpanReport, name: string): ReportTest | undefined {
  return report.tests.find((t) => t.name === name)
}

/** report.json and trace.json as bytes with their modification times, to show they were not touched. */
function outputOf(run: RunResult): Array<[string, number]> {
  return [run.reportPath, run.tracePath].map((p) => [readFileSync(p, 'utf8'), statSync(p).mtimeMs])
}

describe('a test file the tracer never saw is named, never silently empty', () => {
  test('setup file evaluated once per worker (not inlined): the files it missed are listed with the fix', () => {
    const run = runVitest({ project: 'untraced', isolate: false, args: ['--maxWorkers=1'] })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    const traced = report.tests.filter((t) => t.spans.length > 0)
    expect(traced).toHaveLength(1)
    const missed = report.tests.filter((t) => t.spans.length === 0).map((t) => t.file)
    expect(missed).toHaveLength(2)
    expect(report.problems).toEqual([
      expect.stringMatching(new RegExp(`^2 test files ran without the tracer seeing them begin, .*: ${missed.join(', ').replace(/\./g, '\\.')}\\. .*test\\.server\\.deps\\.inline`)),
    ])
    expect(run.stdout).toContain('! 2 test files ran without the tracer seeing them begin')
  })
})

describe('a run that collects nothing leaves the last report and trace as they are', () => {
  test('--merge-reports of blob reports without span data (shards run without the plugin)', () => {
    const traced = runVitest({ project: 'basic' })
    const before = outputOf(traced)
    const blobs = mkdtempSync(join(tmpdir(), 'napi-tracing-blobs-'))
    for (const i of [1, 2]) {
      runVitest({ project: 'basic', env: { VITEST_NAPI_TRACING: '0' }, args: [`--shard=${i}/2`, '--reporter=blob', `--outputFile.blob=${join(blobs, `blob-${i}.json`)}`] })
    }
    const merge = runVitest({ project: 'basic', args: [`--merge-reports=${blobs}`], outputDir: traced.outputDir })
    expect(merge.stdout).toMatch(/Tests\s+1 failed \| 5 passed \| 1 skipped/)
    expect(merge.stdout).toMatch(/vitest-napi-tracing: the blob reports carry no span data \(their shards ran without the plugin\); \S*report\.json and \S*trace\.json left as they were/)
    expect(outputOf(traced)).toEqual(before)
  })

  test('tracing switched off (VITEST_NAPI_TRACING=0)', () => {
    const traced = runVitest({ project: 'basic' })
    const before = outputOf(traced)
    const off = runVitest({ project: 'basic', outputDir: traced.outputDir, env: { VITEST_NAPI_TRACING: '0' } })
    expect(off.exitCode).toBe(1)
    expect(off.stdout).toMatch(/vitest-napi-tracing: off \(VITEST_NAPI_TRACING=0\), nothing traced; \S*report\.json and \S*trace\.json left as they were/)
    expect(outputOf(traced)).toEqual(before)
  })

  test('no worker traced anything (no test file matched)', () => {
    const traced = runVitest({ project: 'basic' })
    const before = outputOf(traced)
    const empty = runVitest({ project: 'basic', outputDir: traced.outputDir, args: ['no-such-file', '--passWithNoTests'] })
    expect(empty.exitCode).toBe(0)
    expect(empty.stdout).toMatch(/vitest-napi-tracing: no test ran, nothing traced; \S*report\.json and \S*trace\.json left as they were/)
    expect(outputOf(traced)).toEqual(before)
  })
})

describe('filters and addon paths as a new user writes them', () => {
  test('RUST_LOG set but empty counts as absent: the default filter applies, and the report says so', async () => {
    const run = runVitest({ project: 'first-run', env: { RUST_LOG: '' } })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.filter).toEqual({ directives: 'info', source: 'default' })
    // Addons named without an extension and by folder resolve as Node resolves them.
    expect(calls(testNamed(report, 'info spans and a warn event'))).toEqual({ fibonacci: classicCalls(5), emit_events: 1 })
    await loadTrace(run.tracePath)
  })

  test('#[tracing::instrument] below #[napi]: the report names the function and the fix', () => {
    const report = runVitest({ project: 'first-run', env: { RUST_LOG: '' } }).report()
    expect(calls(testNamed(report, '#[instrument] below #[napi]'))).toEqual({ misplaced_c_callback: 1, misplaced: 1 })
    expect(report.problems).toEqual([
      'span "misplaced_c_callback" (other_addon) is napi\'s generated callback, not misplaced: #[tracing::instrument] stands below #[napi] on misplaced. ' +
        'Put it above #[napi] so that it wraps misplaced itself (its spans are then named "misplaced").',
    ])
  })

  test.each([
    ['warn', 'from RUST_LOG'],
    ['off', 'from RUST_LOG'],
  ])('RUST_LOG=%s lets no span through: the report says which filter enabled nothing', (directives, source) => {
    const run = runVitest({ project: 'first-run', env: { RUST_LOG: directives } })
    expect(run.exitCode).toBe(0)
    const report = run.report()
    expect(report.filter).toEqual({ directives, source: 'RUST_LOG' })
    expect(report.tests.every((t) => t.spans.length === 0)).toBe(true)
    // fibonacci, emit_events and misplaced are INFO spans: the filter hid them, and says which and to what level to widen it.
    expect(report.problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^filter '${directives}' \\(${source}\\) enabled no spans: the run has none, and the addons met \\d+ span callsites it turned off \\(.*INFO fib_addon::fibonacci.*\\)\\. Widen it to their level: napiTracing\\(\\{ filter: 'info' \\}\\) or RUST_LOG=info\\.$`,
        ),
      ),
    )
    expect(run.stdout).toContain(`! filter '${directives}' (${source}) enabled no spans`)
  })
})

describe('when the numbers would lie', () => {
  test('an addon whose napi-tracing was built unoptimised is traced, and the report says so once, naming the fix', () => {
    const run = runVitest({ project: 'unoptimised' })
    expect(run.exitCode).toBe(0)
    const report = run.report()
    expect(calls(testNamed(report, 'spans of an unoptimised build'))).toEqual({ fibonacci: classicCalls(5) })
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^addon "\.\/unoptimised-fib\.cjs" was built with napi-tracing unoptimised \(opt-level 0\), so every span costs several times more .*\[profile\.dev\.package\.napi-tracing\] opt-level = 3 .*or build the addon with --release/,
      ),
    ])
    expect(run.stdout.match(/was built with napi-tracing unoptimised/g)).toHaveLength(1)
  })

  test('the fixture addons, built with the docs’ profile lines, are not reported', () => {
    expect(runVitest({ project: 'first-run', env: { RUST_LOG: '' } }).report().problems.join('\n')).not.toContain('unoptimised')
  })
})
