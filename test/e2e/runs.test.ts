/**
 * Across runs and machines, as installed: CI shards merged through
 * Vitest's own `--merge-reports` (the docs' recipe, step by step),
 * `vitest-napi-tracing compare` and `napiTracing({ baseline, keep })` on
 * real runs, and `vitest-napi-tracing open` against its own HTTP server.
 */
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { SpanReport } from 'vitest-napi-tracing/plugin'
import { loadTrace } from '../support/trace-engine.js'
import { installedEnv, runVitest, watchReruns, type Pool } from './support/run-vitest.js'

const env = installedEnv(4)
const cli = join(env.dir, 'node_modules/.bin/vitest-napi-tracing')

function command(args: string[]): { code: number | null; stdout: string; stderr: string } {
  // CI runners set `CI`, which turns picocolors on; the assertions read the plain text a pipe would get.
  const child = spawnSync(cli, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

function callsOf(report: SpanReport): Record<string, number> {
  return Object.fromEntries(report.tests.map((t) => [t.name, t.spans.reduce((n, s) => n + s.calls, 0)]))
}

describe('CI shards merged by --merge-reports', () => {
  test("the docs' recipe: each shard job uploads its folders, the merge job rebuilds report.json from the blobs and merges the shards' traces", async () => {
    const unsharded = runVitest({ project: 'basic' }).report()
    // Every job checks the project out at the same path, as CI runners do; the plugin writes where it does by default.
    const checkout = join(env.projects, 'ci-checkout')
    const artifacts = ['.vitest-reports', '.vitest/napi-tracing']
    const fresh = () => {
      rmSync(checkout, { recursive: true, force: true })
      cpSync(join(env.projects, 'basic'), checkout, { recursive: true })
    }
    // Run from the checkout, with the plugin's and Vitest's default folders.
    const defaults = { project: 'ci-checkout', cwd: checkout, env: { FIXTURE_OUTPUT_DIR: '' } }
    try {
      const jobs = [1, 2].map((i) => {
        fresh()
        // npx vitest run --shard=${{ matrix.shard }}/2 --reporter=blob
        const run = runVitest({ ...defaults, args: [`--shard=${i}/2`, '--reporter=blob'] })
        expect(existsSync(join(checkout, `.vitest/napi-tracing/shard-${i}-of-2/report.json`)), run.stdout + run.stderr).toBe(true)
        // upload-artifact: the blob and the plugin's folder.
        const upload = mkdtempSync(join(tmpdir(), `napi-tracing-artifact-${i}-`))
        for (const path of artifacts) cpSync(join(checkout, path), join(upload, path), { recursive: true })
        return upload
      })
      // The merge job: a fresh checkout, every artifact downloaded into it (merge-multiple), then npx vitest run --merge-reports.
      fresh()
      // It builds no addon: their loaders are not there.
      const config = join(checkout, 'vitest.config.ts')
      writeFileSync(config, readFileSync(config, 'utf8').replaceAll('../../addons/', './addons-not-built/'))
      for (const upload of jobs) cpSync(upload, checkout, { recursive: true })
      const shardFiles = [1, 2].map((i) => readFileSync(join(checkout, `.vitest/napi-tracing/shard-${i}-of-2/report.json`), 'utf8'))
      const merged = runVitest({ ...defaults, args: ['--merge-reports'] })
      expect(merged.stdout).toMatch(/Tests\s+1 failed \| 5 passed \| 1 skipped/)
      const report = JSON.parse(readFileSync(join(checkout, '.vitest/napi-tracing/report.json'), 'utf8')) as SpanReport
      expect(report.problems).toEqual([])
      expect(callsOf(report)).toEqual(callsOf(unsharded))
      expect(report.tests.find((t) => t.name === 'recursion > classic')?.tree[0]).toMatchObject({ name: 'fibonacci', calls: 1 })
      expect(report.files.map((f) => [f.file, f.spans[0]?.calls])).toEqual(unsharded.files.map((f) => [f.file, f.spans[0]?.calls]))
      // One trace with both shards' workers, each shard's processes named after it.
      const trace = await loadTrace(join(checkout, '.vitest/napi-tracing/trace.json'))
      const names = [...trace.processes.values()].map((p) => p.name ?? '')
      expect(names.some((n) => n.startsWith('shard 1/2 · vitest worker'))).toBe(true)
      expect(names.some((n) => n.startsWith('shard 2/2 · vitest worker'))).toBe(true)
      expect(trace.slices.filter((s) => s.cat === 'test').length).toBe(6)
      // The shards' own files are left as they were.
      expect([1, 2].map((i) => readFileSync(join(checkout, `.vitest/napi-tracing/shard-${i}-of-2/report.json`), 'utf8'))).toEqual(shardFiles)

      // A shard whose folder did not reach the merge job is named, and the rest is still reported.
      rmSync(join(checkout, '.vitest/napi-tracing/shard-2-of-2'), { recursive: true })
      runVitest({ ...defaults, args: ['--merge-reports'] })
      const partial = JSON.parse(readFileSync(join(checkout, '.vitest/napi-tracing/report.json'), 'utf8')) as SpanReport
      expect(callsOf(partial)).toEqual(callsOf(unsharded))
      expect(partial.problems).toEqual([expect.stringMatching(/^the trace of shard 2\/2 is not here \(.*shard-2-of-2\/trace\.json\): copy that shard's shard-2-of-2 folder/)])

      // A shard whose blob did not arrive but whose folder did: its figures and trace still merged, the gap named.
      cpSync(join(jobs[1]!, '.vitest/napi-tracing/shard-2-of-2'), join(checkout, '.vitest/napi-tracing/shard-2-of-2'), { recursive: true })
      const blobs = readdirSync(join(checkout, '.vitest-reports'))
      expect(blobs).toEqual(['blob-1-2.json', 'blob-2-2.json'])
      rmSync(join(checkout, '.vitest-reports/blob-2-2.json'))
      runVitest({ ...defaults, args: ['--merge-reports'] })
      const blobless = JSON.parse(readFileSync(join(checkout, '.vitest/napi-tracing/report.json'), 'utf8')) as SpanReport
      expect(blobless.problems).toEqual([expect.stringMatching(/^shard 2 of 2: its blob report did not reach this job, so Vitest's summary leaves its tests out; its \d+ tests? and trace are taken from \S*shard-2-of-2$/)])
      expect(callsOf(blobless)).toEqual(callsOf(unsharded))
      const both = await loadTrace(join(checkout, '.vitest/napi-tracing/trace.json'))
      expect([...both.processes.values()].some((p) => (p.name ?? '').startsWith('shard 2/2 · vitest worker'))).toBe(true)
      // Neither its blob nor its folder: named, the rest reported.
      rmSync(join(checkout, '.vitest/napi-tracing/shard-2-of-2'), { recursive: true })
      runVitest({ ...defaults, args: ['--merge-reports'] })
      const lost = JSON.parse(readFileSync(join(checkout, '.vitest/napi-tracing/report.json'), 'utf8')) as SpanReport
      expect(lost.problems).toEqual([expect.stringMatching(/^shard 2 of 2: no blob, no trace: neither its blob report nor its shard-2-of-2 folder reached this job/)])
      expect(lost.tests.length).toBeGreaterThan(0)
    } finally {
      rmSync(checkout, { recursive: true, force: true })
    }
  })
})

describe('the same suite, run 50 times', () => {
  // Un-awaited AsyncTask calls, spans made in compute() with no parent, test.concurrent tests awaiting
  // AsyncTasks, threads spawned in a call: carried where the crate cannot see the cause, or not.
  const LIBUV = 'resolver > resolves on the libuv pool'
  const UNAWAITED = 'resolver > leaves a resolve running it never awaits'
  const OWN_THREAD = 'resolver > resolves on a thread of its own'
  test.each(['forks', 'threads', 'vmForks', 'vmThreads'] as Pool[])(
    '%s: identical counts of every span known to be its test\'s, in every run; each run gated on the one before, with no regression',
    (pool) => {
      const runs = watchReruns({
        project: 'resolver',
        files: ['resolve.test.ts', 'concurrent.test.ts'],
        runs: 50,
        pool,
        env: { RESOLVER_LOG_SETUP: 'layer', FIXTURE_GATE: '1' },
      })
      const [first] = runs
      // What the carry gives each test, whatever the timing.
      expect(first!.exact[LIBUV]).toMatchObject({ resolve: 1 })
      expect(first!.exact[UNAWAITED]).toMatchObject({ resolve: 1, resolve_sync: 1 })
      expect(first!.exact[OWN_THREAD]).toMatchObject({ resolve_on_thread: 1 })
      for (const name of ['one', 'two', 'three']) expect(first!.exact[`side by side > resolves ${name}`]).toMatchObject({ new_resolver: 1, resolve: 2 })
      for (const run of runs) {
        expect({ run: run.run, exact: run.exact, files: run.files }).toEqual({ run: run.run, exact: first!.exact, files: first!.files })
        if (run.run === 1) continue
        // Gated on the run before: spans placed by time may move, but are never a regression.
        expect(run.comparison?.changes.filter((c) => !c.timed && c.kind !== 'faster'), `run ${run.run}`).toEqual([])
        expect(run.problems, `run ${run.run}`).toEqual([])
      }
      // Without the carry, a span made in compute() is placed by time, and report.json says so.
      const placedByTime = runs.flatMap((r) => Object.values(r.timed).map((byName) => byName['resolve'] ?? 0))
      if (pool === 'forks' || pool === 'vmForks') expect(placedByTime.some((n) => n > 0)).toBe(true)
    },
    600_000,
  )
})

describe('vitest-napi-tracing compare', () => {
  const outputs = (env: Record<string, string> = {}) => runVitest({ project: 'work', env }).reportPath

  test('identical code: no count change and no time flagged, in five runs; a changed addon: the count; a 3× slower span: flagged', () => {
    const base = outputs()
    for (let run = 0; run < 5; run++) {
      const out = command(['compare', base, outputs()])
      expect(out.code, out.stderr).toBe(0)
      expect(out.stdout).toMatch(
        /^ Compared with the baseline: no change in 1 test\n {3}\S+report\.json\n {3}times over the run: 0 paths judged, \d+ with too few tests to judge \(--paths lists each\)\n {3}counts: gated exactly: no kept runs to tell which vary \(napiTracing\(\{ keep \}\), or --history\)\n?$/,
      )
    }
    const more = command(['compare', base, outputs({ EXTRA_STEPS: '1' }), '--fail-on-regression'])
    expect(more.code).toBe(1)
    expect(more.stdout).toContain('+1 call work › step')
    const slower = command(['compare', base, outputs({ SLOW: '3' })])
    expect(slower.code).toBe(0)
    expect(slower.stdout).toMatch(/↑ \d+\.\d× work › spin/)
    expect(slower.stdout).not.toContain('work › step\n')
  })

  test('over the run: a span made once per test is judged from its median over 20 tests; five identical runs flag nothing, a 3× slower addon is flagged', () => {
    const units = (more: Record<string, string> = {}) => runVitest({ project: 'units', env: more }).reportPath
    const base = units()
    for (let run = 0; run < 5; run++) {
      const out = command(['compare', base, units(), '--paths'])
      expect(out.code, out.stderr).toBe(0)
      expect(out.stdout).toMatch(/^ Compared with the baseline: no change in 20 tests\n/)
      // `work` is made once in each test: never judged per test, judged over the run.
      expect(out.stdout.replace(/\n {7}/g, ' ')).toMatch(/\n {5}work: over 20 and 20 tests: median [\d.]+ → [\d.]+ ms \([\d.]+×\), threshold 2×; counts gated exactly \(no kept runs to learn which vary\)\n/)
    }
    const slower = command(['compare', base, units({ SLOW: '3' }), '--fail-on-regression'])
    expect(slower.code, slower.stdout).toBe(1)
    expect(slower.stdout).toMatch(/\n {3}\(all tests\)\n {5}↑ \d+\.\d× work \(median over the run\)\n/)
  })

  test('bad input is an error naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-compare-'))
    const good = outputs()
    const v1 = join(dir, 'v1.json')
    writeFileSync(v1, JSON.stringify({ version: 1, tests: [], files: [] }))
    const foreign = join(dir, 'package.json')
    writeFileSync(foreign, JSON.stringify({ name: 'x' }))
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.json'), /cannot read .*missing\.json: ENOENT/],
      [v1, /v1\.json is a version-1 report\.json, which has no call trees; rerun the tests/],
      [foreign, /package\.json is not a vitest-napi-tracing report\.json/],
    ]
    for (const [path, message] of cases) {
      const out = command(['compare', path, good])
      expect(out.code).toBe(2)
      expect(out.stderr).toMatch(message)
    }
  })
})

describe("napiTracing({ baseline: 'previous', keep: 2, failOnRegression })", () => {
  test('each run is compared with the last; a regression fails the run; two runs are kept', () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'napi-tracing-baseline-'))
    const run = (more: Record<string, string> = {}) => runVitest({ project: 'work', outputDir, env: { FIXTURE_BASELINE: '1', ...more } })
    const first = run()
    expect(first.exitCode).toBe(0)
    expect(first.report().problems).toEqual([expect.stringMatching(/^baseline 'previous': no earlier run is kept/)])
    const second = run()
    expect(second.exitCode).toBe(0)
    expect(second.report().comparison).toMatchObject({ tests: 1, changes: [] })
    expect(second.stdout).toMatch(/Compared with the baseline: no change in 1 test\n +\S*history\/\S+\/report\.json\n/)
    const slower = run({ SLOW: '3' })
    expect(slower.exitCode).toBe(1)
    expect(slower.stdout).toMatch(/\n {3}work\.test\.ts > a unit of work\n {5}↑ \d+\.\d× work › spin\n\n/)
    expect(slower.report().problems).toEqual([`1 regression against ${slower.report().comparison!.baseline}: the run fails (failOnRegression)`])
    expect(readdirSync(join(outputDir, 'history'))).toHaveLength(2)
  })
})

describe('a suite whose span counts vary between identical runs, gated with keep and failOnRegression', () => {
  test('ten identical runs fail none: the varying path is judged by the range kept runs showed, the others exactly; calling it twice as often fails the run', () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'napi-tracing-polls-'))
    const run = (more: Record<string, string> = {}) => runVitest({ project: 'polls', outputDir, env: more })
    const polls: number[] = []
    for (let i = 1; i <= 10; i++) {
      const identical = run()
      const report = identical.report()
      // failOnRegression would fail the run, and say so.
      expect(identical.exitCode, `run ${i}: ${identical.stdout}`).toBe(0)
      expect(report.problems.filter((p) => /regression/.test(p)), `run ${i}`).toEqual([])
      polls.push(report.tests[0]!.spans.find((s) => s.name === 'poll')!.calls)
    }
    // The fixture does what it is for: its polls vary from run to run.
    expect(new Set(polls).size, polls.join(' ')).toBeGreaterThan(1)
    const paths = command(['compare', join(outputDir, 'history', readdirSync(join(outputDir, 'history')).sort().at(-1)!, 'report.json'), join(outputDir, 'report.json'), '--paths'])
    expect(paths.code, paths.stderr).toBe(0)
    // Each path on one line (the output wraps them at 100 columns).
    const lines = paths.stdout.replace(/\n {7}/g, ' ')
    expect(lines).toMatch(/counts: learnt from 9 kept runs: 2 gated exactly, 1 varying \(judged by their range\), 0 learning\n/)
    expect(lines).toMatch(/\n {3}· poll_io › op › poll: made in 1 and 1 tests: fewer than 5 samples in a run; counts vary across 9 kept runs in 1 test: judged by the range they showed\n/)
    expect(lines).toMatch(/\n {3}· poll_io: made in 1 and 1 tests: fewer than 5 samples in a run; counts gated exactly \(the same in 9 kept runs\)\n/)

    const twice = run({ POLL_CALLS: '2' })
    expect(twice.exitCode, twice.stdout).toBe(1)
    expect(twice.stdout).toMatch(/\n {5}\+1 call poll_io\n/)
    expect(twice.report().problems).toContainEqual(expect.stringMatching(/regressions? against .*: the run fails \(failOnRegression\)$/))
  })
})

describe('vitest-napi-tracing open', () => {
  test('serves the trace once with the header ui.perfetto.dev needs, prints the link, and exits; a taken port gets another', async () => {
    const trace = runVitest({ project: 'basic' }).tracePath
    // Perfetto's port taken, as by another opener.
    const blocker = createServer().listen(9001, '127.0.0.1')
    await once(blocker, 'listening').catch(() => undefined)
    try {
      const child = spawn(cli, ['open', trace, '--no-browser'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
      let out = ''
      const link = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const match = /Open (https:\/\/ui\.perfetto\.dev\/#!\/\?url=\S+)/.exec(out)
          if (match) resolve(match[1]!)
        })
        child.on('exit', () => reject(new Error(`exited before printing a link: ${out}`)))
      })
      expect(out).toMatch(/port 9001 is taken, so the trace is served on \d+/)
      const url = decodeURIComponent(new URL(link.replace('#!/?', '?')).searchParams.get('url')!)
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/trace\.json$/)
      const response = await fetch(url)
      expect(response.headers.get('access-control-allow-origin')).toBe('https://ui.perfetto.dev')
      expect(await response.text()).toBe(readFileSync(trace, 'utf8'))
      const [code] = (await once(child, 'exit')) as [number]
      expect(code).toBe(0)
      expect(out).toContain('The trace was fetched.')
    } finally {
      blocker.close()
    }
  })

  test('a trace that is not there is an error naming it', () => {
    const out = command(['open', join(tmpdir(), 'no-such-trace.json'), '--no-browser'])
    expect(out.code).toBe(2)
    expect(out.stderr).toMatch(/cannot read .*no-such-trace\.json: ENOENT.*run the tests with the plugin first/)
  })
})
