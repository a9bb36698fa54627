/**
 * Two runs' report.json compared, per test and span path: what
 * `vitest-napi-tracing compare` prints and `napiTracing({ baseline })`
 * adds to the report. Pure, but for `readReport`.
 *
 * Counts are compared exactly where they are exact: the same code makes the
 * same spans, so any change in calls of spans a test's calls are known to
 * have made is shown, and more is a regression. Spans placed by time (or
 * shared by concurrent tests) can land in another test from run to run:
 * their changes are shown, marked, never a regression.
 *
 * Times are noisy. A path is slower (or faster) in a test when both its
 * shortest and its mean span changed by more than the threshold and its
 * total by more than `minTestDeltaMs`, for paths called at least
 * `MIN_CALLS` times in that test in both runs: one slow outlier moves
 * neither the minimum nor, much, the mean. Over the whole run, a path is
 * judged from one sample per test that makes it (its mean span there), when
 * at least `MIN_SAMPLES` tests do in both runs: slower when the median and
 * the lower quartile of those samples both moved beyond the threshold. With
 * kept runs (`keep`), each path's threshold is widened to the spread its
 * median had across them. Each path says why it was judged or not.
 */
import { readFileSync } from 'node:fs'
import { messageOf } from '../../src/errors.js'
import type { Change, Comparison, PathJudgement, ReportNode, ReportTest, SpanReport } from './model.js'

export type { Change, Comparison, PathJudgement } from './model.js'

export interface CompareOptions {
  /** How many times slower (or faster) both figures must be. @default 2 */
  threshold?: number
  /** How much a path's mean span over the run must change, in ms, to count at all. @default 0.02 */
  minDeltaMs?: number
  /** How much a path's total time in one test must change, in ms, to count there at all. @default 0.1 */
  minTestDeltaMs?: number
  /** Earlier runs (kept in the history), oldest first: each path's noise. */
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
  const before = new Map(base.tests.map((t) => [keyOf(t), t]))
  const changes: Change[] = []
  let tests = 0
  const shared: Array<[ReportTest, ReportTest]> = []
  for (const test of next.tests) {
    const old = before.get(keyOf(test))
    if (!old || old.state === 'skipped' || test.state === 'skipped') continue
    tests++
    shared.push([old, test])
    for (const exact of [true, false]) {
      const was = flatten(old.tree, exact)
      const now = flatten(test.tree, exact)
      const timed = exact ? {} : { timed: true as const }
      for (const [path, n] of now) {
        const b = was.get(path)
        if (!b) {
          changes.push({ test: keyOf(test), path, kind: 'new', calls: [0, n.calls], meanMs: [0, meanOf(n)], ratio: Infinity, ...timed })
          continue
        }
        if (b.calls !== n.calls) {
          changes.push({ test: keyOf(test), path, kind: 'calls', calls: [b.calls, n.calls], meanMs: [meanOf(b), meanOf(n)], ratio: n.calls / b.calls, ...timed })
        }
        if (!exact || b.calls < MIN_CALLS || n.calls < MIN_CALLS) continue
        const [baseMean, mean] = [meanOf(b), meanOf(n)]
        const slower = n.minMs > b.minMs * threshold && mean > baseMean * threshold && n.totalMs - b.totalMs > minTestDeltaMs
        const faster = b.minMs > n.minMs * threshold && baseMean > mean * threshold && b.totalMs - n.totalMs > minTestDeltaMs
        if (slower || faster) {
          changes.push({ test: keyOf(test), path, kind: slower ? 'slower' : 'faster', calls: [b.calls, n.calls], meanMs: [baseMean, mean], ratio: mean / baseMean, over: 'test' })
        }
      }
      for (const [path, b] of was) {
        if (!now.has(path)) changes.push({ test: keyOf(test), path, kind: 'gone', calls: [b.calls, 0], meanMs: [meanOf(b), 0], ratio: 0, ...timed })
      }
    }
  }
  const { judged, runChanges } = judgeRun(shared, options.history ?? [], threshold, minDeltaMs)
  return { baseline, threshold, tests, setup: setupDifferences(base, next), changes: [...changes, ...runChanges], paths: judged }
}

/**
 * Each path's time over the run: one sample per test (both runs share the
 * test) that makes it, its mean span there.
 */
function judgeRun(
  shared: ReadonlyArray<[ReportTest, ReportTest]>,
  history: readonly SpanReport[],
  threshold: number,
  minDeltaMs: number,
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
        entry[which].push(meanOf(f))
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
      judged.push({ path, judged: false, why: `made in ${counts[0]} and ${counts[1]} tests: fewer than ${MIN_SAMPLES} samples in a run`, samples: counts, threshold })
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
        list.push(meanOf(f))
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
  if (change.timed) return false
  return change.kind === 'slower' || change.kind === 'new' || (change.kind === 'calls' && change.calls[1] > change.calls[0])
}

/** One line per change: `↑ 2.3× parse_text`, `+1 call build_tree`, `new lex`, `gone lex`; `~` for spans placed by time. */
export function describeChange(change: Change): string {
  const calls = change.calls[1] - change.calls[0]
  const mark = change.timed ? ' ~ placed by time' : change.over === 'run' ? ' (median over the run)' : ''
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
        if (known) out.set(path, { calls: known.calls + n.calls, totalMs: known.totalMs + n.totalMs, minMs: Math.min(known.minMs, n.minMs) })
        else out.set(path, { calls: n.calls, totalMs: n.totalMs, minMs: n.minMs })
      }
      walk(n.children, path)
    }
  }
  walk(roots, '')
  return out
}
