/**
 * One worker's output: trace events (Chrome format, final pids and tids, one
 * per line) and statistics lines, appended to two files in the run's raw
 * folder. Lines are written whole, synchronously, so a worker that dies
 * leaves every line it finished; the reporter merges the files at run end.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { SliceSink, SpanStats } from '../collector.js'
import { nsToUs, type TraceEvent } from './events.js'

/** A line of a worker's stats file. */
export type StatsLine =
  | { kind: 'worker'; pid: number; label: string; addon: string }
  | { kind: 'test'; id: string; file: string; name: string; state: string; spans: SpanStats[]; open: number }
  | { kind: 'file'; file: string; spans: SpanStats[] }
  | { kind: 'late'; id: string; spans: SpanStats[] }
  /** A running test's figures so far: used when its worker dies before the test ends. */
  | { kind: 'progress'; id: string; spans: SpanStats[] }
  | { kind: 'dropped'; addon: string; records: number }
  | { kind: 'problem'; text: string }

export const TRACE_SUFFIX = '.trace.jsonl'
export const STATS_SUFFIX = '.stats.jsonl'
/** The file in the raw folder naming the current run; worker files start with it. */
const RUN_FILE = 'run'

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

/** Bytes of trace lines buffered before a write. */
const WRITE_AT = 1 << 20

export class WorkerFiles implements SliceSink {
  readonly pid: number
  readonly #dir: string
  readonly #key: string
  #run: string
  #trace: number
  #stats: number
  /** Trace lines are encoded straight into this buffer, written when full. */
  readonly #out = Buffer.allocUnsafe(WRITE_AT)
  #used = 0
  #closed = false
  /** Process and thread names, written again at the top of each run's file. */
  readonly #names = new Map<string, TraceEvent>()

  /**
   * @param dir the raw folder
   * @param key unique per worker (pid and thread)
   * @param pid the trace pid: the process id, or a worker thread's own id
   */
  constructor(dir: string, key: string, pid: number) {
    mkdirSync(dir, { recursive: true })
    this.pid = pid
    this.#dir = dir
    this.#key = key
    this.#run = currentRun(dir)
    ;[this.#trace, this.#stats] = this.#open()
  }

  #open(): [number, number] {
    const base = join(this.#dir, `${this.#run}.${this.#key}`)
    return [openSync(base + TRACE_SUFFIX, 'a'), openSync(base + STATS_SUFFIX, 'a')]
  }

  /**
   * Follows the reporter to a new run (watch mode reruns a worker that
   * outlived the previous run): later lines go to files of the new run.
   */
  followRun(): void {
    const run = currentRun(this.#dir)
    if (this.#closed || run === this.#run) return
    this.flush()
    closeSync(this.#trace)
    closeSync(this.#stats)
    this.#run = run
    mkdirSync(this.#dir, { recursive: true })
    ;[this.#trace, this.#stats] = this.#open()
    for (const event of this.#names.values()) this.#line(event)
  }

  event(event: TraceEvent): void {
    if (event.ph === 'M') this.#names.set(`${event.name}\u0000${event.tid}`, event)
    this.#line(event)
  }

  #line(event: TraceEvent): void {
    this.#push(JSON.stringify(event) + '\n')
  }

  #push(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.#used + line.length * 3 > WRITE_AT) {
      this.flush()
      if (line.length * 3 > WRITE_AT) {
        // A line bigger than the buffer (a megabyte field) goes out alone.
        if (!this.#closed) writeSync(this.#trace, line)
        return
      }
    }
    this.#used += this.#out.write(line, this.#used, 'utf8')
  }

  /**
   * The hot path: one line per span interval. Built as text from cached
   * pieces (the name and category as JSON, the args object as JSON) rather
   * than by stringifying a fresh event object each time.
   */
  slice(tid: number, name: string, cat: string, startNs: number, durNs: number, argsJson: string): void {
    this.#push(
      `{"ph":"X","name":${this.#json(name)},"cat":${this.#json(cat)},"pid":${this.pid},"tid":${tid},` +
        `"ts":${nsToUs(startNs)},"dur":${nsToUs(durNs)},"args":${argsJson}}\n`,
    )
  }

  instant(tid: number, name: string, cat: string, tsNs: number, argsJson: string): void {
    this.#push(
      `{"ph":"I","s":"t","name":${this.#json(name)},"cat":${this.#json(cat)},"pid":${this.pid},"tid":${tid},` +
        `"ts":${nsToUs(tsNs)},"args":${argsJson}}\n`,
    )
  }

  /** Names and categories repeat endlessly: their JSON is made once. */
  readonly #strings = new Map<string, string>()
  #json(text: string): string {
    let json = this.#strings.get(text)
    if (json === undefined) {
      json = JSON.stringify(text)
      if (this.#strings.size < 10_000) this.#strings.set(text, json)
    }
    return json
  }

  thread(tid: number, name: string): void {
    this.event({ ph: 'M', name: 'thread_name', pid: this.pid, tid, args: { name: name || `thread ${tid}` } })
  }

  process(label: string): void {
    this.event({ ph: 'M', name: 'process_name', pid: this.pid, tid: 0, args: { name: label } })
  }

  stats(line: StatsLine): void {
    this.flush()
    if (!this.#closed) writeSync(this.#stats, JSON.stringify(line) + '\n')
  }

  /** Writes buffered trace lines. */
  flush(): void {
    if (this.#closed || this.#used === 0) return
    let written = 0
    while (written < this.#used) written += writeSync(this.#trace, this.#out, written, this.#used - written)
    this.#used = 0
  }

  close(): void {
    if (this.#closed) return
    this.flush()
    this.#closed = true
    closeSync(this.#trace)
    closeSync(this.#stats)
  }
}
