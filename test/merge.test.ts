import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { mergeTraces } from '../plugin/trace/merge.js'
import { mergeShardTraces } from '../plugin/trace/shards.js'
import { ENTRY_END, nameEntries, STATS_SUFFIX, TRACE_SUFFIX, WorkerFiles, startRun, type StatsLine } from '../plugin/data/worker-file.js'
import { loadTrace } from './support/trace-engine.js'

const RUN = 'r1'

function rawDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-merge-'))
  startRun(dir, RUN)
  return dir
}

/** A worker's file as the addon writes it: `slices` X entries on one thread, which it names `thread` (when given) first. */
function nativeFile(dir: string, name: string, pid: number, slices: number, tail = '', thread?: string): void {
  const lines: string[] = []
  if (thread) lines.push(`{"ph":"M","name":"thread_name","pid":${pid},"tid":7,"args":{"name":${JSON.stringify(thread)}}}`)
  for (let i = 0; i < slices; i++) {
    lines.push(`{"ph":"X","name":"s${i}","cat":"c","ts":${1000 + i * 10}.000,"dur":5.000,"args":{},"pid":${pid},"tid":7}`)
  }
  writeFileSync(join(dir, `${RUN}.${name}${TRACE_SUFFIX}`), lines.map((l) => l + ENTRY_END).join('') + tail)
}

function merged(out: string) {
  return JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: Array<{ ph: string; name: string; pid: number }> }
}

describe('merging worker trace files', () => {
  test("every worker's entries, once, in a file Chrome's trace engine loads; one name per process and track", async () => {
    const dir = rawDir()
    const worker = new WorkerFiles(dir, '100-0', 100)
    worker.process('vitest worker 1 (pid 100)')
    worker.slice(7, 'a test', 'test', 500_000, 100_000, { test: 'id' })
    worker.process('vitest worker 1 (pid 100): a.test.ts')
    worker.close()
    // The addons name the tracks they write on.
    nativeFile(dir, '100-0.native-0', 100, 3, '', 'JavaScript (main)')
    nativeFile(dir, '200-0.native-0', 200, 4, '', 'JavaScript (main)')
    // Another run's file is left out.
    writeFileSync(join(dir, `r0.300-0${TRACE_SUFFIX}`), `{"ph":"X","name":"old","cat":"c","ts":1.000,"dur":1.000,"pid":300,"tid":1,"args":{}}${ENTRY_END}`)
    const lines = readFileSync(join(dir, `${RUN}.100-0${STATS_SUFFIX}`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as StatsLine)
    const names = nameEntries(lines)
    expect(names).toEqual([{ ph: 'M', name: 'process_name', pid: 100, tid: 0, args: { name: 'vitest worker 1 (pid 100): a.test.ts' } }])
    const out = join(dir, 'trace.json')
    const result = mergeTraces(dir, RUN, out, names, { run: RUN })
    expect(result).toEqual({ files: 3, events: 1 + 1 + (1 + 3) + (1 + 4), skipped: 0 })
    const trace = merged(out)
    expect(trace.traceEvents).toHaveLength(11)
    expect(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name).sort()).toEqual(['a test', 's0', 's0', 's1', 's1', 's2', 's2', 's3'])
    expect(new Set(trace.traceEvents.map((e) => e.pid))).toEqual(new Set([100, 200]))
    const loaded = await loadTrace(out)
    expect([...loaded.processes.keys()].sort()).toEqual([100, 200])
    expect(loaded.processes.get(100)?.threads.get(7)?.name).toBe('JavaScript (main)')
  })

  test("two addons of one worker both name its JavaScript thread: the merged trace names it once", async () => {
    const dir = rawDir()
    nativeFile(dir, '100-0.native-0', 100, 2, '', 'JavaScript (main)')
    nativeFile(dir, '100-0.native-1', 100, 3, '', 'JavaScript (main)')
    const out = join(dir, 'trace.json')
    expect(mergeTraces(dir, RUN, out)).toEqual({ files: 2, events: 1 + 2 + 3, skipped: 0 })
    expect(merged(out).traceEvents.filter((e) => e.ph === 'M')).toEqual([expect.objectContaining({ name: 'thread_name', pid: 100, tid: 7 })])
    const loaded = await loadTrace(out)
    expect(loaded.processes.get(100)?.threads.get(7)?.name).toBe('JavaScript (main)')
  })

  test("a worker killed mid-line: its finished lines are kept, the cut one is counted as skipped", async () => {
    const dir = rawDir()
    nativeFile(dir, '100-0.native-0', 100, 5, '{"ph":"X","name":"cut","cat":"c","ts":1')
    // Cut after the closing brace but before the comma: still a whole entry.
    nativeFile(dir, '200-0.native-0', 200, 1, '{"ph":"X","name":"whole","cat":"c","ts":2.000,"dur":1.000,"args":{},"pid":200,"tid":7}')
    const out = join(dir, 'trace.json')
    const result = mergeTraces(dir, RUN, out)
    expect(result).toEqual({ files: 2, events: 5 + 1 + 1, skipped: 1 })
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
    const result = mergeTraces(dir, RUN, out)
    expect(result).toEqual({ files: 2, events: 30_000 + 1, skipped: 0 })
    const events = merged(out).traceEvents
    expect(events).toHaveLength(30_001)
    expect(events.at(-1)?.name).toBe('huge')
  })

  test('no worker files: an empty trace that still parses', async () => {
    const dir = rawDir()
    const out = join(dir, 'trace.json')
    expect(mergeTraces(join(dir, 'missing'), RUN, out)).toEqual({ files: 0, events: 0, skipped: 0 })
    expect(merged(out).traceEvents).toEqual([])
  })
})

describe('merging CI shards’ traces', () => {
  /** A shard's trace.json as the plugin writes it, its clock anchored `epochMs` at `monotonicUs`. */
  function shardTrace(dir: string, name: string, startUs: number, clock?: { monotonicUs: number; epochMs: number }): string {
    const path = join(dir, `${name}.json`)
    const entries = [
      '{"ph":"M","name":"process_name","pid":42,"tid":0,"args":{"name":"vitest worker 1 (pid 42)"}}',
      '{"ph":"M","name":"thread_name","pid":42,"tid":42,"args":{"name":"JavaScript (main)"}}',
      `{"ph":"X","name":"a test","cat":"test","pid":42,"tid":42,"ts":${startUs},"dur":1000,"args":{}}`,
      `{"ph":"X","name":"parse","cat":"addon","pid":42,"tid":42,"ts":${startUs + 100},"dur":500,"args":{}}`,
      `{"ph":"P","name":"Profile","cat":"disabled-by-default-v8.cpu_profiler","id":"0x1","pid":42,"tid":42,"ts":${startUs + 10},"args":{"data":{"startTime":${startUs + 10}}}}`,
      `{"ph":"s","id":"00000000000000aa","name":"parse","cat":"addon","ts":${startUs + 100},"pid":42,"tid":42}`,
    ]
    const footer = `\n],"displayTimeUnit":"ms","otherData":${JSON.stringify({ generator: 'vitest-napi-tracing', ...(clock ? { clock } : {}) })}}\n`
    writeFileSync(path, `{"traceEvents":[\n${entries.join(',\n')}${footer}`)
    return path
  }

  test('each shard a process group of its own, on one wall clock, however long each machine had been up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-shards-'))
    // Shard 1's machine booted 1,000 s before its run, shard 2's 5,000 s before; shard 2 ran 2.5 ms after shard 1 by the wall clock.
    const one = shardTrace(dir, 'one', 1_000_000_000, { monotonicUs: 1_000_010_000, epochMs: 1_800_000_000_000 })
    const two = shardTrace(dir, 'two', 5_000_000_000, { monotonicUs: 5_000_010_000, epochMs: 1_800_000_000_002.5 })
    const out = join(dir, 'trace.json')
    expect(await mergeShardTraces([{ shard: '1/2', path: one }, { shard: '2/2', path: two }], out)).toEqual({ events: 12, skipped: 0, unaligned: [] })
    const events = (
      JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: Array<{ name: string; ph: string; id?: string; pid: number; ts?: number; args: { name?: string; data?: { startTime?: number } } }> }
    ).traceEvents
    const tests = events.filter((e) => e.name === 'a test')
    expect(tests.map((e) => e.ts)).toEqual([1_000_000_000, 1_000_002_500])
    // A profile's start moves with its shard, in both fields viewers read it from.
    const profiles = events.filter((e) => e.name === 'Profile')
    expect(profiles.map((e) => [e.ts, e.args.data?.startTime])).toEqual([
      [1_000_000_010, 1_000_000_010],
      [1_000_002_510, 1_000_002_510],
    ])
    // Flow ids stay hexadecimal (what Perfetto reads), and two shards' never meet.
    const flows = events.filter((e) => e.ph === 's').map((e) => e.id!)
    expect(flows).toHaveLength(2)
    for (const id of flows) expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(flows[0]).not.toBe(flows[1])
    expect(new Set(tests.map((e) => e.pid)).size).toBe(2)
    expect(events.filter((e) => e.name === 'process_name').map((e) => e.args.name)).toEqual(['shard 1/2 · vitest worker 1 (pid 42)', 'shard 2/2 · vitest worker 1 (pid 42)'])
    const trace = await loadTrace(out)
    expect(trace.slices.filter((s) => s.name === 'parse').map((s) => s.parent?.name)).toEqual(['a test', 'a test'])
  })

  test('a shard trace without its anchor stays on its own clock, and is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-shards-'))
    const one = shardTrace(dir, 'one', 1_000_000_000, { monotonicUs: 1_000_010_000, epochMs: 1_800_000_000_000 })
    const two = shardTrace(dir, 'two', 5_000_000_000)
    const result = await mergeShardTraces([{ shard: '1/2', path: one }, { shard: '2/2', path: two }], join(dir, 'trace.json'))
    expect(result.unaligned).toEqual(['2/2'])
    const tests = (JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as { traceEvents: Array<{ name: string; ts?: number }> }).traceEvents.filter((e) => e.name === 'a test')
    expect(tests.map((e) => e.ts)).toEqual([1_000_000_000, 5_000_000_000])
  })
})
