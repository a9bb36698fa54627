/** The package's public surface: `Tracing.start()`, the layer helpers, the `Layer` types and the report.json types. */
export { Tracing, DEFAULT_FILTER, type TracingOptions, type TracingStats } from './tracing.js'
export {
  callbackLayer,
  collectLayer,
  fmtLayer,
  chromeLayer,
  otlpLayer,
  type LayerSpec,
  type CallbackLayerSpec,
  type FmtLayerOptions,
  type FmtWriter,
  type ChromeLayerOptions,
  type OtlpLayerOptions,
  type CollectLayerOptions,
} from './config.js'
export type { Layer, SpanInfo, SpanRef, EventInfo, Fields, FieldValue, Level, Callsite } from './layer.js'
export { type LayerError, printLayerError } from './deliver.js'
export { asTracingAddon, unoptimised, type TracingAddon, type NativeStats, type NativeBuild } from './native.js'
export { PROTOCOL_VERSION } from './record.js'
export { SpanCollector, type SpanStats } from './collector.js'
export type { SpanReport, ReportTest, ReportSpan, ReportFile, ReportNode, ReportEvent, TestState, Milliseconds } from './report/json.js'
