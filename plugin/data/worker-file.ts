/**
 * One worker's output: its own trace events (test and file slices; Chrome
 * format, one per line, each followed by a comma, like the addons' files:
 * see merge.ts) and statistics lines (the tests' figures, and the name of
 * its process, which the reporter writes once into the merged trace),
 * appended to files in the raw folder, per run. The addons stream their
 * native spans to files of their own beside these (`nativeTrace`), naming
 * the tracks they write on there. Lines are buffered and written whole,
 * synchronously, at each flush (the worker flushes every 100 ms and at each
 * file's end), so a worker that dies leaves every line it finished up to
 * its last flush; the reporter merges the run's files at its end.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { EventCount, PathStats } from './stats.js'
import { nsToUs, type MetadataEvent, type TraceEvent } from './events.js'
import type { ProfileSummary } from './profile.js'

/** What a test (or file) made: spans by path (by name is derived: `spansByName`), events by message. */
export interface Made {
  tree: PathStats[]
  events: EventCount[]
}

/** How much a test's memory grew, in bytes (negative: shrank): its JS heap in use and its process's RSS. */
export interface MemoryChange {
  heapUsed: number
  rss: number
}

/** A line of a worker's stats file. */
export type StatsLine =
  | { kind: 'worker'; pid: number; label: string; addon: string; build?: { optLevel: string; version: string }; spanCostNs?: number }
  /** Spans an addon made in this worker since the last such line, each counted once. */
  | { kind: 'made'; addon: string; spans: number }
  /** A test file began in this worker (its absolute path): the tracer saw it. */
  | { kind: 'begin'; path: string }
  | ({ kind: 'test'; id: string; file: string; name: string; state: string; open: number; memory?: MemoryChange } & Made)
  /**
   * What the JavaScript samples of a test file say, written when it ends:
   * a test's (`id`), or the file's outside its tests (`id` '').
   */
  | { kind: 'profile'; id: string; file: string; profile: ProfileSummary }
  | ({ kind: 'file'; file: string } & Made)
  | ({ kind: 'late'; id: string } & Made)
  /**
   * A benchmark's measured iterations (tinybench's run, after warmup), in
   * test `id` (Vitest 4: the benchmark's own): what they made, in all.
   */
  | { kind: 'bench'; id: string; name: string; iterations: number; tree: PathStats[] }
  /** A running test's figures so far: used when its worker dies before the test ends. */
  | ({ kind: 'progress'; id: string } & Made)
  | { kind: 'dropped'; addon: string; records: number }
  /** Spans and events of an addon no session could claim, process-wide so far (several workers in one process, no parent to tell). */
  | { kind: 'unattributed'; addon: string; pid: number; count: number }
  | { kind: 'problem'; text: string }
  /** Span callsites an addon met that the filter turned off, as `LEVEL target::name`. */
  | { kind: 'hidden'; addon: string; callsites: string[] }
  /**
   * A panic in the worker's process, written by the addon's panic hook (its
   * thread, where, the message); the reporter adds the worker and the test
   * file that was running (the stats file's last `begin` before it), and
   * `survived` when the worker wrote on after it: the addon caught the panic
   * (`catch_unwind`, a joined thread, `#[napi(catch_unwind)]`, a tokio
   * task's `JoinHandle`), which only an uncaught one at napi's boundary
   * does not, aborting the process.
   */
  | { kind: 'panic'; pid: number; thread: string; location: string; message: string; worker?: string; file?: string; survived?: true }
  /** The name of a worker's process in the trace (the last one counts). */
  | { kind: 'process'; pid: number; name: string }

/** Lines buffered at most between flushes: a file of thousands of tests flushes now and then. */
const MAX_BUFFERED = 1024
/** The statistics lines a test writes, which may wait for the next flush. */
const PER_TEST: ReadonlySet<StatsLine['kind']> = new Set(['test', 'late', 'progress', 'bench', 'profile', 'made'])

export const TRACE_SUFFIX = '.trace.jsonl'
/** What ends every entry of a trace file: the merged trace is the files' bytes. */
export const ENTRY_END = ',\n'
export const STATS_SUFFIX = '.stats.jsonl'
/** The file in the raw folder naming the current run; worker files start with it. */
const RUN_FILE = 'run'

/**
 * The trace's name entries from the workers' stats lines: one
 * `process_name` per process, its last name (the files it ran). Tracks are
 * named in the files that write on them.
 */
export function nameEntries(lines: readonly StatsLine[]): MetadataEvent[] {
  const processes = new Map<number, string>()
  for (const line of lines) if (line.kind === 'process') processes.set(line.pid, line.name)
  return [...processes].map(([pid, name]): MetadataEvent => ({ ph: 'M', name: 'process_name', pid, tid: 0, args: { name } }))
}

/** Starts a run: called by the reporter before any worker writes. */
export function startRun(dir: string, run: string): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, RUN_FILE), run)
}

/** The run workers should write for now; '' before any run started. */
export function currentRun(dir: string): string {
  try {
    return readFileSync(join(dir, RUN_FILE), 'utf8').trim()
  } catch {
    return ''
  }
}

/** Whether a raw file belongs to `run`. */
export function ofRun(name: string, run: string): boolean {
  return name.startsWith(`${run}.`)
}


export class WorkerFiles {
  readonly pid: number
  readonly #dir: string
  readonly #key: string
  #run: string
  #trace: number
  #stats: number
  /** Trace lines waiting for the next flush (a few per test). */
  #buffer: string[] = []
  /** Statistics lines waiting for the next flush. */
  #lines: string[] = []
  #closed = false
  /** The process's name, written again into each run's stats file. */
  #name: StatsLine | undefined

  /**
   * @param dir the raw folder
   * @param key unique per worker (pid and thread)
   * @param pid the trace pid: the OS id of the worker's JavaScript thread
   *   (for a forked worker, its process id), unique among every worker of
   *   the run however many threads share a process
   */
  constructor(dir: string, key: string, pid: number) {
    mkdirSync(dir, { recursive: true })
    this.pid = pid
    this.#dir = dir
    this.#key = key
    this.#run = currentRun(dir)
    ;[this.#trace, this.#stats] = this.#open()
  }

  /** The stats file of the current run, which the addon also appends a line to when the process panics. */
  get statsPath(): string {
    return join(this.#dir, `${this.#run}.${this.#key}${STATS_SUFFIX}`)
  }

  /**
   * Where the addon numbered `index` streams this worker's native spans, for
   * the current run (merged with the other trace files of the run).
   */
  nativeTrace(index: number): string {
    return join(this.#dir, `${this.#run}.${this.#key}.native-${index}${TRACE_SUFFIX}`)
  }

  #open(): [number, number] {
    const base = join(this.#dir, `${this.#run}.${this.#key}`)
    return [openSync(base + TRACE_SUFFIX, 'a'), openSync(base + STATS_SUFFIX, 'a')]
  }

  /**
   * Follows the reporter to a new run (watch mode reruns a worker that
   * outlived the previous run): later lines go to files of the new run.
   */
  followRun(): boolean {
    const run = currentRun(this.#dir)
    if (this.#closed || run === this.#run) return false
    this.flush()
    closeSync(this.#trace)
    closeSync(this.#stats)
    this.#run = run
    mkdirSync(this.#dir, { recursive: true })
    ;[this.#trace, this.#stats] = this.#open()
    if (this.#name) this.stats(this.#name)
    return true
  }

  /** A slice the worker itself knows (a test, a file); native spans are the addon's to write. */
  slice(tid: number, name: string, cat: string, startNs: number, durNs: number, args: Record<string, unknown>): void {
    const event: TraceEvent = { ph: 'X', name, cat, pid: this.pid, tid, ts: nsToUs(startNs), dur: nsToUs(durNs), args }
    this.#buffer.push(JSON.stringify(event) + ENTRY_END)
  }

  /** Any other entry of the worker's own (profile events, counters). */
  event(event: TraceEvent): void {
    this.#buffer.push(JSON.stringify(event) + ENTRY_END)
  }

  /** Names this worker's process (the last name counts). */
  process(name: string): void {
    this.#name = { kind: 'process', pid: this.pid, name }
    this.stats(this.#name)
  }

  /**
   * A statistics line. A test's lines are buffered with the trace lines
   * until the next flush (the worker's checkpoints, every 100 ms, and each
   * file's end): two writes per test were a good part of what a test
   * boundary cost. The others are written at once, as a panic that aborts
   * the process is read against them (which worker, which file).
   */
  stats(line: StatsLine): void {
    if (this.#closed) return
    this.#lines.push(JSON.stringify(line) + '\n')
    if (!PER_TEST.has(line.kind) || this.#lines.length >= MAX_BUFFERED) this.flush()
  }

  /** Writes buffered trace and statistics lines. */
  flush(): void {
    if (this.#closed) return
    if (this.#buffer.length > 0) {
      writeSync(this.#trace, this.#buffer.join(''))
      this.#buffer = []
    }
    if (this.#lines.length > 0) {
      writeSync(this.#stats, this.#lines.join(''))
      this.#lines = []
    }
  }

  close(): void {
    if (this.#closed) return
    this.flush()
    this.#closed = true
    closeSync(this.#trace)
    closeSync(this.#stats)
  }
}
