/**
 * `npm run bench`, end to end: Vitest runs on fixture suites, with the plugin
 * and without (VITEST_NAPI_TRACING=0), alternating, in child processes.
 *
 * - `million`: about 1,070,000 spans in 4 files over 4 workers, with the
 *   fib addon built in release mode (as users' CI would) and in the dev
 *   profile with the README's profile lines (the tests' build). Wall time of
 *   the whole run (median of rounds, paired ratio), each worker's peak RSS,
 *   the main process's peak RSS, trace.json size and the time to merge it.
 * - `five-thousand`: 5,000 tests of one span each in 4 files over 4 workers
 *   (release fib): the plugin's cost per test, as the same paired ratio.
 * - `promises`: 2,000 tests of one span and 200 awaited promises each (release
 *   fib), in 4 files over 4 workers: what a suite that awaits a lot pays.
 * - `ten-million`: one test making 11.4 million spans: it must finish; the
 *   worker's and the main process's peak RSS, trace size, merge time.
 * - With `profile: 'js'` (JavaScript samples and memory, FIXTURE_PROFILE=js):
 *   `million` (release) and `five-thousand` run a third way each round,
 *   and their wall time is compared with the plugin's without it (paired).
 *
 * Results: a table on stdout, JSON in bench/results/suite.json.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { summarize, type Summary } from './stats.js'

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs')
const MAIN_RSS = join(ROOT, 'bench/main-rss.cjs')

/** How a suite runs: without the plugin, with it, with it and `profile: 'js'`. */
type Mode = 'plain' | 'traced' | 'profiled'

interface Run {
  wallMs: number
  exitCode: number | null
  mainRssMb: number
  workerRssMb: number[]
  trace?: { events: number; bytes: number; writeMs: number }
  /** Spans in report.json (all tests and files), with the plugin. */
  spans?: number
}

/** The fib builds the million suite runs: the loader (MILLION_FIB), or the tests' build. */
const BUILDS: Array<{ name: string; loader?: string }> = [
  { name: 'release', loader: join(ROOT, 'target/bench/fib-release/index.js') },
  { name: 'dev profile, README profile lines' },
]

function run(project: string, traced: boolean, loader?: string, profiled = false): Run {
  const out = mkdtempSync(join(tmpdir(), `napi-tracing-suite-${project}-`))
  const env = {
    ...process.env,
    ...(loader ? { MILLION_FIB: loader } : {}),
    NO_COLOR: '1',
    FIXTURE_OUTPUT_DIR: out,
    PEAK_RSS_FILE: join(out, 'workers.jsonl'),
    MAIN_RSS_FILE: join(out, 'main.json'),
    VITEST_NAPI_TRACING: traced ? '1' : '0',
    FIXTURE_PROFILE: profiled ? 'js' : '',
  }
  const started = performance.now()
  // The machine's Node 20 runs Vitest 4, as `npm test` does.
  const child = spawnSync('node', ['--require', MAIN_RSS, VITEST, 'run', '--root', join(ROOT, 'test-fixtures/projects', project)], {
    env,
    encoding: 'utf8',
    timeout: 900_000,
  })
  const wallMs = performance.now() - started
  const lines = (path: string) => {
    try {
      return readFileSync(path, 'utf8').split('\n').filter(Boolean)
    } catch {
      return []
    }
  }
  const workerRssMb = lines(env.PEAK_RSS_FILE).map((l) => (JSON.parse(l) as { maxRssKb: number }).maxRssKb / 1024)
  const main = lines(env.MAIN_RSS_FILE)[0]
  const result: Run = {
    wallMs,
    exitCode: child.status,
    mainRssMb: main ? (JSON.parse(main) as { maxRssKb: number }).maxRssKb / 1024 : NaN,
    workerRssMb,
  }
  if (traced) {
    type Spans = { spans: Array<{ calls: number }> }
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { trace?: Run['trace']; tests: Spans[]; files: Spans[] }
    if (report.trace) result.trace = { events: report.trace.events, bytes: report.trace.bytes, writeMs: report.trace.writeMs }
    result.spans = [...report.tests, ...report.files].flatMap((t) => t.spans).reduce((sum, s) => sum + s.calls, 0)
  }
  if (child.status !== 0) console.error(`${project} (${profiled ? 'profiled' : traced ? 'traced' : 'plain'}) exited ${child.status}:\n${child.stdout}\n${child.stderr}`)
  rmSync(out, { recursive: true, force: true })
  return result
}

/** Spans the suites make (their test files say how). */
const MILLION_SPANS = 1_068_468
const TEN_MILLION_SPANS = 11_405_773
const FIVE_THOUSAND_SPANS = 5_000
const PROMISES_SPANS = 2_000
const rounds = Number(process.argv[2] ?? 5)

type Paired = { traced: Run[]; plain: Run[]; profiled?: Run[] }

/**
 * One round of `project`, each mode once, the order rotated every round so
 * that drift weighs on all (with `profiled`, also with `profile: 'js'`).
 */
function pair(round: number, into: Paired, project: string, loader?: string, profiled = false): void {
  const modes: Mode[] = profiled ? ['traced', 'plain', 'profiled'] : ['traced', 'plain']
  const order = [...modes.slice(round % modes.length), ...modes.slice(0, round % modes.length)]
  for (const mode of order) {
    const result = run(project, mode !== 'plain', loader, mode === 'profiled')
    if (mode === 'profiled') (into.profiled ??= []).push(result)
    else into[mode].push(result)
  }
}

const results: Record<string, Paired> = Object.fromEntries(BUILDS.map((b) => [`million · ${b.name}`, { traced: [], plain: [] }]))
const RELEASE = BUILDS[0]!.loader
for (let round = 0; round < rounds; round++) {
  for (const build of BUILDS) pair(round, results[`million · ${build.name}`]!, 'million', build.loader, build.loader === RELEASE)
  process.stdout.write('.')
}
results['five-thousand · release'] = { traced: [], plain: [] }
for (let round = 0; round < rounds; round++) pair(round, results['five-thousand · release']!, 'five-thousand', RELEASE, true)
results['promises · release'] = { traced: [], plain: [] }
for (let round = 0; round < rounds; round++) pair(round, results['promises · release']!, 'promises', RELEASE)
results['ten-million'] = { traced: [run('ten-million', true)], plain: [] }
console.log()

const ms = (s: Summary) => `${(s.median / 1000).toFixed(2)} s [${(s.min / 1000).toFixed(2)}–${(s.max / 1000).toFixed(2)}]`
const mb = (values: number[]) => (values.length ? `${Math.max(...values).toFixed(0)} MB` : 'n/a')
const lines: string[] = []
const ratios: Record<string, number[]> = {}

/** Fails the bench where a traced run's report.json does not count every span the suite makes. */
function checkSpans(name: string, runs: readonly Run[], expected: number): void {
  for (const r of runs) {
    if (r.spans !== expected) {
      console.error(`${name}: report.json has ${r.spans} spans, expected ${expected}`)
      process.exitCode = 1
    }
  }
}

/** A paired suite's wall times and ratio against `target` (its lines), the ratios kept for suite.json. */
function wallTimes(name: string, paired: Paired, target: string): { lines: string[]; traced: Summary; plain: Summary } {
  const each = paired.traced.map((t, i) => t.wallMs / paired.plain[i]!.wallMs)
  ratios[name] = each
  const traced = summarize(paired.traced.map((r) => r.wallMs))
  const plain = summarize(paired.plain.map((r) => r.wallMs))
  const lines = [
    `  wall time with plugin     ${ms(traced)}`,
    `  wall time without         ${ms(plain)}`,
    `  ratio (paired, median)    ${summarize(each).median.toFixed(2)} [${Math.min(...each).toFixed(2)}–${Math.max(...each).toFixed(2)}]   target ${target}`,
  ]
  if (paired.profiled) {
    // What `profile: 'js'` adds to the plugin's run, paired within each round.
    const over = paired.profiled.map((p, i) => p.wallMs / paired.traced[i]!.wallMs)
    ratios[`${name} · profile js`] = over
    lines.push(
      `  wall time, profile: 'js'  ${ms(summarize(paired.profiled.map((r) => r.wallMs)))}`,
      `  ratio to the plugin's     ${summarize(over).median.toFixed(2)} [${Math.min(...over).toFixed(2)}–${Math.max(...over).toFixed(2)}] (paired, median)`,
    )
  }
  return { traced, plain, lines }
}

for (const build of BUILDS) {
  const name = `million · ${build.name}`
  const million = results[name]!
  checkSpans(name, million.traced, MILLION_SPANS)
  if (million.profiled) checkSpans(`${name} · profile js`, million.profiled, MILLION_SPANS)
  const wall = wallTimes(name, million, '≤ 1.2 (release)')
  lines.push(
    `${name} (${MILLION_SPANS.toLocaleString('en-US')} spans, 4 files, 4 workers), ${rounds} rounds:`,
    ...wall.lines,
    `  wall time added per span  ${(((wall.traced.median - wall.plain.median) * 1e3) / MILLION_SPANS).toFixed(2)} µs (medians; 4 workers on ${availableParallelism()} cores)`,
    `  worker peak RSS           with ${mb(million.traced.flatMap((r) => r.workerRssMb))}, without ${mb(million.plain.flatMap((r) => r.workerRssMb))}`,
    `  main process peak RSS     with ${mb(million.traced.map((r) => r.mainRssMb))}, without ${mb(million.plain.map((r) => r.mainRssMb))}`,
    `  trace.json                ${((million.traced[0]?.trace?.bytes ?? 0) / 1e6).toFixed(0)} MB, ${million.traced[0]?.trace?.events.toLocaleString('en-US')} entries, merged in ${million.traced.map((r) => r.trace?.writeMs ?? NaN).join(' / ')} ms`,
  )
}
{
  const name = 'five-thousand · release'
  const five = results[name]!
  checkSpans('five-thousand', five.traced, FIVE_THOUSAND_SPANS)
  if (five.profiled) checkSpans('five-thousand · profile js', five.profiled, FIVE_THOUSAND_SPANS)
  const wall = wallTimes(name, five, '≤ 1.25')
  // One span per test: the spans count the tests.
  lines.push(
    `${name} (5,000 tests of one span, 4 files, 4 workers), ${rounds} rounds:`,
    ...wall.lines,
    `  wall time added per test  ${(((wall.traced.median - wall.plain.median) * 1e3) / FIVE_THOUSAND_SPANS).toFixed(0)} µs (medians)`,
  )
}
{
  const name = 'promises · release'
  const promises = results[name]!
  checkSpans('promises', promises.traced, PROMISES_SPANS)
  const wall = wallTimes(name, promises, '≤ 1.10')
  lines.push(`${name} (2,000 tests of one span and 200 awaited promises, 4 files, 4 workers), ${rounds} rounds:`, ...wall.lines)
}
const ten = results['ten-million']!.traced[0]!
checkSpans('ten-million', [ten], TEN_MILLION_SPANS)
lines.push(
  `ten-million (${TEN_MILLION_SPANS.toLocaleString('en-US')} spans in one test, the tests' build):`,
  `  exit code ${ten.exitCode}, wall ${(ten.wallMs / 1000).toFixed(1)} s`,
  `  worker peak RSS ${mb(ten.workerRssMb)}, main process peak RSS ${mb([ten.mainRssMb])}`,
  `  trace.json ${((ten.trace?.bytes ?? 0) / 1e6).toFixed(0)} MB, ${ten.trace?.events.toLocaleString('en-US')} entries, merged in ${ten.trace?.writeMs} ms`,
)
console.log(lines.join('\n'))
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(join(ROOT, 'bench/results/suite.json'), JSON.stringify({ date: new Date().toISOString(), rounds, results, ratios }, null, 2))
