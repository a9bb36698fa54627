/**
 * Two runs' report.json compared, per test and span path: what
 * `vitest-napi-tracing compare` prints and `napiTracing({ baseline })`
 * adds to the report. Pure, but for `readReport`.
 *
 * Counts are compared exactly where they are exact: most code makes the
 * same spans on every run, so any change in calls of spans a test's calls
 * are known to have made is shown, and more is a regression. Some code does
 * not: a poll loop whose length follows I/O makes a varying number of
 * spans. Kept runs (`keep`) tell which: a path whose count in a test was the
 * same in `AGREEING_RUNS` kept runs is gated exactly; one whose count
 * varied is judged by the range they showed, widened on either side by its
 * own ratio (most over fewest, at least 1.1); until then it is learning,
 * shown and never a regression.
 * Without kept runs every count is gated exactly. Spans placed by time (or
 * shared by concurrent tests) can land in another test from run to run:
 * their changes are shown, marked, never a regression.
 *
 * Times are noisy. A path fewer than `MIN_SAMPLES` tests make is slower (or
 * faster) in a test when both its shortest span and its mean span without
 * its slowest (a cold first call) changed by more than the threshold and its
 * total by more than `minTestDeltaMs`, for paths called at least
 * `MIN_CALLS` times in that test in both runs. A path at least
 * `MIN_SAMPLES` tests make in both runs is judged over the run instead, from
 * one sample per test that makes it (that mean there): slower when the median and the lower quartile of those
 * samples both moved beyond the threshold. With kept runs, each threshold is
 * widened to the spread the kept runs showed: a test's path's to that of its
 * mean there, a path's over the run to that of its median. Each path says
 * why it was judged or not, and how its counts were gated.
 */
import { readFileSync } from 'node:fs'
import { messageOf } from '../../src/errors.js'
import type { Change, Comparison, CountGate, PathJudgement, ReportNode, ReportTest, SpanReport } from './model.js'
import { joinKey, splitKey } from '../data/keys.js'

export type { Change, Comparison, CountGate, PathJudgement } from './model.js'

export interface CompareOptions {
  /** How many times slower (or faster) both figures must be. @default 2 */
  threshold?: number
  /** How much a path's mean span over the run must change, in ms, to count at all. @default 0.02 */
  minDeltaMs?: number
  /** How much a path's total time in one test must change, in ms, to count there at all. @default 0.1 */
  minTestDeltaMs?: number
  /**
   * Earlier runs (kept in the history), oldest first, the baseline among
   * them or not: which paths' counts vary, and each path's noise.
   */
  history?: readonly SpanReport[]
}

/**
 * Calls a path needs in a test, in both runs, for its time there to be
 * judged: the shortest of one call is that call, and two calls may both be
 * the cold first ones of a fresh worker.
 */
export const MIN_CALLS = 3
/** Tests making a path, in both runs, for its time over the run to be judged. */
export const MIN_SAMPLES = 5
/** How much wider than the spread kept runs showed a path's threshold is. */
const NOISE_MARGIN = 1.25
/** Kept runs that must agree on a path's count in a test before it is gated exactly. */
export const AGREEING_RUNS = 3
/** The least a varying count's range is widened by on either side, as a share. */
const RANGE_SLACK = 0.1

/** Reads a report.json of version 2, or throws an error that names the file and what is wrong. */
export function readReport(path: string): SpanReport {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new Error(`cannot read ${path}: ${messageOf(error)}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new Error(`${path} is not JSON (${messageOf(error)}); give the report.json a run of the plugin wrote`)
  }
  const report = json as Partial<SpanReport> | null
  if (typeof report !== 'object' || report === null || typeof report.version !== 'number' || !Array.isArray(report.tests)) {
    throw new Error(`${path} is not a vitest-napi-tracing report.json (no version and tests); give the report.json a run of the plugin wrote`)
  }
  if (report.version < 2) {
    throw new Error(`${path} is a version-${report.version} report.json, which has no call trees; rerun the tests with this version of vitest-napi-tracing to compare`)
  }
  return report as SpanReport
}

/** The figures of one path in one test. */
interface PathFigures {
  calls: number
  totalMs: number
  minMs: number
  maxMs: number
}

function keyOf(t: { file: string; name: string; project?: string }): string {
  return `${t.project !== undefined ? `[${t.project}] ` : ''}${t.file} > ${t.name}`
}

/** The changes from `base` to `next`, per test both have and span path, and over the run. */
export function compareReports(base: SpanReport, next: SpanReport, baseline: string, options: CompareOptions = {}): Comparison {
  const threshold = options.threshold ?? 2
  const minDeltaMs = options.minDeltaMs ?? 0.02
  // A preemption costs tens of µs: a test's path must lose more than that in all to be slower.
  const minTestDeltaMs = options.minTestDeltaMs ?? 0.1
  const history = withBaseline(options.history ?? [], base)
  const counts = countKnowledge(history)
  const testNoise = testNoiseOf(history)
  const before = new Map(base.tests.map((t) => [keyOf(t), t]))
  const changes: Change[] = []
  const shared: Array<[ReportTest, ReportTest]> = []
  for (const test of next.tests) {
    const old = before.get(keyOf(test))
    if (old && old.state !== 'skipped' && test.state !== 'skipped') shared.push([old, test])
  }
  const overTheRun = judgedOverTheRun(shared)
  const gates = new Map<string, CountGate[]>()
  for (const [old, test] of shared) {
    const key = keyOf(test)
    for (const exact of [true, false]) {
      const was = flatten(old.tree, exact)
      const now = flatten(test.tree, exact)
      const timed = exact ? {} : { timed: true as const }
      for (const [path, n] of now) {
        const b = was.get(path)
        if (!b) {
          changes.push({ test: key, path, kind: 'new', calls: [0, n.calls], meanMs: [0, meanOf(n)], ratio: Infinity, ...timed })
          continue
        }
        if (exact) {
          const gate = counts.gate(key, path)
          gates.set(path, [...(gates.get(path) ?? []), gate.gate])
          if (countChanged(gate, b.calls, n.calls)) {
            const judged = gate.gate === 'exact' ? {} : { gate: gate.gate, ...(gate.range ? { range: gate.range } : {}) }
            changes.push({ test: key, path, kind: 'calls', calls: [b.calls, n.calls], meanMs: [meanOf(b), meanOf(n)], ratio: n.calls / b.calls, ...judged })
          }
        } else if (b.calls !== n.calls) {
          changes.push({ test: key, path, kind: 'calls', calls: [b.calls, n.calls], meanMs: [meanOf(b), meanOf(n)], ratio: n.calls / b.calls, ...timed })
        }
        // A path enough tests make is judged over the run: one test's few calls may all fall in one burst of load.
        if (!exact || b.calls < MIN_CALLS || n.calls < MIN_CALLS || overTheRun.has(path)) continue
        const spread = testNoise.get(joinKey(key, path))
        const testThreshold = spread !== undefined ? Math.max(threshold, spread * NOISE_MARGIN) : threshold
        const [baseMean, mean] = [warmMeanOf(b), warmMeanOf(n)]
        const lost = (mean - baseMean) * (n.calls - 1)
        const slower = n.minMs > b.minMs * testThreshold && mean > baseMean * testThreshold && lost > minTestDeltaMs
        const faster = b.minMs > n.minMs * testThreshold && baseMean > mean * testThreshold && -lost > minTestDeltaMs
        if (slower || faster) {
          changes.push({ test: key, path, kind: slower ? 'slower' : 'faster', calls: [b.calls, n.calls], meanMs: [baseMean, mean], ratio: mean / baseMean, over: 'test' })
        }
      }
      for (const [path, b] of was) {
        if (!now.has(path)) changes.push({ test: key, path, kind: 'gone', calls: [b.calls, 0], meanMs: [meanOf(b), 0], ratio: 0, ...timed })
      }
    }
  }
  const { judged, runChanges } = judgeRun(shared, history, threshold, minDeltaMs, (path) => countsOf(gates.get(path) ?? [], history.length))
  const varying = counts.varying(new Set(shared.map(([, t]) => keyOf(t))))
  return {
    baseline,
    threshold,
    tests: shared.length,
    setup: setupDifferences(base, next),
    changes: [...changes, ...runChanges],
    paths: judged,
    keptRuns: history.length,
    ...(varying.length > 0 ? { varying } : {}),
  }
}

/** Paths made (exactly) in at least `MIN_SAMPLES` of the shared tests in both runs: their times are judged over the run. */
function judgedOverTheRun(shared: ReadonlyArray<[ReportTest, ReportTest]>): Set<string> {
  const made = new Map<string, [number, number]>()
  for (const pair of shared) {
    pair.forEach((test, which) => {
      for (const path of flatten(test.tree, true).keys()) {
        const counts = made.get(path) ?? [0, 0]
        counts[which]!++
        made.set(path, counts)
      }
    })
  }
  return new Set([...made].filter(([, [b, n]]) => b >= MIN_SAMPLES && n >= MIN_SAMPLES).map(([path]) => path))
}

/** How one path's count in one test is gated, from the kept runs. */
interface Gate {
  gate: CountGate
  /** Kept runs that have the test. */
  runs: number
  /** For `range`: the fewest and most calls kept runs showed. */
  range?: [number, number]
}

/** Whether a count moved from `before` to `now` by the rule of its gate. */
function countChanged(gate: Gate, before: number, now: number): boolean {
  if (gate.gate !== 'range' || !gate.range) return before !== now
  const [low, high] = gate.range
  // As wide again as the kept runs showed (a few runs show less than the
  // whole range), by ratio: a count that varied 2× may vary 2× more.
  const widen = Math.max(1 + RANGE_SLACK, low > 0 ? high / low : Infinity)
  return now < low / widen || now > high * widen
}

/**
 * The kept runs with the baseline among them: the plugin's history holds it
 * already (baseline 'previous'); a baseline from elsewhere is one more run.
 * Without kept runs there is nothing to learn from: none.
 */
function withBaseline(history: readonly SpanReport[], base: SpanReport): readonly SpanReport[] {
  if (history.length === 0) return []
  if (history.includes(base)) return history
  const tests = JSON.stringify(base.tests)
  return history.some((h) => JSON.stringify(h.tests) === tests) ? history : [...history, base]
}

/**
 * What kept runs say of each test's paths' counts: each path's count in
 * each kept run that has the test, and the ranges earlier comparisons found
 * (`comparison.varying`), which outlive the runs that showed them.
 */
function countKnowledge(history: readonly SpanReport[]): {
  gate: (test: string, path: string) => Gate
  varying: (tests: ReadonlySet<string>) => NonNullable<Comparison['varying']>
} {
  const seen = new Map<string, number[]>()
  const learnt = new Map<string, [number, number]>()
  const id = (test: string, path: string) => joinKey(test, path)
  for (const report of history) {
    for (const test of report.tests) {
      if (test.state === 'skipped') continue
      for (const [path, f] of flatten(test.tree, true)) {
        const list = seen.get(id(keyOf(test), path)) ?? []
        list.push(f.calls)
        seen.set(id(keyOf(test), path), list)
      }
    }
    for (const { test, path, range } of report.comparison?.varying ?? []) {
      const known = learnt.get(id(test, path))
      learnt.set(id(test, path), known ? [Math.min(known[0], range[0]), Math.max(known[1], range[1])] : [range[0], range[1]])
    }
  }
  const gate = (test: string, path: string): Gate => {
    if (history.length === 0) return { gate: 'exact', runs: 0 }
    const values = seen.get(id(test, path)) ?? []
    const known = learnt.get(id(test, path))
    if (values.length === 0 && !known) return { gate: 'learning', runs: 0 }
    const low = Math.min(...values, ...(known ? [known[0]] : []))
    const high = Math.max(...values, ...(known ? [known[1]] : []))
    if (low !== high) return { gate: 'range', runs: values.length, range: [low, high] }
    return { gate: values.length >= AGREEING_RUNS ? 'exact' : 'learning', runs: values.length }
  }
  const varying = (tests: ReadonlySet<string>) => {
    const out: NonNullable<Comparison['varying']> = []
    const keys = new Set([...seen.keys(), ...learnt.keys()])
    for (const key of [...keys].sort()) {
      const [test, path] = splitKey(key) as [string, string]
      if (!tests.has(test)) continue
      const g = gate(test, path)
      if (g.gate === 'range' && g.range) out.push({ test, path, range: g.range })
    }
    return out
  }
  return { gate, varying }
}

/** A path's count gate over the tests that make it, in words: the least certain of its tests' gates. */
function countsOf(gates: readonly CountGate[], runs: number): Pick<PathJudgement, 'counts' | 'countsWhy'> {
  if (runs === 0) return { counts: 'exact', countsWhy: 'counts gated exactly (no kept runs to learn which vary)' }
  if (gates.includes('range')) {
    const tests = gates.filter((g) => g === 'range').length
    return { counts: 'range', countsWhy: `counts vary across ${runs} kept runs in ${tests} test${tests === 1 ? '' : 's'}: judged by the range they showed` }
  }
  if (gates.includes('learning')) return { counts: 'learning', countsWhy: `counts learning: ${runs} kept run${runs === 1 ? '' : 's'}, ${AGREEING_RUNS} must agree to gate them exactly` }
  return { counts: 'exact', countsWhy: `counts gated exactly (the same in ${runs} kept runs)` }
}

/** Each test's path's spread across kept runs: its largest mean there (its slowest call aside) over its smallest. */
function testNoiseOf(history: readonly SpanReport[]): Map<string, number> {
  const means = new Map<string, number[]>()
  for (const report of history) {
    for (const test of report.tests) {
      for (const [path, f] of flatten(test.tree, true)) {
        if (f.calls < MIN_CALLS) continue
        const key = joinKey(keyOf(test), path)
        means.set(key, [...(means.get(key) ?? []), warmMeanOf(f)])
      }
    }
  }
  const spread = new Map<string, number>()
  for (const [key, values] of means) {
    const low = Math.min(...values)
    if (values.length >= 2 && low > 0) spread.set(key, Math.max(...values) / low)
  }
  return spread
}

/**
 * Each path's time over the run: one sample per test (both runs share the
 * test) that makes it, its mean span there without its slowest.
 */
function judgeRun(
  shared: ReadonlyArray<[ReportTest, ReportTest]>,
  history: readonly SpanReport[],
  threshold: number,
  minDeltaMs: number,
  countsOfPath: (path: string) => Pick<PathJudgement, 'counts' | 'countsWhy'>,
): { judged: PathJudgement[]; runChanges: Change[] } {
  const samples = new Map<string, { before: number[]; now: number[]; calls: [number, number] }>()
  for (const [old, test] of shared) {
    for (const [which, tree] of [
      ['before', old.tree],
      ['now', test.tree],
    ] as const) {
      for (const [path, f] of flatten(tree, true)) {
        let entry = samples.get(path)
        if (!entry) samples.set(path, (entry = { before: [], now: [], calls: [0, 0] }))
        entry[which].push(warmMeanOf(f))
        entry.calls[which === 'before' ? 0 : 1] += f.calls
      }
    }
  }
  const noise = noiseOf(history)
  const judged: PathJudgement[] = []
  const runChanges: Change[] = []
  for (const [path, { before, now, calls }] of [...samples].sort(([a], [b]) => a.localeCompare(b))) {
    const counts: [number, number] = [before.length, now.length]
    if (before.length < MIN_SAMPLES || now.length < MIN_SAMPLES) {
      judged.push({ path, judged: false, why: `made in ${counts[0]} and ${counts[1]} tests: fewer than ${MIN_SAMPLES} samples in a run`, samples: counts, threshold, ...countsOfPath(path) })
      continue
    }
    const spread = noise.get(path)
    const pathThreshold = spread !== undefined ? Math.max(threshold, spread * NOISE_MARGIN) : threshold
    const [bMedian, nMedian] = [quantile(before, 0.5), quantile(now, 0.5)]
    const [bLow, nLow] = [quantile(before, 0.25), quantile(now, 0.25)]
    const ratio = nMedian / bMedian
    const slower = nMedian > bMedian * pathThreshold && nLow > bLow * pathThreshold && nMedian - bMedian > minDeltaMs
    const faster = bMedian > nMedian * pathThreshold && bLow > nLow * pathThreshold && bMedian - nMedian > minDeltaMs
    const noted = spread !== undefined ? `, threshold ${pathThreshold.toFixed(2)}× (kept runs spread ${spread.toFixed(2)}×)` : `, threshold ${pathThreshold}×`
    judged.push({
      path,
      judged: true,
      why: `over ${counts[0]} and ${counts[1]} tests: median ${round(bMedian)} → ${round(nMedian)} ms (${ratio.toFixed(2)}×)${noted}`,
      samples: counts,
      threshold: pathThreshold,
      ...countsOfPath(path),
    })
    if (slower || faster) {
      runChanges.push({ test: '(all tests)', path, kind: slower ? 'slower' : 'faster', calls, meanMs: [bMedian, nMedian], ratio, over: 'run' })
    }
  }
  return { judged, runChanges }
}

/** Each path's spread across kept runs: its largest median over its smallest, where 2+ runs have it. */
function noiseOf(history: readonly SpanReport[]): Map<string, number> {
  const medians = new Map<string, number[]>()
  for (const report of history) {
    const perPath = new Map<string, number[]>()
    for (const test of report.tests) {
      for (const [path, f] of flatten(test.tree, true)) {
        const list = perPath.get(path) ?? []
        list.push(warmMeanOf(f))
        perPath.set(path, list)
      }
    }
    for (const [path, values] of perPath) {
      if (values.length < MIN_SAMPLES) continue
      const list = medians.get(path) ?? []
      list.push(quantile(values, 0.5))
      medians.set(path, list)
    }
  }
  const spread = new Map<string, number>()
  for (const [path, values] of medians) {
    const low = Math.min(...values)
    if (values.length >= 2 && low > 0) spread.set(path, Math.max(...values) / low)
  }
  return spread
}

/** What differs in how the two runs were made, said before any change. */
function setupDifferences(base: SpanReport, next: SpanReport): string[] {
  const out: string[] = []
  if (base.filter && next.filter && base.filter.directives !== next.filter.directives) {
    out.push(`the runs used different filters ('${base.filter.directives}' and '${next.filter.directives}'): paths one of them hides are new or gone for that alone`)
  }
  if (base.run && next.run) {
    if (base.run.vitest !== next.run.vitest) out.push(`the runs used different Vitest versions (${base.run.vitest} and ${next.run.vitest})`)
    if (base.run.node !== next.run.node) out.push(`the runs used different Node versions (${base.run.node} and ${next.run.node})`)
    const builds = (r: SpanReport) => new Map(r.run!.addons.map((a) => [a.label, a]))
    const [was, now] = [builds(base), builds(next)]
    for (const [label, a] of now) {
      const b = was.get(label)
      if (b && b.optLevel !== a.optLevel) {
        out.push(`addon ${JSON.stringify(label)} was built at opt-level ${b.optLevel} and now at ${a.optLevel}: its times compare builds, not changes`)
      }
      if (b && b.version !== a.version) out.push(`addon ${JSON.stringify(label)} was built with napi-tracing ${b.version} and now ${a.version}`)
    }
  }
  return out
}

/** Whether a change is a regression: a span slower, or more calls (or a new path) of spans known to be the test's. */
export function isRegression(change: Change): boolean {
  if (change.timed || change.gate === 'learning') return false
  return change.kind === 'slower' || change.kind === 'new' || (change.kind === 'calls' && change.calls[1] > change.calls[0])
}

/** One line per change: `↑ 2.3× parse_text`, `+1 call build_tree`, `new lex`, `gone lex`; `~` for spans placed by time. */
export function describeChange(change: Change): string {
  const calls = change.calls[1] - change.calls[0]
  const mark = change.timed
    ? ' ~ placed by time'
    : change.over === 'run'
      ? ' (median over the run)'
      : change.gate === 'range' && change.range
        ? ` (kept runs: ${change.range[0].toLocaleString('en-US')}–${change.range[1].toLocaleString('en-US')})`
        : change.gate === 'learning'
          ? ' ~ learning (too few kept runs agree to gate it)'
          : ''
  switch (change.kind) {
    case 'calls':
      return `${calls > 0 ? '+' : '−'}${Math.abs(calls).toLocaleString('en-US')} call${Math.abs(calls) === 1 ? '' : 's'} ${change.path}${mark}`
    case 'slower':
      return `↑ ${change.ratio.toFixed(1)}× ${change.path}${mark}`
    case 'faster':
      return `↓ ${(1 / change.ratio).toFixed(1)}× faster ${change.path}${mark}`
    case 'new':
      return `new ${change.path} (${change.calls[1].toLocaleString('en-US')}×)${mark}`
    case 'gone':
      return `gone ${change.path} (was ${change.calls[0].toLocaleString('en-US')}×)${mark}`
  }
}

/** A path's mean span in ms, 0 without calls. */
function meanOf(f: PathFigures): number {
  return f.calls > 0 ? f.totalMs / f.calls : 0
}

/**
 * A path's mean span in ms without its slowest: a cold first call (a fresh
 * worker's page faults, a lazy init) can be tens of times the others and
 * would make the mean of a few calls say so. One call is its own mean.
 */
function warmMeanOf(f: PathFigures): number {
  return f.calls > 1 ? Math.max(0, f.totalMs - f.maxMs) / (f.calls - 1) : meanOf(f)
}

/** The `q` quantile of `values` (linear between neighbours). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  const high = Math.ceil(at)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low)
}

function round(ms: number): string {
  return ms >= 1 ? ms.toFixed(2) : ms.toPrecision(3)
}

/** Every node of a tree by its path of names: those known to be the test's (`exact`), or the others. */
function flatten(roots: readonly ReportNode[], exact: boolean): Map<string, PathFigures> {
  const out = new Map<string, PathFigures>()
  const walk = (nodes: readonly ReportNode[], prefix: string) => {
    for (const n of nodes) {
      const path = prefix ? `${prefix} › ${n.name}` : n.name
      if (exact === !(n.shared || n.timed)) {
        const known = out.get(path)
        // The same path under two targets: summed, as a reader would.
        if (known) out.set(path, { calls: known.calls + n.calls, totalMs: known.totalMs + n.totalMs, minMs: Math.min(known.minMs, n.minMs), maxMs: Math.max(known.maxMs, n.maxMs) })
        else out.set(path, { calls: n.calls, totalMs: n.totalMs, minMs: n.minMs, maxMs: n.maxMs })
      }
      walk(n.children, path)
    }
  }
  walk(roots, '')
  return out
}
