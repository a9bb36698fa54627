import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { Tracing, callbackLayer, chromeLayer, fmtLayer } from '../src/index.js'
import { fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'
import { RecordingLayer } from './support/recording-layer.js'
import { loadTrace, slicePath } from './support/trace-engine.js'

const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-layers-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let tracing: Tracing | undefined
afterEach(() => {
  tracing?.close()
  tracing = undefined
})

function jsonLines(path: string): Array<Record<string, any>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

describe('fmtLayer', () => {
  test('json lines parse back with the expected spans and fields', () => {
    const file = join(dir, 'fmt.json')
    tracing = Tracing.start(fib, { filter: 'trace', layers: [fmtLayer({ writer: { file }, format: 'json', spanEvents: 'close' })] })
    fib.fibonacci(4, false)
    fib.emitEvents()
    tracing.close()
    const lines = jsonLines(file)
    const closes = lines.filter((l) => l['fields']?.message === 'close' && l['span']?.name === 'fibonacci')
    expect(closes).toHaveLength(classicCalls(4))
    expect(closes.map((l) => l['span'].index).sort()).toEqual([0, 0, 1, 1, 1, 2, 2, 3, 4])
    // The innermost spans carry their ancestry.
    const deepest = closes.filter((l) => l['spans']?.length === 3)
    expect(deepest.map((l) => l['spans'].map((s: { index: number }) => s.index))).toEqual([[4, 3, 2], [4, 3, 2]])
    const events = lines.filter((l) => l['span']?.name === 'emit_events' && l['fields']?.message !== 'close')
    expect(events.map((l) => [l['level'], l['fields']])).toEqual([
      ['TRACE', { message: 'a trace event', answer: 42 }],
      ['DEBUG', { message: 'a debug event', negative: -7, huge: 18446744073709551615 }],
      ['INFO', { message: 'an info event', ratio: 0.5, ok: true }],
      ['WARN', { message: 'a warn event', name: 'fib', shape: 'Shape { sides: 3, label: "tri" }' }],
      // tracing-subscriber writes i128 as a string.
      ['ERROR', { message: 'an error event', wide: '-170141183460469231731687303715884105728' }],
    ])
    expect(events.every((l) => l['target'] === 'fib_addon' && typeof l['threadId'] === 'string')).toBe(true)
  })

  test.each(['full', 'pretty', 'compact'] as const)('%s format writes readable lines without colour codes to a file', (format) => {
    const file = join(dir, `fmt-${format}.log`)
    tracing = Tracing.start(fib, { filter: 'trace', layers: [fmtLayer({ writer: { file }, format })] })
    fib.emitEvents()
    tracing.close()
    const text = readFileSync(file, 'utf8')
    for (const message of ['a trace event', 'a debug event', 'an info event', 'a warn event', 'an error event']) {
      expect(text).toContain(message)
    }
    expect(text).toContain('emit_events')
    expect(text).not.toContain('\u001b[')
  })

  test('a file in a directory that does not exist is a clear error, and nothing starts', () => {
    const file = join(dir, 'missing', 'fmt.log')
    expect(() => Tracing.start(fib, { layers: [fmtLayer({ writer: { file } })] })).toThrow(
      `fmtLayer: cannot write ${JSON.stringify(file)}: No such file or directory (os error 2); create the directory first`,
    )
    expect(() => Tracing.start(fib, { layers: [chromeLayer({ file: '/etc/hostname/trace.json' })] })).toThrow(
      /chromeLayer: cannot write "\/etc\/hostname\/trace.json": Not a directory.*not a directory; choose another path/,
    )
    tracing = Tracing.start(fib, { filter: 'info' })
  })

  test('bad options name the option and the choices', () => {
    expect(() => fmtLayer({ format: 'yaml' as never })).toThrow(`fmtLayer format must be one of 'full', 'pretty', 'compact', 'json', got "yaml"`)
    expect(() => fmtLayer({ writer: 'stdin' as never })).toThrow(`fmtLayer writer must be one of 'stdout', 'stderr', got "stdin"`)
    expect(() => chromeLayer({} as never)).toThrow(/chromeLayer\(\) needs a file/)
  })
})

describe('chromeLayer', () => {
  test('the trace loads in Chrome DevTools trace engine with real pid, names and nested slices', async () => {
    const file = join(dir, 'chrome.json')
    const before = process.hrtime.bigint()
    tracing = Tracing.start(fib, {
      filter: 'trace',
      layers: [chromeLayer({ file, processName: 'chrome-layer-test' })],
    })
    fib.fibonacci(5, false)
    fib.fanOut(2, 3)
    fib.emitEvents()
    tracing.close()
    const after = process.hrtime.bigint()

    const trace = await loadTrace(file)
    expect([...trace.processes.keys()]).toEqual([process.pid])
    const proc = trace.processes.get(process.pid)!
    expect(proc.name).toBe('chrome-layer-test')
    const fibs = trace.slices.filter((s) => s.name === 'fibonacci')
    expect(fibs).toHaveLength(classicCalls(5) + 2 * classicCalls(3))
    // Fields arrive as args, values as values; the recursion nests.
    const root = fibs.find((s) => !s.parent)!
    expect(root.args).toEqual({ index: 5, use_memoized: false })
    expect(Math.max(...fibs.map((s) => slicePath(s).split(' > ').length))).toBe(5)
    // Each worker's recursion sits under its worker slice, on its own named thread.
    const workers = trace.slices.filter((s) => s.name === 'worker')
    expect(workers).toHaveLength(2)
    for (const w of workers) expect(w.children.map((c) => c.name)).toEqual(['fibonacci'])
    // Each worker's first slice is linked to the fan_out slice that made it, across threads,
    // bound on both ends by the engine; the recursion under it, on its own thread, is not.
    const fanOut = trace.slices.find((s) => s.name === 'fan_out')!
    const caused = trace.flows.filter((f) => f.length === 2 && f[0]!.ts === fanOut.ts)
    expect(caused.map((f) => f.map((step) => step.name))).toEqual([
      ['fan_out', 'worker'],
      ['fan_out', 'worker'],
    ])
    expect(caused.map((f) => f[1]!.ts).sort()).toEqual(workers.map((w) => w.ts).sort())
    expect(new Set(caused.map((f) => f[1]!.tid)).size).toBe(2)
    expect(caused.every((f) => f[0]!.tid !== f[1]!.tid)).toBe(true)
    // Ids as Perfetto reads them: hexadecimal digits only.
    const flowIds = readFileSync(file, 'utf8').match(/"ph":"[sf]","id":"[^"]*"/g) ?? []
    expect(flowIds.length).toBe(4)
    for (const id of flowIds) expect(id).toMatch(/"id":"[0-9a-f]{16}"$/)
    const names = [...proc.threads.values()].map((t) => t.name)
    expect(names).toEqual(expect.arrayContaining(['fib-worker-0', 'fib-worker-1']))
    expect([...proc.threads.values()].every((t) => t.unplaced === 0)).toBe(true)
    // Events are instants inside their span, named by their message, file and line in args.
    const events = trace.slices.filter((s) => s.parent?.name === 'emit_events')
    expect(events.map((e) => e.ph)).toEqual(['I', 'I', 'I', 'I', 'I'])
    expect(events.map((e) => e.name)).toEqual(['a trace event', 'a debug event', 'an info event', 'a warn event', 'an error event'])
    expect(events[2]!.args).toEqual({ level: 'INFO', file: expect.stringMatching(/lib\.rs$/), line: expect.any(Number), ratio: 0.5, ok: true })
    expect(events[3]!.args).toMatchObject({ name: 'fib', shape: 'Shape { sides: 3, label: "tri" }' })
    // Timestamps are on the process.hrtime clock (µs).
    for (const s of trace.slices) {
      expect(s.ts).toBeGreaterThanOrEqual(Number(before / 1000n) - 1)
      expect(s.ts + s.dur).toBeLessThanOrEqual(Number(after / 1000n) + 1)
    }
  })

  test('every slice placeable: out-of-order exits, re-entered spans, odd names, values as values', async () => {
    const file = join(dir, 'chrome-fidelity.json')
    const odd = 'quote " backslash \\ newline \n u2028 \u2028 nul \0'
    tracing = Tracing.start(fib, { filter: 'trace', layers: [chromeLayer({ file })] })
    fib.outOfOrderExits()
    expect(await fib.polled(2)).toBe(2)
    fib.closeElsewhere()
    fib.unnamedThread()
    fib.oddNames(odd)
    fib.recordLater(21)
    fib.recordAfterExit(21)
    expect(await fib.recordAfterAwait(4)).toBe(8)
    tracing.close()
    // loadTrace fails on an unplaced entry or a name given twice.
    const trace = await loadTrace(file)
    const proc = trace.processes.get(process.pid)!
    const trackOf = (name: string) => [...proc.threads.values()].find((t) => t.slices.some((s) => s.name === name))!
    const first = trace.slices.find((s) => s.name === 'first_entered')!
    const second = trace.slices.find((s) => s.name === 'second_entered')!
    expect(second.ts + second.dur).toBeGreaterThan(first.ts + first.dur)
    expect(trackOf('second_entered').name).toMatch(/ \(out-of-order exits\)$/)
    expect(second.children.map((c) => c.name)).toEqual(['inside_second'])
    // Four stays (three polls and the drop), linked one to the next.
    const polls = trace.slices.filter((s) => s.name === 'polled').sort((a, b) => a.ts - b.ts)
    expect(polls).toHaveLength(4)
    expect(trace.flows.filter((f) => f[0]?.name === 'polled').map((f) => f.map((step) => step.ts))).toEqual(
      polls.slice(1).map((p, i) => [polls[i]!.ts, p.ts]),
    )
    expect(trace.slices.filter((s) => s.name === 'closed_elsewhere')).toHaveLength(1)
    expect(trackOf('on_unnamed_thread').name).toMatch(/^thread \d+$/)
    expect([...proc.threads.values()].map((t) => t.name)).not.toContain('node')
    const oddSpan = trace.slices.find((s) => s.name === odd)!
    expect(oddSpan.args).toEqual({ text: odd })
    expect(oddSpan.children.map((c) => [c.name, c.args['text']])).toEqual([[`message: ${odd}`, odd]])
    expect(trace.slices.find((s) => s.name === 'record_later')?.args).toEqual({ input: 21, result: 42, odd: true })
    // Recorded after the span's last exit, before it closed.
    expect(trace.slices.find((s) => s.name === 'judged')?.args).toEqual({ input: 21, outcome: 'big' })
    const awaited = trace.slices.filter((s) => s.name === 'awaited').sort((a, b) => a.ts - b.ts)
    expect(awaited.at(-1)?.args).toEqual({ input: 4, outcome: 8 })
  })

  test('includeArgs and includeLocations are honoured', async () => {
    const file = join(dir, 'chrome-bare.json')
    tracing = Tracing.start(fib, { filter: 'trace', layers: [chromeLayer({ file, includeArgs: false, includeLocations: false })] })
    fib.fibonacci(2, false)
    tracing.close()
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain('.file')
    expect(text).not.toContain('"index"')
    const trace = await loadTrace(file)
    expect(trace.slices.filter((s) => s.name === 'fibonacci')).toHaveLength(classicCalls(2))
  })

  test('flush() writes everything so far, before close', async () => {
    const file = join(dir, 'chrome-flush.json')
    tracing = Tracing.start(fib, { filter: 'trace', layers: [chromeLayer({ file })] })
    fib.fibonacci(3, false)
    tracing.flush()
    // Not finished yet: the array is open, every entry already complete.
    const text = readFileSync(file, 'utf8')
    const entries = JSON.parse(text.trimEnd() + '\n]') as Array<{ name: string; ph: string }>
    expect(entries.filter((e) => e.name === 'fibonacci' && e.ph === 'X')).toHaveLength(classicCalls(3))
  })

  test('restart: each file holds only its own run, also alongside other layers', async () => {
    const first = join(dir, 'run-1.json')
    const second = join(dir, 'run-2.json')
    const log = join(dir, 'run-2.log')
    tracing = Tracing.start(fib, { filter: 'trace', layers: [chromeLayer({ file: first })] })
    fib.fibonacci(3, false)
    fib.fanOut(1, 1)
    tracing.close()
    const layer = new RecordingLayer()
    tracing = Tracing.start(fib, {
      filter: 'trace',
      layers: [fmtLayer({ writer: { file: log }, format: 'compact' }), chromeLayer({ file: second }), callbackLayer(layer)],
    })
    fib.fibonacci(4, false)
    fib.fanOut(1, 2)
    fib.emitEvents()
    tracing.close()
    const one = await loadTrace(first)
    const two = await loadTrace(second)
    expect(one.slices.filter((s) => s.name === 'fibonacci')).toHaveLength(classicCalls(3) + classicCalls(1))
    expect(two.slices.filter((s) => s.name === 'fibonacci')).toHaveLength(classicCalls(4) + classicCalls(2))
    expect(layer.named('fibonacci')).toHaveLength(classicCalls(4) + classicCalls(2))
    // The worker thread, seen by the first run, is still named in the second.
    const threadNames = [...two.processes.get(process.pid)!.threads.values()].map((t) => t.name)
    expect(threadNames).toContain('fib-worker-0')
    expect(readFileSync(log, 'utf8')).toContain('a warn event')
  })
})
