/**
 * The report model: every test with its native spans, computed from Vitest's
 * results and the workers' statistics lines. Pure: no I/O, no colours.
 */
import { addFigures, levelCount, placementKey, spansByName, type EventCount, type PathStats, type SpanFigures } from '../data/stats.js'
import { addSummary, type FunctionTime, type NativeTime, type ProfileSummary } from '../data/profile.js'
import type { Made, MemoryChange, StatsLine } from '../data/worker-file.js'
import type { TestState } from '../data/states.js'
import { panicked, unattributed } from './checks.js'
import type { ResolvedFilter } from '../../src/tracing.js'
import { joinKey, splitKey } from '../data/keys.js'

export type { TestState }

export type Milliseconds = number

/** Where report.json and trace.json go, under the Vitest root, unless the plugin's `outputDir` says otherwise. */
export const DEFAULT_OUTPUT_DIR = '.vitest/napi-tracing'

/** The figures of a group of spans (one name, or one path), in ms: `SpanFigures` at the report's edge. */
export interface ReportFigures {
  name: string
  /** The `tracing` target, usually the Rust crate and module. */
  target: string
  calls: number
  totalMs: Milliseconds
  /** Total minus time in child spans on the same thread. */
  selfMs: Milliseconds
  /** Of one span entered at least once (0 when none was). */
  minMs: Milliseconds
  maxMs: Milliseconds
  /** Creation to close, summed over the spans never entered: present when some were not. */
  lifetimeMs?: Milliseconds
  /** The spans may belong to any of several concurrent tests (each lists them). */
  shared?: boolean
  /** The spans were placed in the test by time only: no call of it is known to have made them. */
  timed?: boolean
}

/** A span name's statistics within one test or file. */
export interface ReportSpan extends ReportFigures {
  meanMs: Milliseconds
}

/** A node of a test's call tree: the spans of one path, and the paths below it. */
export interface ReportNode extends ReportFigures {
  children: ReportNode[]
}

/** Events of one callsite and message within a test or file. */
export type ReportEvent = EventCount

/** A change of one span path in one test between a baseline run and this one (see `compare.ts`). */
export interface Change {
  /** `file > test name`, with `[project] ` before it when the run had several. */
  test: string
  /** Span names from the root, joined with ` › `. */
  path: string
  kind: 'calls' | 'slower' | 'faster' | 'new' | 'gone'
  /** Calls in the baseline and now. */
  calls: [number, number]
  /** Mean span in ms, in the baseline and now. */
  meanMs: [number, number]
  /** Now over baseline: calls for `calls`, mean time for `slower` / `faster`. */
  ratio: number
  /** The spans were placed by time or shared by concurrent tests: shown, never a regression. */
  timed?: boolean
  /** What a time change was judged over: the test's own calls (2+), or one sample per test over the run (`test` is then `(all tests)`). */
  over?: 'test' | 'run'
  /**
   * How its count was gated (count changes only): `range` for a path whose
   * count varied across kept runs (then `range` is what they showed), and
   * `learning` while too few kept runs agree on it to gate it exactly.
   */
  gate?: CountGate
  /** The calls kept runs showed for a path of `gate: 'range'`, fewest and most. */
  range?: [number, number]
}

/**
 * How a path's count in a test is gated: `exact` (any change shown, more
 * calls a regression), `range` (its count varied across kept runs: judged
 * by the range they showed), `learning` (too few kept runs agree on it yet:
 * a change is shown, never a regression).
 */
export type CountGate = 'exact' | 'range' | 'learning'

/** Whether a span path's time over the run was judged, and why. */
export interface PathJudgement {
  path: string
  judged: boolean
  /** In words: the samples, medians and threshold, or why there were too few. */
  why: string
  /** Tests that made the path, in the baseline and now. */
  samples: [number, number]
  /** The threshold it was judged with: the option, widened to the spread kept runs showed. */
  threshold: number
  /**
   * How its counts were gated, in the tests that make it: `exact`, `range`
   * when its count varied in some test across kept runs, `learning` while
   * kept runs are too few to tell; `countsWhy` says it in words.
   */
  counts: CountGate
  countsWhy: string
}

export interface Comparison {
  baseline: string
  threshold: number
  /** Tests in both runs, compared. */
  tests: number
  /** What differs in how the runs were made (filters, Vitest, Node, the addons' builds), said first. */
  setup: string[]
  changes: Change[]
  /** Each span path's time over the run: judged or not, and why; and how its counts were gated. */
  paths: PathJudgement[]
  /**
   * Kept runs the counts were learnt from (the baseline among them), 0
   * without any: then every count is gated exactly.
   */
  keptRuns?: number
  /**
   * Each test's paths whose count varied across kept runs, with the range
   * they showed: a later run that keeps this report learns them from here,
   * even once the runs that showed it are no longer kept.
   */
  varying?: Array<{ test: string; path: string; range: [number, number] }>
}

/** How a run was made, for comparisons to say when two runs differ in it. */
export interface RunSetup {
  vitest: string
  node: string
  /**
   * Each traced addon's napi-tracing build (opt-level, version) and what one
   * span cost it on this machine (ns, the median of its workers' measurements
   * at start; absent where not measured).
   */
  addons: Array<{ label: string; optLevel: string; version: string; spanCostNs?: number }>
}

/** Share of a test's native time that, spent on tracing, the report flags. */
export const TRACING_SHARE_FLAGGED = 0.1

/** How the run was made, from the workers' lines: each addon's build as its first worker said, its span cost as their median. */
export function runSetup(vitest: string, node: string, lines: readonly StatsLine[]): RunSetup {
  const addons = new Map<string, RunSetup['addons'][number]>()
  const costs = new Map<string, number[]>()
  for (const line of lines) {
    if (line.kind !== 'worker') continue
    if (line.build && !addons.has(line.addon)) addons.set(line.addon, { label: line.addon, ...line.build })
    if (line.spanCostNs) costs.set(line.addon, [...(costs.get(line.addon) ?? []), line.spanCostNs])
  }
  for (const [label, values] of costs) {
    const addon = addons.get(label)
    const sorted = [...values].sort((a, b) => a - b)
    if (addon) addon.spanCostNs = sorted[Math.floor(sorted.length / 2)]!
  }
  return { vitest, node, addons: [...addons.values()] }
}

/** What a span costs in this run (ns): the mean of the addons' measured costs; undefined where none was measured. */
export function spanCostNs(report: SpanReport): number | undefined {
  const costs = (report.run?.addons ?? []).flatMap((a) => (a.spanCostNs ? [a.spanCostNs] : []))
  return costs.length > 0 ? costs.reduce((a, b) => a + b, 0) / costs.length : undefined
}

/**
 * Each test's estimated time spent on tracing (`tracingMs`): its spans times
 * what a span costs (`spanCostNs`), where a cost was measured. Counted in its
 * native times, which it inflates.
 */
export function estimateTracing(report: SpanReport): void {
  const costNs = spanCostNs(report)
  if (costNs === undefined) return
  for (const test of report.tests) {
    const spans = spanCount(test.spans)
    if (spans > 0) test.tracingMs = Math.round(spans * costNs) / 1e6
  }
}

/** A JavaScript function's self time in a test, from its samples. */
export interface ReportFunction extends FunctionTime {
  /** The function's name; `(anonymous)` when it has none. */
  name: string
  /** Its script, relative to the Vitest root when inside it (`node:…` for Node's own). */
  file: string
  /** 1-based, in the source (through Vite's source maps); 0 when V8 did not say. */
  line: number
  selfMs: Milliseconds
}

/** A traced native call's time in a test, from the samples taken inside it. */
export interface ReportNativeTime extends NativeTime {
  /** The span's name and `tracing` target. */
  name: string
  target: string
  selfMs: Milliseconds
}

/**
 * What a test's JavaScript samples say (`profile`): where its JavaScript
 * thread's time went, in ms (inside traced native calls; in JavaScript, the
 * garbage collector and V8 included; idle, waiting on the event loop), and
 * its functions and native calls by self time, biggest first.
 */
export interface ReportProfile {
  /** Samples taken in the test's window. */
  samples: number
  nativeMs: Milliseconds
  jsMs: Milliseconds
  idleMs: Milliseconds
  /** The 10 JavaScript functions with the most self time. */
  functions: ReportFunction[]
  /** The 10 traced native calls with the most samples: what V8 alone would have charged to their JavaScript callers. */
  native: ReportNativeTime[]
  /** Present and `true` when the test overlapped another (concurrent tests): its samples may be either's. */
  shared?: true
}

/** How much a test's memory grew while it ran (`profile`), in bytes; negative when it shrank. */
export interface ReportMemory {
  /** The worker's JavaScript heap in use (its own isolate's, also in the threads pool). */
  heapUsed: number
  /** The process's resident set (shared by the workers of one process in the threads pool). */
  rss: number
}

/** Functions and native calls report.json keeps per test. */
const PROFILE_ROWS = 10

export interface ReportTest {
  /** Relative to the Vitest root. */
  file: string
  /** Suite and test names joined with ` > `. */
  name: string
  state: TestState
  durationMs: Milliseconds
  /** The Vitest project the test belongs to, when the run has several. */
  project?: string
  spans: ReportSpan[]
  /** Spans of this test still open when it ended (their time is not counted). */
  openSpans: number
  /** The call tree: the test's root spans, by path, biggest total first at each level. */
  tree: ReportNode[]
  /** Events the test's code emitted, by callsite and message. */
  events: ReportEvent[]
  /** How many of its events were at level WARN, and at level ERROR. */
  warnings: number
  errors: number
  /** The time tracing its spans took, estimated: spans × the measured cost of one (see `RunSetup`); counted in its native times. */
  tracingMs?: Milliseconds
  /** Its JavaScript samples, with `profile` (absent when none fell in its window). */
  js?: ReportProfile
  /** Its memory growth, with `profile`. */
  memory?: ReportMemory
  /** The benchmarks the test ran (Vitest 5's `bench`; with `vitest bench`, the test is one), per iteration. */
  benchmarks?: ReportBenchmark[]
}

/**
 * A benchmark's spans per iteration: what its measured iterations
 * (tinybench's run, after warmup) made, divided by how many there were.
 */
export interface ReportBenchmark {
  name: string
  /** Calls of the benchmark's function measured. */
  iterations: number
  /** Spans made per iteration. */
  spans: number
  /** Native self time per iteration (time in spans, less time in their children on the same thread). */
  selfMs: Milliseconds
  /** By span name: calls and self time per iteration, biggest self time first. */
  byName: Array<{ name: string; target: string; calls: number; selfMs: Milliseconds }>
}

export interface ReportFile {
  file: string
  /** Spans outside any test: module load, beforeAll/afterAll. */
  spans: ReportSpan[]
  tree: ReportNode[]
  events: ReportEvent[]
  /** JavaScript samples outside its tests, with `profile`. */
  js?: ReportProfile
}

export interface SpanReport {
  /** 2: tests and files have `tree` and `events`; every field of version 1 stays. */
  version: 2
  tests: ReportTest[]
  files: ReportFile[]
  /** Records or trace entries lost because a worker could not keep up (a full buffer, a stalled disk). */
  droppedRecords: number
  /** Things that went wrong while tracing, each a sentence naming the fix. */
  problems: string[]
  /** The EnvFilter the workers traced with, and where it came from. */
  filter?: ResolvedFilter
  /** The comparison with `napiTracing({ baseline })`, when one was given and read. */
  comparison?: Comparison
  /** The merged trace, once written: entries, bytes and the time it took. */
  trace?: { path: string; events: number; bytes: number; writeMs: Milliseconds }
  /** How the run was made: Vitest, Node, the addons' builds. */
  run?: RunSetup
  /** Spans the run made, each counted once (a span shared by concurrent tests is in each of their figures). */
  spans?: number
  /**
   * Tests of Vitest projects without the plugin in their config, by
   * project: they ran untraced and are not in `tests` (present when some ran).
   */
  untraced?: Array<{ project: string; tests: number }>
  /** Present and `true` when the run was interrupted (Ctrl+C, SIGTERM, a cancelled run): the figures are what was written down by then. */
  interrupted?: true
}

/** A test as Vitest reports it, joined to the workers' lines by id. */
export interface TestResult {
  id: string
  file: string
  name: string
  state: TestState
  durationMs: Milliseconds
  project?: string
}

export function computeSpanReport(results: readonly TestResult[], lines: readonly StatsLine[], problems: readonly string[] = []): SpanReport {
  const byTest = new Map<string, Made[]>()
  const open = new Map<string, number>()
  const memory = new Map<string, MemoryChange>()
  const profiles = new Map<string, ProfileSummary>()
  const fileProfiles = new Map<string, ProfileSummary>()
  const byFile = new Map<string, Made[]>()
  const progress = new Map<string, Made>()
  const benchmarks = new Map<string, ReportBenchmark[]>()
  let dropped = 0
  const workerProblems = new Map<string, number>()
  const lost = new Map<string, number>()
  for (const line of lines) {
    switch (line.kind) {
      case 'test':
        open.set(line.id, (open.get(line.id) ?? 0) + line.open)
        push(byTest, line.id, line)
        // A retried test: its attempts' growth adds up.
        if (line.memory) memory.set(line.id, addMemory(memory.get(line.id), line.memory))
        break
      case 'profile': {
        const into = line.id === '' ? fileProfiles : profiles
        const key = line.id === '' ? line.file : line.id
        const known = into.get(key)
        into.set(key, known ? addSummary(known, line.profile) : line.profile)
        break
      }
      case 'late':
        push(byTest, line.id, line)
        break
      case 'progress':
        // Cumulative: the last one counts, and only if the test never ended.
        progress.set(line.id, line)
        break
      case 'bench':
        benchmarks.set(line.id, [...(benchmarks.get(line.id) ?? []), perIteration(line)])
        break
      case 'file':
        push(byFile, line.file, line)
        break
      case 'dropped':
        dropped += line.records
        break
      case 'problem':
        workerProblems.set(line.text, (workerProblems.get(line.text) ?? 0) + 1)
        break
      case 'panic': {
        // A panic the addon caught cost nothing: only one that aborted the worker is a problem.
        if (line.survived) break
        const text = panicked(line)
        workerProblems.set(text, (workerProblems.get(text) ?? 0) + 1)
        break
      }
      case 'unattributed': {
        // Process-wide counters, written by each of its workers: the largest counts.
        const key = joinKey(line.pid, line.addon)
        lost.set(key, Math.max(lost.get(key) ?? 0, line.count))
        break
      }
      default:
        break
    }
  }
  for (const [id, made] of progress) {
    if (!open.has(id)) push(byTest, id, made)
  }
  const tests = results.map((r): ReportTest => {
    const made = byTest.get(r.id) ?? []
    const benched = benchmarks.get(r.id)
    const events = mergeEvents(made.flatMap((m) => m.events))
    return {
      file: r.file,
      name: r.name,
      state: r.state,
      durationMs: r.durationMs,
      ...(r.project !== undefined ? { project: r.project } : {}),
      spans: reportSpans(made.flatMap((m) => m.tree)),
      openSpans: open.get(r.id) ?? 0,
      tree: treeOf(made.flatMap((m) => m.tree)),
      events,
      warnings: levelCount(events, 'WARN'),
      errors: levelCount(events, 'ERROR'),
      ...profileOf(profiles.get(r.id)),
      ...(memory.has(r.id) ? { memory: memory.get(r.id)! } : {}),
      ...(benched ? { benchmarks: benched } : {}),
    }
  })
  // A file whose samples are all there is outside its tests is listed too.
  for (const file of fileProfiles.keys()) if (!byFile.has(file)) byFile.set(file, [])
  const files = [...byFile]
    .map(([file, made]): ReportFile => ({
      file,
      spans: reportSpans(made.flatMap((m) => m.tree)),
      tree: treeOf(made.flatMap((m) => m.tree)),
      events: mergeEvents(made.flatMap((m) => m.events)),
      ...profileOf(fileProfiles.get(file)),
    }))
    .sort((a, b) => a.file.localeCompare(b.file))
  return {
    version: 2,
    tests,
    files,
    droppedRecords: dropped,
    problems: [...problems, ...[...workerProblems].map(([text, n]) => (n > 1 ? `${text} (in ${n} workers)` : text)), ...unattributed(lostByAddon(lost))],
  }
}

/** A benchmark's figures per iteration, from what its measured iterations made in all. */
function perIteration(line: Extract<StatsLine, { kind: 'bench' }>): ReportBenchmark {
  const n = Math.max(1, line.iterations)
  const byName = spansByName(line.tree).sort((a, b) => b.selfNs - a.selfNs)
  return {
    name: line.name,
    iterations: line.iterations,
    spans: byName.reduce((sum, s) => sum + s.calls, 0) / n,
    selfMs: byName.reduce((sum, s) => sum + s.selfNs, 0) / 1e6 / n,
    byName: byName.map((s) => ({ name: s.name, target: s.target, calls: s.calls / n, selfMs: s.selfNs / 1e6 / n })),
  }
}

/** `{ js }` for report.json from a worker's summary: its top rows. */
function profileOf(summary: ProfileSummary | undefined): { js?: ReportProfile } {
  if (!summary || summary.samples === 0) return {}
  return { js: { ...summary, functions: summary.functions.slice(0, PROFILE_ROWS), native: summary.native.slice(0, PROFILE_ROWS) } }
}

function addMemory(a: MemoryChange | undefined, b: MemoryChange): MemoryChange {
  return a ? { heapUsed: a.heapUsed + b.heapUsed, rss: a.rss + b.rss } : b
}

/** Unattributed counts by addon, summed over processes. */
function lostByAddon(lost: ReadonlyMap<string, number>): Map<string, number> {
  const byAddon = new Map<string, number>()
  for (const [key, count] of lost) {
    const addon = splitKey(key)[1]!
    if (count > 0) byAddon.set(addon, (byAddon.get(addon) ?? 0) + count)
  }
  return byAddon
}

function push<K>(map: Map<K, Made[]>, key: K, made: Made): void {
  const list = map.get(key)
  if (list) list.push(made)
  else map.set(key, [made])
}

/** A test's spans by name (attempts, late arrivals and addons summed), biggest total first. */
function reportSpans(tree: readonly PathStats[]): ReportSpan[] {
  return spansByName(tree)
    .map((s): ReportSpan => ({ name: s.name, target: s.target, ...figures(s), meanMs: s.entered > 0 ? ms(s.totalNs / s.entered) : 0 }))
    .sort((a, b) => b.totalMs - a.totalMs || a.name.localeCompare(b.name))
}

/** The call tree of a test from its path statistics (attempts, addons and late arrivals summed by path). */
export function treeOf(paths: readonly PathStats[]): ReportNode[] {
  interface Building extends SpanFigures {
    name: string
    target: string
    shared?: boolean
    timed?: boolean
    children: Map<string, Building>
  }
  const roots = new Map<string, Building>()
  for (const p of paths) {
    let level = roots
    p.path.forEach(([target, name], depth) => {
      const key = joinKey(target, name, placementKey(p))
      let node = level.get(key)
      if (!node) {
        node = { name, target, ...placement(p), calls: 0, entered: 0, totalNs: 0, selfNs: 0, minNs: 0, maxNs: 0, lifetimeNs: 0, children: new Map() }
        level.set(key, node)
      }
      if (depth === p.path.length - 1) addFigures(node, p)
      level = node.children
    })
  }
  const finish = (nodes: Map<string, Building>): ReportNode[] =>
    [...nodes.values()]
      .map((n): ReportNode => ({ name: n.name, target: n.target, ...figures(n), children: finish(n.children) }))
      .sort((a, b) => b.totalMs - a.totalMs || a.name.localeCompare(b.name))
  return finish(roots)
}

/** The figures of summed spans in the report's units, and how they were placed. */
function figures(s: SpanFigures & { shared?: boolean; timed?: boolean }): Omit<ReportFigures, 'name' | 'target'> {
  return {
    calls: s.calls,
    totalMs: ms(s.totalNs),
    selfMs: ms(s.selfNs),
    minMs: ms(s.minNs),
    maxMs: ms(s.maxNs),
    ...(s.lifetimeNs > 0 ? { lifetimeMs: ms(s.lifetimeNs) } : {}),
    ...placement(s),
  }
}

function placement(s: { shared?: boolean; timed?: boolean }): { shared?: true; timed?: true } {
  return { ...(s.shared ? { shared: true as const } : {}), ...(s.timed ? { timed: true as const } : {}) }
}

function mergeEvents(events: readonly EventCount[]): ReportEvent[] {
  const merged = new Map<string, EventCount>()
  for (const e of events) {
    const key = joinKey(e.target, e.level, e.message, placementKey(e))
    const m = merged.get(key)
    if (m) m.count += e.count
    else merged.set(key, { ...e })
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || a.message.localeCompare(b.message))
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
