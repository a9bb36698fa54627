/** Span statistics (by path, and by name derived from them) and the one way two of them add up. */
import type { Level } from '../../src/layer.js'
import { joinKey } from './keys.js'

/** Statistics of one span name within one test (or file), in nanoseconds. */
export interface SpanStats extends SpanFigures {
  name: string
  target: string
  /** Set when the spans may belong to any of several concurrent tests. */
  shared?: boolean
  /** Set when the spans were placed in the test by time only (no call is known to have made them). */
  timed?: boolean
}

/**
 * The figures of a group of spans that add up, in ns: the crate's
 * `SpanFigures` (`protocol/sums.rs`), field for field, as the sums stream
 * carries them; the report turns them into ms at its edge (`ReportFigures`).
 */
export interface SpanFigures {
  calls: number
  /** Spans entered at least once: the shortest and longest are theirs. */
  entered: number
  /** Time inside the spans (entered), nested calls counted in each ancestor. */
  totalNs: number
  /** `totalNs` less the time in child spans on the same thread. */
  selfNs: number
  /** Of one entered span; 0 when none was entered. */
  minNs: number
  maxNs: number
  /** Creation to close, summed over the spans never entered (their only time). */
  lifetimeNs: number
}

/** Adds `more` into `into`: calls and times summed, the shortest and longest entered span kept. */
export function addFigures(into: SpanFigures, more: SpanFigures): void {
  if (more.entered > 0) {
    into.minNs = into.entered > 0 ? Math.min(into.minNs, more.minNs) : more.minNs
    into.maxNs = Math.max(into.maxNs, more.maxNs)
  }
  into.calls += more.calls
  into.entered += more.entered
  into.totalNs += more.totalNs
  into.selfNs += more.selfNs
  into.lifetimeNs += more.lifetimeNs
}

/**
 * What `after` has beyond `before`, two moments of the same test's
 * statistics, path by path (and placement): calls and times subtracted; the
 * shortest and longest span are `after`'s, of the whole test.
 */
export function pathsSince(after: readonly PathStats[], before: readonly PathStats[]): PathStats[] {
  const key = (p: PathStats) => joinKey(placementKey(p), ...p.path.flat())
  const earlier = new Map(before.map((p) => [key(p), p]))
  const out: PathStats[] = []
  for (const p of after) {
    const was = earlier.get(key(p))
    const calls = p.calls - (was?.calls ?? 0)
    if (calls <= 0) continue
    out.push({
      ...p,
      calls,
      entered: p.entered - (was?.entered ?? 0),
      totalNs: p.totalNs - (was?.totalNs ?? 0),
      selfNs: p.selfNs - (was?.selfNs ?? 0),
      lifetimeNs: p.lifetimeNs - (was?.lifetimeNs ?? 0),
    })
  }
  return out
}

/** One step of a span path: the span's target and name. */
export type PathStep = readonly [target: string, name: string]

/** Statistics of the spans of one path (`parse › parse_text › build_tree`) within one test or file, in ns. */
export interface PathStats extends SpanFigures {
  /** From the root span down to this one. */
  path: PathStep[]
  /** Set when the spans may belong to any of several concurrent tests. */
  shared?: boolean
  /** Set when the spans were placed by time only. */
  timed?: boolean
}

/** Events of one callsite and message within one test or file. */
export interface EventCount {
  /** The event's message; its callsite's name (`event src/lib.rs:12`) when it has none or it was not kept. */
  message: string
  target: string
  level: Level
  count: number
  /** Set when the events may belong to any of several concurrent tests. */
  shared?: boolean
  /** Set when the events were placed by time only. */
  timed?: boolean
}

/** How many of `events` were at `level`. */
export function levelCount(events: readonly EventCount[], level: Level): number {
  return events.filter((e) => e.level === level).reduce((n, e) => n + e.count, 0)
}

/**
 * Spans by name from spans by path: the one place a test's by-name rows are
 * made. Spans of one name (and target) are summed over every path they
 * appear at, apart by placement (shared, placed by time).
 */
export function spansByName(tree: readonly PathStats[]): SpanStats[] {
  const byName = new Map<string, SpanStats>()
  for (const p of tree) {
    const [target, name] = p.path[p.path.length - 1] ?? ['', '']
    const key = joinKey(target, name, placementKey(p))
    const known = byName.get(key)
    if (known) addFigures(known, p)
    else {
      byName.set(key, {
        name,
        target,
        calls: p.calls,
        entered: p.entered,
        totalNs: p.totalNs,
        selfNs: p.selfNs,
        minNs: p.minNs,
        maxNs: p.maxNs,
        lifetimeNs: p.lifetimeNs,
        ...(p.shared ? { shared: true } : {}),
        ...(p.timed ? { timed: true } : {}),
      })
    }
  }
  return [...byName.values()].sort((a, b) => b.totalNs - a.totalNs)
}

/** The part of a key that keeps spans or events apart by placement (shared, placed by time). */
export function placementKey(p: { shared?: boolean; timed?: boolean }): string {
  return `${p.shared ? 1 : 0}${p.timed ? 1 : 0}`
}
