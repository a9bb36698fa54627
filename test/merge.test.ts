import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { mergeTraces } from '../src/trace/merge.js'
import { ENTRY_END, TRACE_SUFFIX, WorkerFiles, startRun } from '../src/trace/worker-file.js'
import { loadTrace } from './support/trace-engine.js'

const RUN = 'r1'

function rawDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-merge-'))
  startRun(dir, RUN)
  return dir
}

/** A worker's file as the addon writes it: `slices` X entries on one thread. */
function nativeFile(dir: string, name: string, pid: number, slices: number, tail = ''): void {
  const lines = [`{"ph":"M","name":"thread_name","args":{"name":"t"},"pid":${pid},"tid":7}`]
  for (let i = 0; i < slices; i++) {
    lines.push(`{"ph":"X","name":"s${i}","cat":"c","ts":${1000 + i * 10}.000,"dur":5.000,"args":{},"pid":${pid},"tid":7}`)
  }
  writeFileSync(join(dir, `${RUN}.${name}${TRACE_SUFFIX}`), lines.map((l) => l + ENTRY_END).join('') + tail)
}

function merged(out: string) {
  return JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: Array<{ ph: string; name: string; pid: number }> }
}

describe('merging worker trace files', () => {
  test("every worker's entries, once, in a file Chrome's trace engine loads", async () => {
    const dir = rawDir()
    const worker = new WorkerFiles(dir, '100-0', 100)
    worker.process('vitest worker 1 (pid 100)')
    worker.slice(7, 'a test', 'test', 500_000, 100_000, { test: 'id' })
    worker.close()
    nativeFile(dir, '100-0.native-0', 100, 3)
    nativeFile(dir, '200-0.native-0', 200, 4)
    // Another run's file is left out.
    writeFileSync(join(dir, `r0.300-0${TRACE_SUFFIX}`), `{"ph":"M","name":"thread_name","pid":300,"tid":1,"args":{"name":"x"}}${ENTRY_END}`)
    const out = join(dir, 'trace.json')
    const result = await mergeTraces(dir, RUN, out, { run: RUN })
    expect(result).toEqual({ files: 3, events: 2 + 4 + 5, skipped: 0 })
    const trace = merged(out)
    expect(trace.traceEvents).toHaveLength(11)
    expect(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name).sort()).toEqual(['a test', 's0', 's0', 's1', 's1', 's2', 's2', 's3'])
    expect(new Set(trace.traceEvents.map((e) => e.pid))).toEqual(new Set([100, 200]))
    const loaded = await loadTrace(out)
    expect([...loaded.processes.keys()].sort()).toEqual([100, 200])
  })

  test("a worker killed mid-line: its finished lines are kept, the cut one is counted as skipped", async () => {
    const dir = rawDir()
    nativeFile(dir, '100-0.native-0', 100, 5, '{"ph":"X","name":"cut","cat":"c","ts":1')
    // Cut after the closing brace but before the comma: still a whole entry.
    nativeFile(dir, '200-0.native-0', 200, 1, '{"ph":"X","name":"whole","cat":"c","ts":2.000,"dur":1.000,"args":{},"pid":200,"tid":7}')
    const out = join(dir, 'trace.json')
    const result = await mergeTraces(dir, RUN, out)
    expect(result).toEqual({ files: 2, events: 6 + 2 + 1, skipped: 1 })
    const names = merged(out).traceEvents.map((e) => e.name)
    expect(names).toContain('whole')
    expect(names).not.toContain('cut')
  })

  test('files of several MiB and a line longer than the read buffer', async () => {
    const dir = rawDir()
    nativeFile(dir, '100-0.native-0', 100, 30_000)
    const huge = 'x'.repeat(3 << 20)
    writeFileSync(
      join(dir, `${RUN}.200-0.native-0${TRACE_SUFFIX}`),
      `{"ph":"X","name":"huge","cat":"c","ts":1.000,"dur":1.000,"args":{"v":"${huge}"},"pid":200,"tid":7}${ENTRY_END}`,
    )
    const out = join(dir, 'trace.json')
    const result = await mergeTraces(dir, RUN, out)
    expect(result).toEqual({ files: 2, events: 30_001 + 1, skipped: 0 })
    const events = merged(out).traceEvents
    expect(events).toHaveLength(30_002)
    expect(events.at(-1)?.name).toBe('huge')
  })

  test('no worker files: an empty trace that still parses', async () => {
    const dir = rawDir()
    const out = join(dir, 'trace.json')
    expect(await mergeTraces(join(dir, 'missing'), RUN, out)).toEqual({ files: 0, events: 0, skipped: 0 })
    expect(merged(out).traceEvents).toEqual([])
  })
})
