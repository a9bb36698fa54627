/**
 * JavaScript samples in the trace: V8's profiles become one profile per
 * worker that Chrome DevTools' trace engine draws under the test slices
 * (checked by loading real profiles taken here), samples inside traced
 * native calls go to those calls, each window's time is split and its
 * functions ranked, and a profile whose clock is not the trace's is
 * refused or placed, never drawn skewed.
 */
import * as inspector from 'node:inspector'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { WorkerProfile, type CpuProfile, type CpuProfileNode, type NativeSlice } from '../plugin/data/profile.js'
import type { TraceEvent } from '../plugin/data/events.js'
import { alignment, JsProfiler } from '../plugin/worker/profiler.js'
import { SourceLocator } from '../plugin/worker/sources.js'
import { loadTrace, within } from './support/trace-engine.js'

const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-profile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function frame(functionName: string, url = '', lineNumber = -1) {
  return { functionName, scriptId: url ? '7' : '0', url, lineNumber, columnNumber: 0 }
}

/** A profile of (root) › caller › leaf, plus (idle) and (garbage collector), sampled as given (µs). */
function profileOf(startTime: number, samples: Array<[string, number]>): CpuProfile {
  const nodes: CpuProfileNode[] = [
    { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
    { id: 2, callFrame: frame('caller', 'file:///repo/src/caller.js', 9), children: [3] },
    { id: 3, callFrame: frame('leaf', 'file:///repo/src/leaf.js', 0) },
    { id: 4, callFrame: frame('(idle)') },
    { id: 5, callFrame: frame('(garbage collector)') },
  ]
  const ids: Record<string, number> = { caller: 2, leaf: 3, idle: 4, gc: 5 }
  const deltas: number[] = []
  let last = startTime
  for (const [, at] of samples) {
    deltas.push(at - last)
    last = at
  }
  return { nodes, startTime, endTime: last + 100, samples: samples.map(([n]) => ids[n]!), timeDeltas: deltas }
}

describe('a V8 profile in the worker profile', () => {
  test('samples inside a native call on the JavaScript thread are that call, under the JavaScript that called it; GC stays GC', () => {
    const worker = new WorkerProfile()
    const slices: NativeSlice[] = [{ name: 'fibonacci', target: 'fib_addon', start: 1_200, end: 1_500 }]
    const samples = worker.samples(
      profileOf(1_000, [
        ['leaf', 1_100],
        ['caller', 1_250],
        ['caller', 1_350],
        ['gc', 1_400],
        ['idle', 1_600],
      ]),
      0,
      slices,
      100,
    )
    const summary = worker.summarize(samples, { start: 1_000, end: 1_700 }, '/repo')
    expect(summary.samples).toBe(5)
    // 1,250 to 1,400 in the call (two samples), 1,100 to 1,250 in leaf and 1,400 to 1,600 in the GC.
    expect(summary).toMatchObject({ nativeMs: 0.15, jsMs: 0.35, idleMs: 0.1 })
    expect(summary.native).toEqual([{ name: 'fibonacci', target: 'fib_addon', selfMs: 0.15 }])
    expect(summary.functions).toEqual([{ name: 'leaf', file: 'src/leaf.js', line: 1, selfMs: 0.15 }])
    // In the trace, the call's node hangs under `caller`, named after the span.
    const [, chunk] = worker.events(samples, 7, 8)
    const nodes = (chunk!.args.data['cpuProfile'] as { nodes: Array<{ id: number; parent?: number; callFrame: { functionName: string } }> }).nodes
    const byId = new Map(nodes.map((n) => [n.id, n]))
    const native = nodes.find((n) => n.callFrame.functionName === 'fibonacci')!
    expect(byId.get(native.parent!)?.callFrame.functionName).toBe('caller')
  })

  test("one profile per worker: the head once, then chunks with only the nodes not sent before, parents first, times in whole µs", () => {
    const worker = new WorkerProfile()
    const first = worker.events(worker.samples(profileOf(5_000, [['leaf', 5_100.4], ['caller', 5_300]]), 0, [], 100), 3, 4)
    const second = worker.events(worker.samples(profileOf(9_000, [['leaf', 9_050], ['idle', 9_100]]), 0, [], 100), 3, 4)
    expect(first.map((e) => e.name)).toEqual(['Profile', 'ProfileChunk'])
    expect(second.map((e) => e.name)).toEqual(['ProfileChunk'])
    const head = first[0]!
    expect(head).toMatchObject({ ph: 'P', cat: 'disabled-by-default-v8.cpu_profiler', pid: 3, tid: 4, ts: 5_100, args: { data: { startTime: 5_100 } } })
    const chunks = [first[1]!, second[0]!].map((e) => e.args.data as { cpuProfile: { nodes: CpuProfileNode[]; samples: number[] }; timeDeltas: number[] })
    // Every node sent once; a parent before its children; no `children` (DevTools rebuilds them from parents).
    const sent = chunks.flatMap((c) => c.cpuProfile.nodes)
    expect(new Set(sent.map((n) => n.id)).size).toBe(sent.length)
    expect(sent[0]).toEqual({ id: 1, callFrame: { ...frame('(root)'), columnNumber: -1 } })
    sent.forEach((n, i) => {
      if (n.parent !== undefined) expect(sent.slice(0, i).some((p) => p.id === n.parent)).toBe(true)
      expect(n).not.toHaveProperty('children')
    })
    // The second file's profile has the same functions: its chunk sends no node again.
    expect(chunks[1]!.cpuProfile.nodes).toEqual([])
    // Deltas run on from the last sample sent: the second file's first sample lies where it was taken.
    const deltas = chunks.flatMap((c) => c.timeDeltas)
    expect(deltas.every(Number.isInteger)).toBe(true)
    expect(deltas.reduce((t, d, i) => (i === 0 ? head.ts + d : t + d), 0)).toBe(9_100)
    expect(head.ts + deltas[0]! + deltas[1]! + deltas[2]!).toBe(9_050)
  })

  test('a window counts each sample for the part of its time inside it', () => {
    const worker = new WorkerProfile()
    const samples = worker.samples(profileOf(0, [['leaf', 100], ['caller', 200], ['idle', 300]]), 0, [], 100)
    // 150 to 250: half of leaf's sample and half of caller's.
    expect(worker.summarize(samples, { start: 150, end: 250 }, '/repo')).toMatchObject({ samples: 1, jsMs: 0.1, idleMs: 0 })
  })
})

describe("V8's clock against the trace's", () => {
  test('the same clock: start and end inside the readings around the calls', () => {
    expect(alignment({ startTime: 1_000, endTime: 5_000 }, { before: 990, after: 1_010 }, { before: 4_995, after: 5_003 }, 500)).toEqual({ offsetUs: 0, errorUs: 0 })
  })

  test('another origin, pinned by both calls: moved onto the trace clock', () => {
    expect(alignment({ startTime: 1_000, endTime: 5_000 }, { before: 100_990, after: 101_010 }, { before: 104_998, after: 105_004 }, 500)).toEqual({ offsetUs: 100_001, errorUs: 3 })
  })

  test('a clock that does not keep pace, or cannot be pinned, is refused', () => {
    const drift = alignment({ startTime: 1_000, endTime: 5_000 }, { before: 990, after: 1_010 }, { before: 9_000, after: 9_010 }, 500)
    expect(drift).toEqual({ refused: expect.stringMatching(/does not keep pace with the trace's/) })
    const loose = alignment({ startTime: 1_000, endTime: 5_000 }, { before: 50_000, after: 60_000 }, { before: 50_000, after: 70_000 }, 500)
    expect(loose).toEqual({ refused: expect.stringMatching(/cannot be placed within 500 µs/) })
  })

  test('a real profile of this thread is on the trace clock', () => {
    const profiler = new JsProfiler(100, inspector)
    profiler.start()
    // Not busyWork: V8 would forget its optimised code for the next test's profiler.
    const until = performance.now() + 5
    while (performance.now() < until);
    const taken = profiler.take(true)!
    profiler.close()
    expect(taken.alignment).toEqual({ offsetUs: 0, errorUs: 0 })
  })
})

/** Busy for `ms` in one loop, which V8 optimises while it runs (on-stack replacement). */
function handedOver(ms: number): number {
  const until = performance.now() + ms
  let x = 0
  while (performance.now() < until) x += Math.sqrt(x + 1)
  return x
}

test("profiles handed over between files keep naming a function V8 optimised in an earlier one", () => {
  const profiler = new JsProfiler(100, inspector)
  const worker = new WorkerProfile()
  const selfMs = () => {
    const taken = profiler.take()!
    const samples = worker.samples(taken.profile, 0, [], 100)
    return worker.summarize(samples, { start: -Infinity, end: Infinity }, process.cwd()).functions.find((f) => f.name === 'handedOver')?.selfMs ?? 0
  }
  profiler.start()
  handedOver(80)
  expect(selfMs()).toBeGreaterThan(10)
  // The next file's profile: the loop runs the code optimised during the last one.
  handedOver(80)
  expect(selfMs()).toBeGreaterThan(10)
  profiler.close()
})

/**
 * A named function that keeps the thread busy for `ms`. Its body is too
 * big for V8 to inline into its caller, where the profiler would charge it.
 */
function busyWork(ms: number): number {
  const until = performance.now() + ms
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa']
  let checksum = 0
  let round = 0
  while (performance.now() < until) {
    for (const word of words) {
      switch ((word.length + round) % 6) {
        case 0:
          checksum = (checksum * 31 + word.charCodeAt(0)) % 1_000_003
          break
        case 1:
          checksum = (checksum * 17 + word.length * round) % 1_000_003
          break
        case 2:
          checksum = (checksum + word.charCodeAt(word.length - 1) * 7) % 1_000_003
          break
        case 3:
          checksum = (checksum ^ (round * 2_654_435_761)) % 1_000_003
          break
        case 4:
          checksum = Math.abs(checksum - word.charCodeAt(1) * 13) % 1_000_003
          break
        default:
          checksum = (checksum + Math.floor(Math.sqrt(round + word.length))) % 1_000_003
      }
    }
    round++
  }
  return checksum + round
}

test("Chrome DevTools' trace engine draws a worker's samples as JavaScript calls inside its test slices, beside a native slice, none unplaced", async () => {
  const pid = 77
  const tid = 78
  const profiler = new JsProfiler(100, inspector)
  const worker = new WorkerProfile()
  const events: TraceEvent[] = [
    { ph: 'M', name: 'process_name', pid, tid: 0, args: { name: 'vitest worker 1' } },
    { ph: 'M', name: 'thread_name', pid, tid, args: { name: 'JavaScript (main)' } },
  ]
  // Two files, a profile each, handed over as the worker does; a test in each.
  for (const file of ['a.test.ts', 'b.test.ts']) {
    const fileStart = Number(process.hrtime.bigint() / 1000n)
    profiler.start()
    const testStart = Number(process.hrtime.bigint()) / 1000
    // Long enough for samples on a loaded machine, where V8's sampler thread waits its turn.
    busyWork(60)
    const nativeStart = Number(process.hrtime.bigint()) / 1000
    busyWork(30)
    const nativeEnd = Number(process.hrtime.bigint()) / 1000
    busyWork(10)
    const testEnd = Number(process.hrtime.bigint()) / 1000
    const taken = profiler.take()!
    const fileEnd = Number(process.hrtime.bigint()) / 1000
    const slices: NativeSlice[] = [{ name: 'spin', target: 'my_addon', start: nativeStart, end: nativeEnd }]
    const samples = worker.samples(taken.profile, 0, slices, 100, (f) => new SourceLocator().locate(f), { start: fileStart, end: fileEnd })
    events.push(
      { ph: 'X', name: file, cat: 'file', pid, tid, ts: fileStart, dur: fileEnd - fileStart, args: {} },
      { ph: 'X', name: `test in ${file}`, cat: 'test', pid, tid, ts: testStart, dur: testEnd - testStart, args: {} },
      { ph: 'X', name: 'spin', cat: 'my_addon', pid, tid, ts: nativeStart, dur: nativeEnd - nativeStart, args: {} },
      ...worker.events(samples, pid, tid),
    )
    const summary = worker.summarize(samples, { start: testStart, end: testEnd }, process.cwd())
    // Named at its line in this file, through Vite's source map (V8 ran the transformed code).
    const line = readFileSync(import.meta.filename, 'utf8').split('\n').findIndex((l) => l.startsWith('function busyWork')) + 1
    expect(summary.functions).toContainEqual({ name: 'busyWork', file: 'test/profile.test.ts', line, selfMs: expect.any(Number) })
    expect(summary.native.map((n) => [n.name, n.target])).toEqual([['spin', 'my_addon']])
    expect(summary.nativeMs).toBeGreaterThan(0)
  }
  profiler.close()
  const path = join(dir, 'samples.json')
  writeFileSync(path, JSON.stringify({ traceEvents: events }))
  const trace = await loadTrace(path)
  const thread = trace.processes.get(pid)!.threads.get(tid)!
  for (const file of ['a.test.ts', 'b.test.ts']) {
    const testSlice = thread.slices.find((s) => s.name === `test in ${file}`)!
    const calls = thread.profileCalls.filter((p) => within(p, testSlice))
    expect(calls.some((p) => p.callFrame?.functionName === 'busyWork')).toBe(true)
    // The samples taken inside the native slice are the native call's: every innermost call
    // there is `spin`, under the JavaScript V8 saw (here busyWork or what it called), none
    // is a JavaScript function's own time.
    const spin = thread.slices.find((s) => s.name === 'spin' && s.cat === 'my_addon' && within(s, testSlice))!
    const leaves = thread.profileCalls.filter((p) => within(p, spin) && p.children.length === 0)
    expect(leaves.length).toBeGreaterThan(0)
    expect(new Set(leaves.map((p) => p.callFrame?.functionName))).toEqual(new Set(['spin']))
    expect(leaves.every((p) => p.parent?.callFrame !== undefined)).toBe(true)
  }
})
