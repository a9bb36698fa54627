/**
 * A test's span summary as it travels in Vitest's own per-test data
 * (`task.meta.napiTracing`): Vitest's JSON reporter, its UI, blob reports
 * and `--merge-reports` carry it without reading our files. Small and
 * JSON-safe: the figures of its biggest span names.
 */
import type { Made } from '../src/trace/worker-file.js'

/** Span names kept per test. */
const KEPT = 10

export interface NapiTracingMeta {
  /** Spans the test made. */
  spans: number
  /** Native self time of all of them, in ms. */
  selfMs: number
  warnings: number
  errors: number
  /** The biggest span names by total time: calls, total and self time in ms. */
  top: Array<{ name: string; target: string; calls: number; totalMs: number; selfMs: number }>
}

declare module 'vitest' {
  interface TaskMeta {
    napiTracing?: NapiTracingMeta
  }
}

export function metaOf(made: Made): NapiTracingMeta {
  const ms = (ns: number) => Math.round(ns) / 1e6
  const level = (l: string) => made.events.filter((e) => e.level === l).reduce((n, e) => n + e.count, 0)
  return {
    spans: made.spans.reduce((n, s) => n + s.calls, 0),
    selfMs: ms(made.spans.reduce((n, s) => n + s.selfNs, 0)),
    warnings: level('WARN'),
    errors: level('ERROR'),
    top: [...made.spans]
      .sort((a, b) => b.totalNs - a.totalNs)
      .slice(0, KEPT)
      .map((s) => ({ name: s.name, target: s.target, calls: s.calls, totalMs: ms(s.totalNs), selfMs: ms(s.selfNs) })),
  }
}
