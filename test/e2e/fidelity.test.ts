/**
 * Every slice placeable: the plugin's trace of the `fidelity` project, as
 * Chrome DevTools' trace engine reads it (`loadTrace` fails on any entry it
 * cannot place and on any name given twice). Overlapping concurrent tests
 * each draw on a track of their own with their native spans nested under
 * them; out-of-order exits, re-entered spans, spans closed on another
 * thread and odd characters all land where a viewer expects them.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import type { ReportTest, SpanReport } from 'vitest-napi-tracing/plugin'
import { classicCalls } from '../support/counts.js'
import { descendants, loadTrace, trackOf, within, type Slice } from '../support/trace-engine.js'
import type { Major } from './support/paths.js'
import { testNamed } from './support/report.js'
import { runVitest, type Pool } from './support/run-vitest.js'

const ODD = 'quote " backslash \\ newline \n u2028 \u2028 nul \0'
const ODD_SPAN = 'quote " backslash \\ newline \n u2028 \u2028 nul \0'




async function checkFidelity(major: Major, pool: Pool): Promise<void> {
  const run = runVitest({ project: 'fidelity', major, pool, args: ['--maxWorkers=1'] })
  expect(run.exitCode, run.stdout + run.stderr).toBe(0)
  const report = run.report()
  expect(report.problems).toEqual([])
  const trace = await loadTrace(run.tracePath)
  const tests = trace.slices.filter((s) => s.cat === 'test')

  // One vocabulary for states: report.json's.
  expect(new Set(tests.map((t) => t.args['state']))).toEqual(new Set(['passed']))

  // Concurrent tests: each on a track of its own, its JavaScript-thread spans under it.
  const concurrent = [['pair 5', 5], ['pair 6', 6], ['trio 4', 4], ['trio 5', 5], ['trio 6', 6]] as const
  const slices = concurrent.map(([name]) => tests.find((t) => t.name === name)!)
  for (const [i, [name, index]] of concurrent.entries()) {
    const slice = slices[i]!
    expect(trackOf(trace, slice).name).toMatch(/^JavaScript \((main|worker \d+)\) · concurrent \d+$/)
    const exact = testNamed(report, `${name.startsWith('pair') ? 'two' : 'three'} at once > ${name}`).spans.filter((s) => !s.shared)
    expect(exact.map((s) => [s.name, s.calls])).toEqual([['fibonacci', 2 * classicCalls(index)]])
    expect(descendants(slice, 'fibonacci')).toBe(2 * classicCalls(index))
  }
  // They overlapped: pairs and trios ran at once.
  const overlap = (a: Slice, b: Slice) => a.ts < b.ts + b.dur && b.ts < a.ts + a.dur
  expect(overlap(slices[0]!, slices[1]!)).toBe(true)
  expect(overlap(slices[2]!, slices[3]!) && overlap(slices[3]!, slices[4]!) && overlap(slices[2]!, slices[4]!)).toBe(true)
  // Their tokio work lies within the time of the tests that ran then.
  const asyncSlices = trace.slices.filter((s) => s.name === 'fibonacci_async')
  expect(asyncSlices.length).toBeGreaterThanOrEqual(5)
  for (const a of asyncSlices) expect(slices.some((t) => within(a, t))).toBe(true)
  // A test alone stays on the JavaScript thread's track.
  const alone = tests.find((t) => t.name === 'alone after them')!
  expect(trackOf(trace, alone).name).toMatch(/^JavaScript \((main|worker \d+)\)$/)
  expect(descendants(alone, 'fibonacci')).toBe(classicCalls(3))

  // Out-of-order exits: the span that outlived its parent moved a track up, with its real times.
  const first = trace.slices.find((s) => s.name === 'first_entered')!
  const second = trace.slices.find((s) => s.name === 'second_entered')!
  expect(second.ts).toBeGreaterThanOrEqual(first.ts)
  expect(second.ts + second.dur).toBeGreaterThan(first.ts + first.dur)
  expect(trackOf(trace, second).name).toMatch(/ \(out-of-order exits\)$/)
  expect(second.children.map((c) => c.name)).toEqual(['inside_second'])
  expect(trackOf(trace, first)).toBe(trackOf(trace, tests.find((t) => t.name === 'out-of-order exits')!))

  // A span entered at each poll: its slices linked by flows, one after the other.
  const polls = trace.slices.filter((s) => s.name === 'polled').sort((a, b) => a.ts - b.ts)
  // Four polls of the future (it yields three times) and the drop, which tracing's Instrumented does inside the span.
  expect(polls).toHaveLength(5)
  const links = trace.flows.filter((f) => f[0]?.name === 'polled')
  expect(links.map((f) => f.map((step) => step.ts))).toEqual(polls.slice(1).map((p, i) => [polls[i]!.ts, p.ts]))
  expect(testNamed(report, 'a span entered again at each poll').spans.find((s) => s.name === 'polled')?.calls).toBe(1)

  // Closed on another thread: one slice, where it ran.
  expect(trace.slices.filter((s) => s.name === 'closed_elsewhere')).toHaveLength(1)
  // Fields recorded after a span's last exit, before it closed, are on its slice.
  expect(trace.slices.find((s) => s.name === 'judged')?.args).toEqual({ input: 3, outcome: 'small' })
  expect(trace.slices.filter((s) => s.name === 'awaited').sort((a, b) => a.ts - b.ts).at(-1)?.args).toMatchObject({ input: 4, outcome: 8 })

  // No track takes the process's name; a thread nobody named says so.
  const threadNames = [...trace.processes.values()].flatMap((p) => [...p.threads.values()].map((t) => t.name))
  expect(threadNames).not.toContain('node')
  const unnamed = trace.slices.find((s) => s.name === 'on_unnamed_thread')!
  expect(trackOf(trace, unnamed).name).toMatch(/^thread \d+$/)

  // Odd characters survive in test names, span names, fields and event names.
  const oddTest = tests.find((t) => t.name === `odd: ${ODD}`)!
  expect(oddTest).toBeDefined()
  expect(testNamed(report, `odd: ${ODD}`).spans.map((s) => s.name)).toEqual([ODD_SPAN])
  const oddSpan = trace.slices.find((s) => s.name === ODD_SPAN)!
  expect(oddSpan.args['text']).toBe(ODD)
  expect(within(oddSpan, oddTest)).toBe(true)
  // Events are named by their message, with file and line in args.
  const raw = JSON.parse(readFileSync(run.tracePath, 'utf8')) as { traceEvents: Array<{ ph: string; name: string; args?: Record<string, unknown> }> }
  const event = raw.traceEvents.find((e) => e.ph === 'I' && e.name === `message: ${ODD}`)
  expect(event?.args).toMatchObject({ level: 'INFO', text: ODD, file: expect.stringMatching(/lib\.rs$/), line: expect.any(Number) })
}

describe('every slice placeable in the plugin trace', () => {
  test.each([
    [4, 'forks'],
    [4, 'threads'],
    [5, 'vmThreads'],
  ] as Array<[Major, Pool]>)('Vitest %i, pool %s', async (major, pool) => {
    await checkFidelity(major, pool)
  })
})

describe.each(['forks', 'threads'] as Pool[])('forty overlapping concurrent tests (%s)', (pool) => {
  test('each on a track of its own with its spans under it: every slice placed', async () => {
    const run = runVitest({ project: 'forty', pool })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([])
    // loadTrace fails on any entry DevTools' engine leaves unplaced.
    const trace = await loadTrace(run.tracePath)
    const tests = trace.slices.filter((s) => s.cat === 'test')
    expect(tests).toHaveLength(40)
    expect(new Set(tests.map((t) => trackOf(trace, t).name)).size).toBe(40)
    for (const t of tests) {
      const n = Number(t.name.slice('test '.length))
      expect(trackOf(trace, t).name).toMatch(/^JavaScript \((main|worker \d+)\) · concurrent \d+$/)
      expect(descendants(t, 'fibonacci'), t.name).toBe(classicCalls(n % 6))
      expect(testNamed(report, `forty at once > ${t.name}`).spans.map((s) => [s.name, s.calls, s.shared])).toEqual([['fibonacci', classicCalls(n % 6), undefined]])
    }
  })
})
