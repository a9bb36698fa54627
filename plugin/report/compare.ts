/**
 * Two runs' report.json compared, per test and span path: what
 * `vitest-napi-tracing compare` prints and `napiTracing({ baseline })`
 * adds to the report. Pure, but for `readReport`.
 *
 * Counts are compared exactly: the same code makes the same spans, so any
 * change in calls is shown. Times are noisy, so a path is called slower (or
 * faster) only when both its shortest span and its mean span changed by
 * more than `threshold` times, and its mean by more than `minDeltaMs`: one
 * slow outlier moves neither the minimum nor, much, the mean. A path with a
 * single call in either run has one sample, which one preemption of the
 * thread can make several times slower: its time is not judged.
 */
import { readFileSync } from 'node:fs'
import { messageOf } from '../../src/errors.js'
import type { Change, Comparison, ReportNode, SpanReport } from './model.js'

export type { Change, Comparison } from './model.js'

export interface CompareOptions {
  /** How many times slower (or faster) both the shortest and the mean span must be. @default 2 */
  threshold?: number
  /** How much the mean span must change, in ms, to count at all. @default 0.02 */
  minDeltaMs?: number
}

/** Calls a path needs in both runs for its time to be judged: the shortest of one call is that call. */
export const MIN_CALLS = 2

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

/** The changes from `base` to `next`, per test both have and span path. */
export function compareReports(base: SpanReport, next: SpanReport, baseline: string, options: CompareOptions = {}): Comparison {
  const threshold = options.threshold ?? 2
  const minDeltaMs = options.minDeltaMs ?? 0.02
  const key = (t: { file: string; name: string; project?: string }) => `${t.project !== undefined ? `[${t.project}] ` : ''}${t.file} > ${t.name}`
  const before = new Map(base.tests.map((t) => [key(t), t]))
  const changes: Change[] = []
  let tests = 0
  for (const test of next.tests) {
    const old = before.get(key(test))
    if (!old || old.state === 'skipped' || test.state === 'skipped') continue
    tests++
    const was = flatten(old.tree)
    const now = flatten(test.tree)
    for (const [path, n] of now) {
      const b = was.get(path)
      const mean = meanOf(n)
      if (!b) {
        changes.push({ test: key(test), path, kind: 'new', calls: [0, n.calls], meanMs: [0, mean], ratio: Infinity })
        continue
      }
      const baseMean = meanOf(b)
      if (b.calls !== n.calls) {
        changes.push({ test: key(test), path, kind: 'calls', calls: [b.calls, n.calls], meanMs: [baseMean, mean], ratio: n.calls / b.calls })
      }
      const sampled = b.calls >= MIN_CALLS && n.calls >= MIN_CALLS
      const slower = sampled && n.minMs > b.minMs * threshold && mean > baseMean * threshold && mean - baseMean > minDeltaMs
      const faster = sampled && b.minMs > n.minMs * threshold && baseMean > mean * threshold && baseMean - mean > minDeltaMs
      if (slower || faster) {
        changes.push({ test: key(test), path, kind: slower ? 'slower' : 'faster', calls: [b.calls, n.calls], meanMs: [baseMean, mean], ratio: mean / baseMean })
      }
    }
    for (const [path, b] of was) {
      if (!now.has(path)) changes.push({ test: key(test), path, kind: 'gone', calls: [b.calls, 0], meanMs: [meanOf(b), 0], ratio: 0 })
    }
  }
  return { baseline, threshold, tests, changes }
}

/** Whether a change is a regression: a span slower, or more calls (or a new path). */
export function isRegression(change: Change): boolean {
  return change.kind === 'slower' || change.kind === 'new' || (change.kind === 'calls' && change.calls[1] > change.calls[0])
}

/** One line per change: `↑ 2.3× parse_text`, `+1 call build_tree`, `new lex`, `gone lex`. */
export function describeChange(change: Change): string {
  const calls = change.calls[1] - change.calls[0]
  switch (change.kind) {
    case 'calls':
      return `${calls > 0 ? '+' : '−'}${Math.abs(calls).toLocaleString('en-US')} call${Math.abs(calls) === 1 ? '' : 's'} ${change.path}`
    case 'slower':
      return `↑ ${change.ratio.toFixed(1)}× ${change.path}`
    case 'faster':
      return `↓ ${(1 / change.ratio).toFixed(1)}× faster ${change.path}`
    case 'new':
      return `new ${change.path} (${change.calls[1].toLocaleString('en-US')}×)`
    case 'gone':
      return `gone ${change.path} (was ${change.calls[0].toLocaleString('en-US')}×)`
  }
}

/** A path's mean span in ms, 0 without calls. */
function meanOf(node: ReportNode): number {
  return node.calls > 0 ? node.totalMs / node.calls : 0
}

/** Every node of a tree by its path of names. */
function flatten(roots: readonly ReportNode[]): Map<string, ReportNode> {
  const out = new Map<string, ReportNode>()
  const walk = (nodes: readonly ReportNode[], prefix: string) => {
    for (const n of nodes) {
      const path = prefix ? `${prefix} › ${n.name}` : n.name
      const known = out.get(path)
      // The same path under two targets: summed, as a reader would.
      if (known) out.set(path, { ...known, calls: known.calls + n.calls, totalMs: known.totalMs + n.totalMs, minMs: Math.min(known.minMs, n.minMs) })
      else out.set(path, n)
      walk(n.children, path)
    }
  }
  walk(roots, '')
  return out
}
