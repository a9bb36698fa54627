/**
 * The JavaScript thread's native slices, read back from the trace file an
 * addon writes: those on the thread's own track and on its concurrent
 * tests' tracks, as the addon places them, are found; other threads' are not.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { asTracingAddon } from '../src/native.js'
import { collectLayer, CollectSession } from '../plugin/worker/collect-layer.js'
import { NativeSlices } from '../plugin/worker/native-slices.js'
import { fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'

let session: CollectSession | undefined
afterEach(() => {
  fib.napiTracingCaller(0, 0)
  session?.close()
  session = undefined
})

test("slices on the thread's own track and on a concurrent test's track are the thread's", () => {
  const trace = join(mkdtempSync(join(tmpdir(), 'napi-tracing-slices-')), 'native.trace.jsonl')
  const api = asTracingAddon(fib)
  session = CollectSession.start(api, collectLayer({ trace, pid: 4242 }), { filter: 'trace' })
  fib.fibonacci(3, false)
  const track = api.napiTracingCaller(1, 3)
  fib.fibonacci(4, false)
  api.napiTracingCaller(0, 0)
  fib.fanOut(2, 2)
  session.flush(true)
  const slices = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"ph":"X"'))
    .map((l) => JSON.parse(l.replace(/,$/, '')) as { name: string; tid: number; ts: number; dur: number })
  const jsTid = session.stats().threadId
  // A sample in the middle of every slice the addon wrote, on any thread.
  const samples = Float64Array.from(slices.map((s) => s.ts + s.dur / 2).sort((a, b) => a - b))
  const found = new NativeSlices(jsTid).take([trace], samples)
  const onTrack = (tid: number) => slices.filter((s) => s.tid === tid).length
  expect(track).not.toBe(jsTid)
  expect(onTrack(track)).toBe(classicCalls(4))
  // The thread's own fibonacci(3) and fan_out, its concurrent test's fibonacci(4); not fan_out's workers.
  expect(found.filter((s) => s.name === 'fibonacci')).toHaveLength(classicCalls(3) + classicCalls(4))
  expect(found.filter((s) => s.name === 'fan_out')).toHaveLength(1)
  expect(found.filter((s) => s.name === 'worker')).toHaveLength(0)
  expect(slices.filter((s) => s.name === 'worker')).toHaveLength(2)
})
