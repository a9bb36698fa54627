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
 * - `ten-million`: one test making 11.4 million spans: it must finish; the
 *   worker's and the main process's peak RSS, trace size, merge time.
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

function run(project: string, traced: boolean, loader?: string): Run {
  const out = mkdtempSync(join(tmpdir(), `napi-tracing-suite-${project}-`))
  const env = {
    ...process.env,
    ...(loader ? { MILLION_FIB: loader } : {}),
    NO_COLOR: '1',
    FIXTURE_OUTPUT_DIR: out,
    PEAK_RSS_FILE: join(out, 'workers.jsonl'),
    MAIN_RSS_FILE: join(out, 'main.json'),
    VITEST_NAPI_TRACING: traced ? '1' : '0',
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
  if (child.status !== 0) console.error(`${project} (${traced ? 'traced' : 'plain'}) exited ${child.status}:\n${child.stdout}\n${child.stderr}`)
  rmSync(out, { recursive: true, force: true })
  return result
}

/** Spans the suites make (their test files say how). */
const MILLION_SPANS = 1_068_468
const TEN_MILLION_SPANS = 11_405_773
const FIVE_THOUSAND_SPANS = 5_000
const rounds = Number(process.argv[2] ?? 5)
const results: Record<string, { traced: Run[]; plain: Run[] }> = Object.fromEntries(BUILDS.map((b) => [`million · ${b.name}`, { traced: [], plain: [] }]))
for (let round = 0; round < rounds; round++) {
  for (const build of BUILDS) {
    // Alternate which goes first, so drift weighs on both.
    const order = round % 2 === 0 ? [true, false] : [false, true]
    for (const traced of order) results[`million · ${build.name}`]![traced ? 'traced' : 'plain'].push(run('million', traced, build.loader))
  }
  process.stdout.write('.')
}
const RELEASE = BUILDS[0]!.loader
results['five-thousand · release'] = { traced: [], plain: [] }
for (let round = 0; round < rounds; round++) {
  for (const traced of round % 2 === 0 ? [true, false] : [false, true]) results['five-thousand · release']![traced ? 'traced' : 'plain'].push(run('five-thousand', traced, RELEASE))
}
results['ten-million'] = { traced: [run('ten-million', true)], plain: [] }
console.log()

const ms = (s: Summary) => `${(s.median / 1000).toFixed(2)} s [${(s.min / 1000).toFixed(2)}–${(s.max / 1000).toFixed(2)}]`
const mb = (values: number[]) => (values.length ? `${Math.max(...values).toFixed(0)} MB` : 'n/a')
const lines: string[] = []
const ratios: Record<string, number[]> = {}
for (const build of BUILDS) {
  const name = `million · ${build.name}`
  const million = results[name]!
  for (const r of million.traced) {
    if (r.spans !== MILLION_SPANS) {
      console.error(`${name}: report.json has ${r.spans} spans, expected ${MILLION_SPANS}`)
      process.exitCode = 1
    }
  }
  const paired = million.traced.map((t, i) => t.wallMs / million.plain[i]!.wallMs)
  ratios[name] = paired
  const traced = summarize(million.traced.map((r) => r.wallMs))
  const plain = summarize(million.plain.map((r) => r.wallMs))
  lines.push(
    `${name} (${MILLION_SPANS.toLocaleString('en-US')} spans, 4 files, 4 workers), ${rounds} rounds:`,
    `  wall time with plugin     ${ms(traced)}`,
    `  wall time without         ${ms(plain)}`,
    `  ratio (paired, median)    ${summarize(paired).median.toFixed(2)} [${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}]   target ≤ 1.2 (release)`,
    `  wall time added per span  ${(((traced.median - plain.median) * 1e3) / MILLION_SPANS).toFixed(2)} µs (medians; 4 workers on ${availableParallelism()} cores)`,
    `  worker peak RSS           with ${mb(million.traced.flatMap((r) => r.workerRssMb))}, without ${mb(million.plain.flatMap((r) => r.workerRssMb))}`,
    `  main process peak RSS     with ${mb(million.traced.map((r) => r.mainRssMb))}, without ${mb(million.plain.map((r) => r.mainRssMb))}`,
    `  trace.json                ${((million.traced[0]?.trace?.bytes ?? 0) / 1e6).toFixed(0)} MB, ${million.traced[0]?.trace?.events.toLocaleString('en-US')} entries, merged in ${million.traced.map((r) => r.trace?.writeMs ?? NaN).join(' / ')} ms`,
  )
}
{
  const five = results['five-thousand · release']!
  for (const r of five.traced) {
    if (r.spans !== FIVE_THOUSAND_SPANS) {
      console.error(`five-thousand: report.json has ${r.spans} spans, expected ${FIVE_THOUSAND_SPANS}`)
      process.exitCode = 1
    }
  }
  const paired = five.traced.map((t, i) => t.wallMs / five.plain[i]!.wallMs)
  ratios['five-thousand · release'] = paired
  const traced = summarize(five.traced.map((r) => r.wallMs))
  const plain = summarize(five.plain.map((r) => r.wallMs))
  lines.push(
    `five-thousand · release (5,000 tests of one span, 4 files, 4 workers), ${rounds} rounds:`,
    `  wall time with plugin     ${ms(traced)}`,
    `  wall time without         ${ms(plain)}`,
    `  ratio (paired, median)    ${summarize(paired).median.toFixed(2)} [${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}]   target ≤ 1.25`,
    `  wall time added per test  ${((traced.median - plain.median) / 5000 * 1000).toFixed(0)} µs (medians)`,
  )
}
const ten = results['ten-million']!.traced[0]!
if (ten.spans !== TEN_MILLION_SPANS) {
  console.error(`ten-million: report.json has ${ten.spans} spans, expected ${TEN_MILLION_SPANS}`)
  process.exitCode = 1
}
lines.push(
  `ten-million (${TEN_MILLION_SPANS.toLocaleString('en-US')} spans in one test, the tests' build):`,
  `  exit code ${ten.exitCode}, wall ${(ten.wallMs / 1000).toFixed(1)} s`,
  `  worker peak RSS ${mb(ten.workerRssMb)}, main process peak RSS ${mb([ten.mainRssMb])}`,
  `  trace.json ${((ten.trace?.bytes ?? 0) / 1e6).toFixed(0)} MB, ${ten.trace?.events.toLocaleString('en-US')} entries, merged in ${ten.trace?.writeMs} ms`,
)
console.log(lines.join('\n'))
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(join(ROOT, 'bench/results/suite.json'), JSON.stringify({ date: new Date().toISOString(), rounds, results, ratios }, null, 2))
