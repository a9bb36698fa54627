/**
 * The native slices of a worker's JavaScript thread, read back from the
 * trace files its addons write (one entry per line, see `data/worker-file.ts`):
 * what the JavaScript thread was inside when V8 sampled it. Each file is
 * read on from where the last read stopped, so a worker reads every byte
 * once; only lines of the JavaScript thread's tracks are parsed.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import type { NativeSlice } from '../data/profile.js'

const CHUNK = 1 << 20

/**
 * The tracks the addons draw the JavaScript thread's slices on: its own,
 * its concurrent tests' (`tracks.rs`: base + tid × 32 + slot), and each of
 * those displaced by out-of-order exits (up to 3 levels).
 */
export function jsThreadTracks(jsTid: number): Set<number> {
  const bases = [jsTid]
  for (let slot = 1; slot <= 31; slot++) bases.push(0x2000_0000 + jsTid * 32 + slot)
  const tracks = new Set<number>()
  for (const base of bases) for (let level = 0; level <= 3; level++) tracks.add(base + level * 0x3000_0000)
  return tracks
}

export class NativeSlices {
  readonly #tracks: Set<number>
  /** How far each file was read (bytes). */
  readonly #read = new Map<string, number>()

  constructor(jsTid: number) {
    this.#tracks = jsThreadTracks(jsTid)
  }

  /** The JavaScript thread's slices written to `files` since the last call, in µs. */
  take(files: readonly string[]): NativeSlice[] {
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
          for (const line of buffer.toString('utf8', 0, last).split('\n')) this.#parse(line, out)
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

  #parse(line: string, out: NativeSlice[]): void {
    if (!line.startsWith('{"ph":"X"')) return
    const at = line.lastIndexOf('"tid":')
    if (at === -1 || !this.#tracks.has(Number.parseInt(line.slice(at + 6), 10))) return
    try {
      const e = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as { name: string; cat: string; ts: number; dur: number }
      out.push({ name: e.name, target: e.cat, start: e.ts, end: e.ts + e.dur })
    } catch {
      // A line cut short: left out.
    }
  }
}
