/**
 * The worker's memory as counter tracks: its JavaScript heap in use (this
 * thread's isolate) and the process's resident set, sampled at each test's
 * start and end and, while tests run, every `MEMORY_MS` when the event loop
 * turns (a test that never yields is sampled at its edges only). Each
 * reading is one `C` event of the worker's trace; a test's change is its
 * end reading less its start.
 */
// Node's own timers: a test's fake timers replace the global ones, never these.
import { clearInterval, setInterval } from 'node:timers'
import type { CounterEvent } from '../data/events.js'

/** How often memory is read while tests run, at most. */
export const MEMORY_MS = 20

/** One reading, in bytes. */
export interface Reading {
  heapUsed: number
  rss: number
}

/** The counter track's name in the trace: a series per arg (`heapUsed`, `rss`). */
const COUNTER = 'memory'

export class MemorySampler {
  readonly #write: (event: CounterEvent) => void
  readonly #pid: number
  readonly #tid: number
  #timer: ReturnType<typeof setInterval> | undefined

  /** Writes its counter events through `write`, as process `pid`'s, thread `tid`. */
  constructor(write: (event: CounterEvent) => void, pid: number, tid: number) {
    this.#write = write
    this.#pid = pid
    this.#tid = tid
  }

  /** Reads memory now and writes it to the trace. */
  read(): Reading {
    const ts = Number(process.hrtime.bigint()) / 1000
    const { heapUsed, rss } = process.memoryUsage()
    this.#write({ ph: 'C', name: COUNTER, pid: this.#pid, tid: this.#tid, ts, args: { heapUsed, rss } })
    return { heapUsed, rss }
  }

  /** Reads memory at a bounded rate while `running()` says tests run; stops by itself after. */
  follow(running: () => boolean): void {
    if (this.#timer) return
    this.#timer = setInterval(() => {
      if (running()) this.read()
      else this.stop()
    }, MEMORY_MS)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }
}
