import { afterEach, describe, expect, test, vi } from 'vitest'
import { Tracing, callbackLayer, type LayerError } from '../src/index.js'
import { PROTOCOL_VERSION } from '../src/protocol.generated.js'
import { fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'
import { RecordingLayer } from './support/recording-layer.js'

let tracing: Tracing | undefined
afterEach(() => {
  tracing?.close()
  tracing = undefined
  vi.restoreAllMocks()
})

class ThrowingLayer {
  onNewSpan(): never {
    throw new Error('boom in onNewSpan')
  }
  onClose(): never {
    throw new TypeError('boom in onClose')
  }
}

describe('a layer method that throws', () => {
  test('is reported once per method with the method and span names; tracing goes on', () => {
    const errors: LayerError[] = []
    const healthy = new RecordingLayer()
    tracing = Tracing.start(fib, {
      filter: 'trace',
      layers: [callbackLayer(new ThrowingLayer()), callbackLayer(healthy)],
      onLayerError: (e) => errors.push(e),
    })
    expect(fib.fibonacci(6, false)).toBe(8)
    fib.fibonacci(3, false)
    const calls = classicCalls(6) + classicCalls(3)
    // The healthy layer alongside misses nothing.
    expect(healthy.named('fibonacci')).toHaveLength(calls)
    expect(errors.filter((e) => e.method === 'onNewSpan')).toHaveLength(calls)
    expect(errors[0]).toMatchObject({ layer: 'ThrowingLayer', method: 'onNewSpan', spanName: 'fibonacci', count: 1 })
    expect(tracing.stats().layerErrors).toBe(2 * calls)
  })

  test('the default report prints one line per method, not per call', () => {
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {})
    tracing = Tracing.start(fib, { filter: 'trace', layers: [callbackLayer(new ThrowingLayer())] })
    fib.fibonacci(8, false)
    fib.fibonacci(8, false)
    expect(printed).toHaveBeenCalledTimes(2)
    const lines = printed.mock.calls.map((c) => String(c[0]))
    expect(lines[0]).toContain('ThrowingLayer.onNewSpan() threw while handling span "fibonacci"')
    expect(lines[0]).toContain('boom in onNewSpan')
    expect(lines[1]).toContain('ThrowingLayer.onClose() threw while handling span "fibonacci"')
    expect(tracing.stats().layerErrors).toBe(4 * classicCalls(8))
  })
})

describe('bad input gets a clear error', () => {
  test('a malformed filter directive is quoted', () => {
    expect(() => Tracing.start(fib, { filter: 'info,fib_addon=loud' })).toThrow(
      /invalid filter directive "fib_addon=loud" in "info,fib_addon=loud".*EnvFilter syntax/,
    )
    // Nothing was left half-started.
    tracing = Tracing.start(fib, { filter: 'info' })
  })

  test('an unknown layer names its position', () => {
    expect(() => Tracing.start(fib, { layers: [{ kind: 'flamegraph' } as never] })).toThrow(
      /unknown layer at layers\[0\] \(kind "flamegraph"\).*callbackLayer/,
    )
  })

  test('start() while another Tracing is open for the same addon on this thread', () => {
    tracing = Tracing.start(fib, { filter: 'info' })
    expect(() => Tracing.start(fib, { filter: 'info' })).toThrow(/already started for this addon on this thread.*close/)
    tracing.close()
    // Closing makes room for a new start with another configuration.
    const layer = new RecordingLayer()
    tracing = Tracing.start(fib, { filter: 'trace', layers: [callbackLayer(layer)] })
    fib.fibonacci(2, false)
    expect(layer.named('fibonacci')).toHaveLength(classicCalls(2))
  })

  test('a module without the entry points says to add export_tracing_api!()', () => {
    expect(() => Tracing.start({ fibonacci: () => 1 })).toThrow(
      /does not export the tracing entry points \(got object with keys fibonacci\).*export_tracing_api!\(\)/,
    )
    expect(() => Tracing.start(undefined)).toThrow(/got undefined/)
  })

  test('an addon built for another protocol version names both versions', () => {
    const stale = { ...fib, napiTracingProtocol: () => PROTOCOL_VERSION + 1 }
    expect(() => Tracing.start(stale)).toThrow(
      new RegExp(`built with napi-tracing protocol ${PROTOCOL_VERSION + 1}, but this package speaks protocol ${PROTOCOL_VERSION}`),
    )
  })

  test('close() is idempotent and reports final counters', () => {
    tracing = Tracing.start(fib, { filter: 'trace', layers: [callbackLayer(new RecordingLayer())] })
    fib.fibonacci(3, false)
    const first = tracing.close()
    expect(first.delivered).toBe(classicCalls(3) * 4)
    expect(tracing.close()).toBe(first)
    expect(tracing.closed).toBe(true)
  })
})

describe('re-entrancy', () => {
  test('a layer that calls back into the addon from a callback gets those spans too, after the current one', () => {
    const layer = new RecordingLayer()
    let nested = 0
    tracing = Tracing.start(fib, {
      filter: 'trace',
      layers: [
        callbackLayer({
          onNewSpan(span) {
            layer.onNewSpan(span)
            // Calls into the addon while the addon is delivering to us.
            if (span.name === 'fibonacci' && span.fields['index'] === 3) nested += fib.recordLater(nested + 1)
          },
          onEnter: (span) => layer.onEnter(span, undefined),
          onExit: (span) => layer.onExit(span, undefined),
          onClose: (span) => layer.onClose(span, undefined),
        }),
      ],
    })
    expect(fib.fibonacci(5, false)).toBe(5)
    // fibonacci(5) calls fibonacci(3) twice: two nested calls, each with its span.
    expect(nested).toBe(2 + 6) // recordLater(1) = 2, then recordLater(3) = 6
    expect(layer.named('fibonacci')).toHaveLength(classicCalls(5))
    expect(layer.named('record_later')).toHaveLength(2)
    for (const id of layer.spans.keys()) {
      expect(layer.history(id)).toEqual(['onNewSpan', 'onEnter', 'onExit', 'onClose'])
    }
  })
})

test('calling the entry point directly without a sink is refused before any file is opened', () => {
  expect(() => fib.napiTracingStart(JSON.stringify({ filter: 'info', layers: [{ kind: 'callback' }] }))).toThrow(
    /callback layers need a sink function; start tracing through Tracing.start\(\)/,
  )
  // Nothing was left open: a normal start works.
  tracing = Tracing.start(fib, { filter: 'info' })
})
