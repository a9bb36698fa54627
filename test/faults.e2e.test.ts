/**
 * The fault suite: every failure keeps the run's results and the data
 * collected so far. Each case runs a real Vitest child process on a fixture
 * project, once with the plugin and once without, and compares.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { PROTOCOL_VERSION } from '../src/index.js'
import type { ReportTest, SpanReport } from '../src/report/model.js'
import { classicCalls } from './support/addons.js'
import { REPO, runVitest, type Major, type Pool, type RunOptions, type RunResult } from './support/run-vitest.js'
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
  [5, 'forks', false],
  [5, 'threads', true],
  [5, 'threads', false],
  [5, 'vmForks', true],
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

describe('faults around the run', () => {
  test('a worker killed by SIGKILL mid-test: the results stand, spans finished before the kill are kept', async () => {
    for (const pool of ['forks', 'vmForks'] as Pool[]) {
      const { traced, plain } = runBoth({ project: 'killed', pool })
      expect(traced.exitCode).toBe(plain.exitCode)
      expect(traced.exitCode).not.toBe(0)
      const report = traced.report()
      expect(calls(testNamed(report, 'before the kill'), 'fibonacci')).toBe(classicCalls(6))
      // Written by the worker's checkpoint before the kill.
      expect(calls(testNamed(report, 'killed by SIGKILL mid-test'), 'fibonacci')).toBe(classicCalls(7))
      const trace = await loadTrace(traced.tracePath)
      expect(trace.slices.filter((s) => s.name === 'fibonacci')).toHaveLength(classicCalls(6) + classicCalls(7))
    }
  })

  test('addons that cannot be traced: each named with the fix, the tests unaffected, the others traced', async () => {
    const { traced, plain } = runBoth({ project: 'bad-addons' })
    expect(traced.exitCode).toBe(0)
    expect(traced.states()).toEqual(plain.states())
    const report = traced.report()
    expect(report.problems).toEqual([
      expect.stringMatching(/^addon "\.\/missing\/index\.js" could not be found from .*bad-addons .*does not exist.*Fix the path in napiTracing\(\{ addons \}\)/),
      expect.stringMatching(/^addon "\.\/not-an-addon\.cjs" could not be traced: .*does not export the tracing entry points \(got object with keys add\).*export_tracing_api!\(\)/),
      expect.stringMatching(/^addon "\.\.\/\.\.\/addons\/bare\/index\.js" could not be traced: .*does not export the tracing entry points.*export_tracing_api!\(\)/),
      expect.stringMatching(
        new RegExp(`^addon "\\./stale-protocol\\.cjs" could not be traced: .*built with napi-tracing protocol 999, but this package speaks protocol ${PROTOCOL_VERSION}\\. Rebuild`),
      ),
    ])
    expect(calls(testNamed(report, 'fib is still traced'), 'fibonacci')).toBe(classicCalls(5))
    expect(traced.stdout).toContain('! addon "./missing/index.js" could not be found')
    await loadTrace(traced.tracePath)
  })

  test('an outputDir that cannot be written: results reported, the error says where', () => {
    const { traced, plain } = runBoth({ project: 'basic', env: { FIXTURE_OUTPUT_DIR: '/etc/hostname/napi-tracing' } })
    expect(traced.exitCode).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    expect(traced.stdout).toMatch(/tracing is off: cannot write to \/etc\/hostname\/napi-tracing\/\.workers .*set napiTracing\(\{ outputDir \}\) to a folder you can write to/)
    expect(traced.stdout).toMatch(/could not write \/etc\/hostname\/napi-tracing\/report\.json/)
  })

  test('watch mode: twenty reruns of a file, no duplicate spans, no growth in memory', () => {
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', join(REPO, 'test/support/watch-reruns.mjs'), join(REPO, 'node_modules/vitest'), join(REPO, 'test-fixtures/projects/concurrent'), 'concurrent.test.ts', '20'],
      { encoding: 'utf8', timeout: 180_000, env: { ...process.env, FIXTURE_OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'napi-tracing-watch-')), NO_COLOR: '1' } },
    )
    const runs = child.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { run: number; tests: Array<[string, number]>; heapUsed: number; rss: number })
    expect(runs, child.stderr).toHaveLength(20)
    for (const run of runs) expect(run.tests).toEqual(runs[0]!.tests)
    expect(runs[0]!.tests).toContainEqual(['alone afterwards', classicCalls(4)])
    // Heap after the last rerun within 20 MB of the fifth (after warm-up).
    expect(runs[19]!.heapUsed - runs[4]!.heapUsed).toBeLessThan(20 << 20)
  })
})
