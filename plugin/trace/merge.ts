/**
 * Merges the workers' trace files into one Chrome trace, streaming bytes.
 * Every entry in a worker file is one line ending with a comma
 * (`ENTRY_END`), so the trace's entries are the files' bytes as they are:
 * whole chunks are copied, only the very last comma is held back, and lines
 * are only counted (memchr), never copied one by one.
 */
import { closeSync, mkdirSync, openSync, readSync, readdirSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { traceFooter, type TraceEvent } from '../data/events.js'
import { ENTRY_END, ofRun, TRACE_SUFFIX } from '../data/worker-file.js'

export interface MergeResult {
  files: number
  events: number
  /** Lines that were not complete JSON (a worker killed mid-write). */
  skipped: number
}

const CHUNK = 1 << 20
const NEWLINE = 0x0a
const SEPARATOR = Buffer.from(ENTRY_END)
/** How an addon's trace file names a track (`trace/json.rs`'s name entries), at the start of a line. */
const TRACK_NAME = Buffer.from('{"ph":"M","name":"thread_name",')

/**
 * Writes `out`: the entries of `head` (the processes' names), then
 * every entry of the run's worker files, and `otherData`. Each track is
 * named once: every addon of a worker names, in its own file, the tracks
 * it writes on, and two addons share the worker's JavaScript thread and
 * its concurrent tests' tracks (the first name counts; they are the
 * same). Synchronous: it also runs when the run is interrupted, where
 * nothing may wait.
 */
export function mergeTraces(
  rawDir: string,
  run: string,
  out: string,
  head: readonly TraceEvent[] = [],
  otherData: Record<string, unknown> = {},
): MergeResult {
  const inputs = listFiles(rawDir, run)
  mkdirSync(dirname(out), { recursive: true })
  const fd = openSync(out, 'w')
  let chunk: Buffer = Buffer.allocUnsafe(CHUNK)
  let events = 0
  let skipped = 0
  const write = (data: Buffer | string) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    let done = 0
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done)
  }
  // The separator after the last entry written so far: owed until another entry follows.
  let owed = false
  /** The tracks named so far, as `pid tid`. */
  const named = new Set<string>()
  /** Writes whole entries (lines, each ending with ENTRY_END) as they are, less the names of tracks already named. */
  const writeEntries = (entries: Buffer) => {
    let from = 0
    for (let at = entries.indexOf(TRACK_NAME); at !== -1; at = entries.indexOf(TRACK_NAME, at + 1)) {
      if (at > 0 && entries[at - 1] !== NEWLINE) continue
      const end = entries.indexOf(NEWLINE, at) + 1
      const { pid, tid } = JSON.parse(entries.toString('utf8', at, end - SEPARATOR.length)) as { pid: number; tid: number }
      if (named.has(`${pid} ${tid}`)) {
        writeWhole(entries.subarray(from, at))
        from = end
      } else named.add(`${pid} ${tid}`)
    }
    writeWhole(from === 0 ? entries : entries.subarray(from))
  }
  const writeWhole = (entries: Buffer) => {
    if (entries.length === 0) return
    if (owed) write(SEPARATOR)
    write(entries.subarray(0, entries.length - SEPARATOR.length))
    owed = true
    for (let at = entries.indexOf(NEWLINE); at !== -1; at = entries.indexOf(NEWLINE, at + 1)) events++
  }
  try {
    write('{"traceEvents":[\n')
    if (head.length > 0) writeEntries(Buffer.from(head.map((e) => JSON.stringify(e) + ENTRY_END).join('')))
    for (const input of inputs) {
      const src = openSync(input, 'r')
      // Read into one buffer; whole lines go out, the unfinished tail moves
      // to the front for the next read. No allocation per chunk.
      let filled = 0
      try {
        for (;;) {
          if (filled === chunk.length) chunk = grow(chunk) // a line longer than the buffer (a huge field)
          const read = readSync(src, chunk, filled, chunk.length - filled, null)
          if (read === 0) break
          filled += read
          const last = chunk.lastIndexOf(NEWLINE, filled - 1)
          if (last === -1) continue
          writeEntries(chunk.subarray(0, last + 1))
          chunk.copy(chunk, 0, last + 1, filled)
          filled -= last + 1
        }
      } finally {
        closeSync(src)
      }
      // Workers write whole lines: only a file's last line can be cut short
      // (a worker killed mid-write), so only that one is checked.
      if (filled > 0) {
        const entry = completeEntry(chunk.toString('utf8', 0, filled))
        if (entry !== undefined) writeEntries(Buffer.from(entry + ENTRY_END))
        else skipped++
      }
    }
    write(traceFooter(otherData))
  } finally {
    closeSync(fd)
  }
  return { files: inputs.length, events, skipped }
}

function grow(buffer: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(buffer.length * 2)
  buffer.copy(bigger)
  return bigger
}

function listFiles(dir: string, run: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(TRACE_SUFFIX) && ofRun(f, run))
      .sort()
      .map((f) => join(dir, f))
  } catch {
    // No worker wrote anything (no raw folder): an empty trace.
    return []
  }
}

/** The entry of a line cut short before its newline, if it is still one whole JSON object. */
function completeEntry(line: string): string | undefined {
  const entry = line.endsWith(',') ? line.slice(0, -1) : line
  if (!entry.startsWith('{') || !entry.endsWith('}')) return undefined
  try {
    JSON.parse(entry)
    return entry
  } catch {
    return undefined
  }
}
