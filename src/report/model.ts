/**
 * The report model: every test with its native spans, computed from Vitest's
 * results and the workers' statistics lines. Pure: no I/O, no colours.
 */
import { addSums, type SpanStats } from '../stats.js'
import type { StatsLine } from '../trace/worker-file.js'
import type { ResolvedFilter } from '../tracing.js'

export type Milliseconds = number

/** A span name's statistics within one test or file. */
export interface ReportSpan {
  name: string
  /** The `tracing` target, usually the Rust crate and module. */
  target: string
  calls: number
  totalMs: Milliseconds
  /** Total minus time in child spans on the same thread. */
  selfMs: Milliseconds
  minMs: Milliseconds
  maxMs: Milliseconds
  meanMs: Milliseconds
  /** The spans may belong to any of several concurrent tests (each lists them). */
  shared?: boolean
}

export type TestState = 'passed' | 'failed' | 'skipped' | 'pending'

/**
 * A test's state in the report's words, from the runner's (a worker sees
 * `pass`, `fail`, `skip`, `todo`, `run`; reporters get the report's words
 * already, which pass through).
 */
export function stateOf(state: string | undefined): TestState {
  switch (state) {
    case 'pass':
    case 'passed':
      return 'passed'
    case 'fail':
    case 'failed':
      return 'failed'
    case 'skip':
    case 'skipped':
    case 'todo':
      return 'skipped'
    default:
      return 'pending'
  }
}

export interface ReportTest {
  /** Relative to the Vitest root. */
  file: string
  /** Suite and test names joined with ` > `. */
  name: string
  state: TestState
  durationMs: Milliseconds
  spans: ReportSpan[]
  /** Spans of this test still open when it ended (their time is not counted). */
  openSpans: number
}

export interface ReportFile {
  file: string
  /** Spans outside any test: module load, beforeAll/afterAll. */
  spans: ReportSpan[]
}

export interface SpanReport {
  version: 1
  tests: ReportTest[]
  files: ReportFile[]
  /** Records or trace entries lost because a worker could not keep up (a full buffer, a stalled disk). */
  droppedRecords: number
  /** Things that went wrong while tracing, each a sentence naming the fix. */
  problems: string[]
  /** The EnvFilter the workers traced with, and where it came from. */
  filter?: ResolvedFilter
  /** The merged trace, once written: entries, bytes and the time it took. */
  trace?: { path: string; events: number; bytes: number; writeMs: Milliseconds }
}

/** A test as Vitest reports it, joined to the workers' lines by id. */
export interface TestResult {
  id: string
  file: string
  name: string
  state: TestState
  durationMs: Milliseconds
}

export function computeSpanReport(results: readonly TestResult[], lines: readonly StatsLine[], problems: readonly string[] = []): SpanReport {
  const byTest = new Map<string, SpanStats[]>()
  const open = new Map<string, number>()
  const byFile = new Map<string, SpanStats[]>()
  const progress = new Map<string, SpanStats[]>()
  let dropped = 0
  const workerProblems = new Map<string, number>()
  for (const line of lines) {
    switch (line.kind) {
      case 'test':
        open.set(line.id, (open.get(line.id) ?? 0) + line.open)
        push(byTest, line.id, line.spans)
        break
      case 'late':
        push(byTest, line.id, line.spans)
        break
      case 'progress':
        // Cumulative: the last one counts, and only if the test never ended.
        progress.set(line.id, line.spans)
        break
      case 'file':
        push(byFile, line.file, line.spans)
        break
      case 'dropped':
        dropped += line.records
        break
      case 'problem':
        workerProblems.set(line.text, (workerProblems.get(line.text) ?? 0) + 1)
        break
      case 'worker':
      case 'begin':
        break
    }
  }
  for (const [id, spans] of progress) {
    if (!open.has(id)) push(byTest, id, spans)
  }
  const tests = results.map(
    (r): ReportTest => ({
      file: r.file,
      name: r.name,
      state: r.state,
      durationMs: r.durationMs,
      spans: merge(byTest.get(r.id) ?? []),
      openSpans: open.get(r.id) ?? 0,
    }),
  )
  const files = [...byFile].map(([file, spans]): ReportFile => ({ file, spans: merge(spans) })).sort((a, b) => a.file.localeCompare(b.file))
  return {
    version: 1,
    tests,
    files,
    droppedRecords: dropped,
    problems: [
      ...problems,
      ...[...workerProblems].map(([text, n]) => (n > 1 ? `${text} (in ${n} workers)` : text)),
    ],
  }
}

function push<K>(map: Map<K, SpanStats[]>, key: K, spans: readonly SpanStats[]): void {
  const list = map.get(key)
  if (list) list.push(...spans)
  else map.set(key, [...spans])
}

/** Sums statistics of the same span (attempts, late arrivals), biggest total first. */
function merge(stats: readonly SpanStats[]): ReportSpan[] {
  const merged = new Map<string, SpanStats>()
  for (const s of stats) {
    const key = `${s.target}\u0000${s.name}\u0000${s.shared ? 1 : 0}`
    const m = merged.get(key)
    if (m) addSums(m, s)
    else merged.set(key, { ...s })
  }
  return [...merged.values()]
    .map(
      (s): ReportSpan => ({
        name: s.name,
        target: s.target,
        calls: s.calls,
        totalMs: ms(s.totalNs),
        selfMs: ms(s.selfNs),
        minMs: ms(s.minNs),
        maxMs: ms(s.maxNs),
        meanMs: ms(s.totalNs / s.calls),
        ...(s.shared ? { shared: true } : {}),
      }),
    )
    .sort((a, b) => b.totalMs - a.totalMs || a.name.localeCompare(b.name))
}

function ms(ns: number): Milliseconds {
  return Math.round(ns) / 1e6
}

/** Native time of a test: the sum of its root-level spans' self times is not known, so the total of all self times. */
export function nativeMs(spans: readonly ReportSpan[]): Milliseconds {
  return spans.reduce((sum, s) => sum + s.selfMs, 0)
}

/** Calls of all spans. */
export function spanCount(spans: readonly ReportSpan[]): number {
  return spans.reduce((sum, s) => sum + s.calls, 0)
}
