/**
 * The fault suite, as installed: every failure keeps the run's results and
 * the data collected so far. Each case runs a real Vitest child process on a
 * fixture project, once with the plugin and once without, and compares.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, test } from 'vitest'
import type { ReportTest, SpanReport } from 'vitest-napi-tracing/plugin'
import { classicCalls } from '../support/counts.js'
import { loadTrace } from '../support/trace-engine.js'
import { REPO, type Major } from './support/paths.js'
import { calls, runBoth, testNamed } from './support/report.js'
import { installedEnv, runVitest, watchReruns, type Pool } from './support/run-vitest.js'

/** Both majors, every pool, isolation on and off. */
const MATRIX: Array<[Major, Pool, boolean]> = ([4, 5] as Major[]).flatMap((major) =>
  (['forks', 'threads', 'vmForks', 'vmThreads'] as Pool[]).flatMap((pool) => [true, false].map((isolate): [Major, Pool, boolean] => [major, pool, isolate])),
)

/** The protocol the installed package speaks, from its own compiled code. */
async function installedProtocol(): Promise<number> {
  const entry = join(installedEnv().dir, 'node_modules/vitest-napi-tracing/dist/src/protocol.generated.js')
  return ((await import(pathToFileURL(entry).href)) as { PROTOCOL_VERSION: number }).PROTOCOL_VERSION
}

describe.each(MATRIX)('Vitest %i, pool %s, isolate %s', (major, pool, isolate) => {
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
    const protocol = await installedProtocol()
    const { traced, plain } = runBoth({ project: 'bad-addons' })
    expect(traced.exitCode).toBe(0)
    expect(traced.states()).toEqual(plain.states())
    const report = traced.report()
    expect(report.problems).toEqual([
      expect.stringMatching(/^addon "\.\/missing\/index\.js" could not be found from .*bad-addons \(Cannot find module .*missing\/index\.js'\).*Fix the path in napiTracing\(\{ addons \}\)/),
      expect.stringMatching(
        /^addon "\.\/not-an-addon\.cjs" could not be traced: it does not export the tracing entry points \(got object with keys add\)\. .*export_tracing_api!\(\).*otherwise give napiTracing\(\{ addons \}\) the addon's loader/,
      ),
      expect.stringMatching(/^addon "\.\.\/\.\.\/addons\/bare\/index\.js" could not be traced: it does not export the tracing entry points.*export_tracing_api!\(\)/),
      expect.stringMatching(
        new RegExp(`^addon "\\./stale-protocol\\.cjs" could not be traced: .*built with napi-tracing protocol 999, but this package speaks protocol ${protocol}\\. Rebuild`),
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
    expect(traced.stderr).toMatch(/tracing is off: cannot write to \/etc\/hostname\/napi-tracing\/\.workers .*set napiTracing\(\{ outputDir \}\) to a folder you can write to/)
    expect(traced.stdout).toMatch(/vitest-napi-tracing: no worker traced anything \(3 test files ran\); no report written/)
  })

  test('watch mode: twenty reruns of a file, no duplicate spans, no growth in the main heap', () => {
    const runs = watchReruns({ project: 'concurrent', files: ['concurrent.test.ts'], runs: 20 })
    for (const run of runs) expect(run.tests).toEqual(runs[0]!.tests)
    expect(runs[0]!.tests).toContainEqual(['alone afterwards', classicCalls(4)])
    // Heap after the last rerun within 20 MB of the fifth (after warm-up).
    expect(runs[19]!.heapUsed - runs[4]!.heapUsed).toBeLessThan(20 << 20)
  })

  test("watch mode: thirty sessions restarted in one process's worker threads, no growth in their memory", () => {
    // In the threads pool each rerun's worker is a thread of the watching
    // process: the addon stays loaded, its sessions start and end thirty
    // times, and whatever they leak stays in that process's memory.
    const out = mkdtempSync(join(tmpdir(), 'napi-tracing-reruns-'))
    const runs = watchReruns({ project: 'reruns', files: ['reruns.test.ts'], runs: 30, pool: 'threads', env: { FIXTURE_OUTPUT_DIR: out } })
    for (const run of runs) {
      expect(run.tests).toEqual([
        ['spans on two threads', 1 + 2 * 5_000],
        ['spans on the JavaScript thread', classicCalls(18)],
      ])
    }
    const workers = readFileSync(join(out, 'worker-memory.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { pid: number; heapUsed: number; rss: number })
    expect(workers).toHaveLength(30)
    expect(new Set(workers.map((w) => w.pid)).size).toBe(1)
    // Medians of five runs after warm-up and of the last five: a worker
    // thread's exit frees its memory a little later, now and then.
    const settled = (values: number[]) => median(values.slice(25)) - median(values.slice(5, 10))
    // Each worker's JavaScript heap after its file, after a GC: the same each time.
    expect(settled(workers.map((w) => w.heapUsed))).toBeLessThan(1 << 20)
    // The process's resident memory, the workers' native memory in it: 18,000 spans a run,
    // a leak of 30 bytes a span would pass 10 MB over twenty runs.
    expect(settled(runs.map((r) => r.rss))).toBeLessThan(10 << 20)
  })
})

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
