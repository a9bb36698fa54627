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
  const chunk = Buffer.allocUnsafe(CHUNK)
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
      let pending: Buffer = Buffer.alloc(0)
      try {
        for (let read = readSync(src, chunk); read > 0; read = readSync(src, chunk)) {
          const data = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, read)]) : chunk.subarray(0, read)
          const last = data.lastIndexOf(NEWLINE)
          if (last === -1) {
            pending = Buffer.from(data)
            continue
          }
          writeLines(data.subarray(0, last + 1))
          pending = Buffer.from(data.subarray(last + 1))
        }
      } finally {
        closeSync(src)
      }
      // Workers write whole lines: only a file's last line can be cut short
      // (a worker killed mid-write), so only that one is checked.
      if (pending.length > 0) {
        if (isCompleteJson(pending.toString('utf8'))) writeLines(Buffer.concat([pending, Buffer.from('\n')]))
        else skipped++
      }
    }
    write(`\n],"displayTimeUnit":"ms","otherData":${JSON.stringify({ generator: 'vitest-napi-tracing', ...otherData })}}\n`)
  } finally {
    closeSync(fd)
  }
  return { files: inputs.length, events, skipped }
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
