/**
 * One worker's output: trace events (Chrome format, final pids and tids, one
 * per line) and statistics lines, appended to two files in the run's raw
 * folder. Lines are written whole, synchronously, so a worker that dies
 * leaves every line it finished; the reporter merges the files at run end.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { SliceSink, SpanStats } from '../collector.js'
import { nsToUs, toArgs, type TraceEvent } from './events.js'

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

/** Buffered bytes that trigger a write. */
const WRITE_AT = 256 * 1024

export class WorkerFiles implements SliceSink {
  readonly pid: number
  readonly #trace: number
  readonly #stats: number
  #buffer: string[] = []
  #size = 0
  #closed = false

  /**
   * @param dir the run's raw folder
   * @param key unique per worker and addon (pid, thread, addon)
   * @param pid the trace pid: the process id, or a worker thread's own id
   */
  constructor(dir: string, key: string, pid: number) {
    mkdirSync(dir, { recursive: true })
    this.pid = pid
    this.#trace = openSync(join(dir, key + TRACE_SUFFIX), 'a')
    this.#stats = openSync(join(dir, key + STATS_SUFFIX), 'a')
  }

  event(event: TraceEvent): void {
    const line = JSON.stringify(event) + '\n'
    this.#buffer.push(line)
    this.#size += line.length
    if (this.#size >= WRITE_AT) this.flush()
  }

  slice(tid: number, name: string, cat: string, startNs: bigint, durNs: bigint, args: Record<string, unknown>): void {
    this.event({ ph: 'X', name, cat, pid: this.pid, tid, ts: nsToUs(startNs), dur: nsToUs(durNs), args: toArgs(args) })
  }

  instant(tid: number, name: string, cat: string, tsNs: bigint, args: Record<string, unknown>): void {
    this.event({ ph: 'I', s: 't', name, cat, pid: this.pid, tid, ts: nsToUs(tsNs), args: toArgs(args) })
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
    if (this.#closed || this.#buffer.length === 0) return
    writeSync(this.#trace, this.#buffer.join(''))
    this.#buffer = []
    this.#size = 0
  }

  close(): void {
    if (this.#closed) return
    this.flush()
    this.#closed = true
    closeSync(this.#trace)
    closeSync(this.#stats)
  }
}
