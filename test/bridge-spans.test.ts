import { afterEach, describe, expect, test } from 'vitest'
import { Tracing, callbackLayer, type SpanInfo } from '../src/index.js'
import { fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'
import { RecordingLayer } from './support/recording-layer.js'

let tracing: Tracing | undefined
afterEach(() => tracing?.close())

function start(filter = 'trace') {
  const layer = new RecordingLayer()
  tracing = Tracing.start(fib, { filter, layers: [callbackLayer(layer)] })
  return layer
}

describe('spans from the JavaScript thread', () => {
  test('fibonacci(10, false) makes exactly 177 fibonacci spans, each under the right parent', () => {
    const layer = start()
    expect(fib.fibonacci(10, false)).toBe(55)
    expect(classicCalls(10)).toBe(177)

    const spans = layer.named('fibonacci')
    expect(spans).toHaveLength(177)
    expect(layer.spans.size).toBe(177)
    const byId = new Map(spans.map((s) => [s.id, s]))
    const roots = spans.filter((s) => s.parent === undefined)
    expect(roots).toHaveLength(1)
    expect(roots[0]?.fields).toEqual({ index: 10, use_memoized: false })
    for (const span of spans) {
      if (span === roots[0]) continue
      const parent = byId.get(span.parent!)
      expect(parent, `parent of ${span.id}`).toBeDefined()
      // fibonacci(n) calls fibonacci(n - 1) and fibonacci(n - 2).
      expect([1, 2]).toContain(Number(parent!.fields['index']) - Number(span.fields['index']))
    }
    // Each index appears as often as the recursion calls it: fib(1) 55 times, fib(0) 34 times.
    const count = (i: number) => spans.filter((s) => s.fields['index'] === i).length
    expect([count(10), count(9), count(1), count(0)]).toEqual([1, 1, 55, 34])
  })

  test('arrive synchronously, each span new → enter → exit → close, in order', () => {
    const layer = start()
    fib.fibonacci(5, false)
    // No flush: spans made on this thread have already reached the layer.
    const spans = layer.named('fibonacci')
    expect(spans).toHaveLength(classicCalls(5))
    for (const span of spans) {
      expect(layer.history(span.id)).toEqual(['onNewSpan', 'onEnter', 'onExit', 'onClose'])
    }
  })

  test('state returned by onNewSpan comes back unchanged to every later call', () => {
    const states = new Map<number, object>()
    const seen: Array<[string, number, unknown]> = []
    tracing = Tracing.start(fib, {
      filter: 'trace',
      layers: [
        callbackLayer({
          onNewSpan(span) {
            const state = { name: span.name, id: span.id }
            states.set(span.id, state)
            return state
          },
          onRecord: (span, _values, state) => seen.push(['record', span.id, state]),
          onEnter: (span, state) => seen.push(['enter', span.id, state]),
          onExit: (span, state) => seen.push(['exit', span.id, state]),
          onClose: (span, state) => seen.push(['close', span.id, state]),
          onEvent: (event, state) => seen.push(['event', event.parent ?? 0, state]),
        }),
      ],
    })
    fib.fibonacci(6, false)
    fib.recordLater(3)
    fib.emitEvents()
    expect(seen.filter(([kind]) => kind === 'close')).toHaveLength(states.size)
    for (const [kind, id, state] of seen) {
      expect(state, `${kind} of span ${id}`).toBe(states.get(id))
    }
    expect(seen.filter(([kind]) => kind === 'event')).toHaveLength(5)
  })

  test('field values keep their types; fields recorded later arrive through onRecord', () => {
    const layer = start()
    fib.emitEvents()
    fib.recordLater(7)
    const events = layer.events()
    expect(events.map((e) => e.level)).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'])
    expect(events.map((e) => e.fields)).toEqual([
      { message: 'a trace event', answer: 42 },
      { message: 'a debug event', negative: -7, huge: 18446744073709551615n },
      { message: 'an info event', ratio: 0.5, ok: true },
      { message: 'a warn event', name: 'fib', shape: 'Shape { sides: 3, label: "tri" }' },
      { message: 'an error event', wide: -(2n ** 127n) },
    ])
    expect(events[1]?.message).toBe('a debug event')
    const parent = layer.named('emit_events')[0]!
    expect(events.every((e) => e.parent === parent.id)).toBe(true)
    expect(events[0]).toMatchObject({ target: 'fib_addon', file: expect.stringMatching(/lib\.rs$/), line: expect.any(Number) })

    const [span] = layer.named('record_later')
    expect(span?.fields).toEqual({ input: 7 })
    const records = layer.calls.flatMap((c) => (c.method === 'onRecord' ? [c.values] : []))
    expect(records).toEqual([{ result: 14 }, { odd: true }])
  })

  test('timestamps are nanoseconds on the clock of process.hrtime.bigint()', () => {
    const layer = start()
    const before = process.hrtime.bigint()
    fib.fibonacci(8, false)
    const after = process.hrtime.bigint()
    const stamps = layer.calls.map((c) => (c.method === 'onEvent' ? c.event.timestamp : c.span.timestamp))
    expect(stamps.length).toBeGreaterThan(0)
    for (const ts of stamps) {
      expect(ts >= before && ts <= after, `${ts} within [${before}, ${after}]`).toBe(true)
    }
    const sorted = [...stamps].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    expect(stamps).toEqual(sorted)
  })

  test('the filter decides what reaches the layer', () => {
    const layer = start('warn')
    fib.fibonacci(4, false)
    fib.emitEvents()
    expect(layer.spans.size).toBe(0)
    expect(layer.events().map((e) => e.level)).toEqual(['WARN', 'ERROR'])
  })

  test('a span directive lets everything inside that span through, and nothing outside it', () => {
    const layer = start('warn,[emit_events]=trace')
    fib.fibonacci(3, false)
    fib.emitEvents()
    expect([...layer.spans.values()].map((s) => s.name)).toEqual(['emit_events'])
    expect(layer.events().map((e) => e.level)).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'])
  })

  test('span info names the thread and source location', () => {
    const layer = start()
    fib.fibonacci(1, false)
    const [span] = layer.named('fibonacci') as [SpanInfo]
    expect(span).toMatchObject({
      target: 'fib_addon',
      level: 'INFO',
      modulePath: 'fib_addon',
      file: expect.stringMatching(/(^|\/)addons\/fib\/src\/lib\.rs$/),
      line: expect.any(Number),
      threadId: expect.any(Number),
    })
    expect(span.threadName.length).toBeGreaterThan(0)
  })
})
