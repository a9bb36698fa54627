/** Span statistics of one span name, and the one way two of them add up. */
import type { Level } from './layer.js'

/** Statistics of one span name within one test (or file), in nanoseconds. */
export interface SpanStats {
  name: string
  target: string
  calls: number
  totalNs: number
  selfNs: number
  minNs: number
  maxNs: number
  /** Set when the spans may belong to any of several concurrent tests. */
  shared?: boolean
}

/** The figures of `SpanStats` that add up. */
export type Sums = Pick<SpanStats, 'calls' | 'totalNs' | 'selfNs' | 'minNs' | 'maxNs'>

/** Adds `more` into `into`: calls and times summed, the shortest and longest kept. */
export function addSums(into: Sums, more: Sums): void {
  into.calls += more.calls
  into.totalNs += more.totalNs
  into.selfNs += more.selfNs
  into.minNs = Math.min(into.minNs, more.minNs)
  into.maxNs = Math.max(into.maxNs, more.maxNs)
}

/** One step of a span path: the span's target and name. */
export type PathStep = readonly [target: string, name: string]

/** Statistics of the spans of one path (`parse › parse_text › build_tree`) within one test or file, in ns. */
export interface PathStats extends Sums {
  /** From the root span down to this one. */
  path: PathStep[]
  /** Set when the spans may belong to any of several concurrent tests. */
  shared?: boolean
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
}
