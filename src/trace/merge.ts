/**
 * Merges the workers' trace files into one Chrome trace, streaming: lines go
 * from each worker file to the output without the whole trace in memory.
 */
import { createReadStream, createWriteStream, mkdirSync, readdirSync } from 'node:fs'
import { once } from 'node:events'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { ofRun, TRACE_SUFFIX } from './worker-file.js'

export interface MergeResult {
  files: number
  events: number
  /** Lines that were not complete JSON (a worker killed mid-write). */
  skipped: number
}

export async function mergeTraces(rawDir: string, run: string, out: string, otherData: Record<string, unknown> = {}): Promise<MergeResult> {
  const inputs = listFiles(rawDir, run)
  mkdirSync(dirname(out), { recursive: true })
  const stream = createWriteStream(out)
  const write = async (text: string) => {
    if (!stream.write(text)) await once(stream, 'drain')
  }
  let events = 0
  let skipped = 0
  await write('{"traceEvents":[\n')
  const emit = async (line: string) => {
    await write(events === 0 ? line : ',\n' + line)
    events++
  }
  for (const input of inputs) {
    // Workers write whole lines; only a file's last line can be cut short
    // (a worker killed mid-write), so only the last one is checked.
    let previous: string | undefined
    const lines = createInterface({ input: createReadStream(input), crlfDelay: Infinity })
    for await (const line of lines) {
      if (line.length === 0) continue
      if (previous !== undefined) await emit(previous)
      previous = line
    }
    if (previous !== undefined) {
      if (isCompleteJson(previous)) await emit(previous)
      else skipped++
    }
  }
  await write(`\n],"displayTimeUnit":"ms","otherData":${JSON.stringify({ generator: 'vitest-napi-tracing', ...otherData })}}\n`)
  stream.end()
  await once(stream, 'finish')
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
