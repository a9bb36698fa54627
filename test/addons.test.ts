import { expect, test } from 'vitest'
import { Tracing, callbackLayer, otlpLayer } from '../src/index.js'
import { fib, other } from './support/addons.js'
import { classicCalls } from './support/counts.js'
import { RecordingLayer } from './support/recording-layer.js'

test('two addons in one process are set up separately and never see each other’s spans', () => {
  const fromFib = new RecordingLayer()
  const fromOther = new RecordingLayer()
  using _fibTracing = Tracing.start(fib, { filter: 'trace', layers: [callbackLayer(fromFib)] })
  {
    using _otherTracing = Tracing.start(other, { filter: 'trace', layers: [callbackLayer(fromOther)] })
    fib.fibonacci(5, false)
    expect(other.checksum('abcdefghij')).toBe([...'abcdefghij'].reduce((n, c) => n + c.charCodeAt(0), 0))
  }
  // The other addon's tracing is closed; fib's goes on.
  fib.fibonacci(2, false)
  other.checksum('abc')
  expect([...new Set([...fromFib.spans.values()].map((s) => s.target))]).toEqual(['fib_addon'])
  expect(fromFib.named('fibonacci')).toHaveLength(classicCalls(5) + classicCalls(2))
  expect([...new Set([...fromOther.spans.values()].map((s) => s.target))]).toEqual(['other_addon'])
  expect(fromOther.named('checksum')).toHaveLength(1)
  expect(fromOther.named('add')).toHaveLength(3)
})

test('otlpLayer on an addon built without napi-tracing-otlp names the crate and the line that registers it', () => {
  expect(() => Tracing.start(other, { layers: [otlpLayer({ endpoint: 'http://127.0.0.1:4318' })] })).toThrow(
    /otlpLayer: this addon was built without OpenTelemetry support; add the napi-tracing-otlp crate beside napi-tracing .*napi_tracing::export_tracing_api!\(otlp = napi_tracing_otlp::layer\)/,
  )
})
