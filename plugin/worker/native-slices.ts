/**
 * The native slices of a worker's JavaScript thread, read back from the
 * trace files its addons write (one entry per line, see `data/worker-file.ts`):
 * what the JavaScript thread was inside when V8 sampled it. Each file is
 * read on from where the last read stopped, so a worker reads every byte
 * once; of the JavaScript thread's slices, only those a sample fell in are
 * parsed whole (a suite of millions of short spans has few such).
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { TRACKS } from '../../src/protocol.generated.js'
import type { NativeSlice } from '../data/profile.js'

const CHUNK = 1 << 20

/**
 * Whether the addons draw track `track` for JavaScript thread `jsTid`: its
 * own, its concurrent tests' and each of those displaced by out-of-order
 * exits (the layout of `TRACKS`, from the crate's `protocol/tracks.rs`).
 * A session's tracks are in its own trace process, so any concurrent
 * test's track in the worker's files is this thread's.
 */
export function isJsThreadTrack(jsTid: number, track: number): boolean {
  const level = Math.min(Math.floor(track / TRACKS.displaced), TRACKS.maxLevel)
  const base = track - level * TRACKS.displaced
  return base === jsTid || (base > TRACKS.concurrent && base < TRACKS.concurrent + TRACKS.slots)
}

export class NativeSlices {
  readonly #jsTid: number
  /** How far each file was read (bytes). */
  readonly #read = new Map<string, number>()

  constructor(jsTid: number) {
    this.#jsTid = jsTid
  }

  /**
   * The JavaScript thread's slices written to `files` since the last call
   * that hold one of the sample times `samples` (µs, sorted), in µs.
   */
  take(files: readonly string[], samples: Float64Array): NativeSlice[] {
    const out: NativeSlice[] = []
    for (const path of files) {
      let fd: number
      try {
        fd = openSync(path, 'r')
      } catch {
        continue
      }
      try {
        let at = this.#read.get(path) ?? 0
        let buffer = Buffer.allocUnsafe(CHUNK)
        for (;;) {
          const n = readSync(fd, buffer, 0, buffer.length, at)
          if (n === 0) break
          // Only whole lines count: the rest is read again next time.
          const last = buffer.lastIndexOf(0x0a, n - 1)
          if (last === -1) {
            if (n < buffer.length) break
            buffer = Buffer.allocUnsafe(buffer.length * 2) // a line longer than the buffer (a huge field)
            continue
          }
          for (const line of buffer.toString('utf8', 0, last).split('\n')) this.#parse(line, samples, out)
          at += last + 1
        }
        this.#read.set(path, at)
      } finally {
        closeSync(fd)
      }
    }
    return out
  }

  /** Forgets where files were read (a new run's files). */
  reset(): void {
    this.#read.clear()
  }

  #parse(line: string, samples: Float64Array, out: NativeSlice[]): void {
    if (!line.startsWith('{"ph":"X"')) return
    const at = line.lastIndexOf('"tid":')
    if (at === -1 || !isJsThreadTrack(this.#jsTid, Number.parseInt(line.slice(at + 6), 10))) return
    // The first `,"ts":` and `,"dur":` are the slice's own: the name and category before them
    // are JSON strings, in which a quote is always escaped.
    const ts = numberAfter(line, ',"ts":')
    const dur = numberAfter(line, ',"dur":')
    if (Number.isNaN(ts) || Number.isNaN(dur) || !holdsOne(samples, ts, ts + dur)) return
    try {
      const e = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as { name: string; cat: string; ts: number; dur: number }
      out.push({ name: e.name, target: e.cat, start: e.ts, end: e.ts + e.dur })
    } catch {
      // A line cut short: left out.
    }
  }
}

/** The number after the first `key` in `line` (NaN when there is none). */
function numberAfter(line: string, key: string): number {
  const at = line.indexOf(key)
  return at === -1 ? Number.NaN : Number.parseFloat(line.slice(at + key.length, at + key.length + 32))
}

/** Whether a time of `sorted` lies in [start, end). */
function holdsOne(sorted: Float64Array, start: number, end: number): boolean {
  let low = 0
  for (let high = sorted.length; low < high; ) {
    const mid = (low + high) >>> 1
    if (sorted[mid]! < start) low = mid + 1
    else high = mid
  }
  return low < sorted.length && sorted[low]! < end
}
