/**
 * Merges the workers' trace files into one Chrome trace, streaming bytes:
 * worker files hold one complete JSON entry per line, so merging is copying
 * them with `,` between entries, chunk by chunk, never holding a whole file.
 */
import { closeSync, mkdirSync, openSync, readSync, readdirSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ofRun, TRACE_SUFFIX } from './worker-file.js'

export interface MergeResult {
  files: number
  events: number
  /** Lines that were not complete JSON (a worker killed mid-write). */
  skipped: number
}

const CHUNK = 1 << 20
const NEWLINE = 0x0a
const SEPARATOR = Buffer.from(',\n')

export async function mergeTraces(rawDir: string, run: string, out: string, otherData: Record<string, unknown> = {}): Promise<MergeResult> {
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
  /**
   * Writes whole lines (each ending in a newline) as comma-separated
   * entries: copied into one reused buffer, written at once, no allocation
   * per line (the main process stays small whatever the trace's size).
   */
  let merged = Buffer.allocUnsafe(2 * CHUNK)
  const writeLines = (lines: Buffer) => {
    if (merged.length < 2 * lines.length + 2) merged = Buffer.allocUnsafe(2 * lines.length + 2)
    let used = 0
    let start = 0
    for (let end = lines.indexOf(NEWLINE); end !== -1; end = lines.indexOf(NEWLINE, start)) {
      if (end > start) {
        if (events > 0) used += SEPARATOR.copy(merged, used)
        used += lines.copy(merged, used, start, end)
        events++
      }
      start = end + 1
    }
    write(merged.subarray(0, used))
  }
  try {
    write('{"traceEvents":[\n')
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
          writeLines(chunk.subarray(0, last + 1))
          chunk.copy(chunk, 0, last + 1, filled)
          filled -= last + 1
        }
      } finally {
        closeSync(src)
      }
      // Workers write whole lines: only a file's last line can be cut short
      // (a worker killed mid-write), so only that one is checked.
      if (filled > 0) {
        if (isCompleteJson(chunk.toString('utf8', 0, filled))) {
          chunk = filled === chunk.length ? grow(chunk) : chunk
          chunk[filled] = NEWLINE
          writeLines(chunk.subarray(0, filled + 1))
        } else skipped++
      }
    }
    write(`\n],"displayTimeUnit":"ms","otherData":${JSON.stringify({ generator: 'vitest-napi-tracing', ...otherData })}}\n`)
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

/** Whether a line is one whole JSON object. */
function isCompleteJson(line: string): boolean {
  if (!line.startsWith('{') || !line.endsWith('}')) return false
  try {
    JSON.parse(line)
    return true
  } catch {
    return false
  }
}
