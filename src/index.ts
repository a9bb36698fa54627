/**
 * `vitest-napi-tracing`: the library. `Tracing.start()` configures an
 * addon's tracing from TypeScript, with the layer helpers and the typed
 * `Layer` for spans and events in TypeScript. Exactly what docs/api.md
 * documents; the Vitest plugin is `vitest-napi-tracing/plugin`.
 */
export { Tracing, type TracingOptions, type TracingStats, type SubscriberMode } from './tracing.js'
export type { TracingBuild } from './native.js'
export {
  callbackLayer,
  fmtLayer,
  chromeLayer,
  otlpLayer,
  type LayerSpec,
  type CallbackLayerSpec,
  type FmtLayerOptions,
  type FmtLayerSpec,
  type FmtWriter,
  type ChromeLayerOptions,
  type ChromeLayerSpec,
  type OtlpLayerOptions,
  type OtlpLayerSpec,
} from './config.js'
export type { Layer, SpanInfo, SpanRef, EventInfo, Fields, FieldValue, Level, Callsite } from './layer.js'
export type { LayerError } from './deliver.js'
