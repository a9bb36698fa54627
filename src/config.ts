/**
 * Layer configurations for `Tracing.start()`. Each helper returns a plain
 * description; the addon builds the layer it describes.
 */
import { resolve } from 'node:path'
import type { Layer } from './layer.js'
import { knownKeys, oneOf } from './options.js'

const SPEC = Symbol.for('vitest-napi-tracing.layer')

interface Spec<K extends string> {
  readonly [SPEC]: true
  readonly kind: K
}

/** A TypeScript layer receiving span and event callbacks. */
export interface CallbackLayerSpec extends Spec<'callback'> {
  readonly layer: Layer<any>
}

/** Where fmtLayer writes: a stream, or a file (created or truncated). */
export type FmtWriter = 'stdout' | 'stderr' | { file: string }

export interface FmtLayerOptions {
  /** @default 'stderr' */
  writer?: FmtWriter
  /** tracing-subscriber's formats. @default 'full' */
  format?: 'full' | 'pretty' | 'compact' | 'json'
  /** Colours. @default on for a terminal, unless NO_COLOR is set; off for files */
  ansi?: boolean
  /** Extra lines at span lifecycle moments (tracing-subscriber's FmtSpan). @default 'none' */
  spanEvents?: 'none' | 'new' | 'close' | 'active' | 'full'
}

export interface FmtLayerSpec extends Spec<'fmt'> {
  readonly native: {
    readonly writer: 'stdout' | 'stderr' | { file: { path: string } }
    readonly format: string
    readonly ansi?: boolean
    readonly spanEvents: string
  }
}

export interface ChromeLayerOptions {
  /** The trace file, created or truncated. Relative paths resolve from the working directory. */
  file: string
  /** Span and event fields as `args`. @default true */
  includeArgs?: boolean
  /** `.file` and `.line` of each entry. @default true */
  includeLocations?: boolean
  /** The process's name in the trace. @default `node <pid>` */
  processName?: string
}

export interface ChromeLayerSpec extends Spec<'chrome'> {
  readonly native: { readonly path: string; readonly includeArgs: boolean; readonly includeLocations: boolean; readonly processName: string }
}

export interface OtlpLayerOptions {
  /** OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`. @default OTEL_EXPORTER_OTLP_ENDPOINT, else http://127.0.0.1:4318 */
  endpoint?: string
  /** Print spans with OpenTelemetry's stdout exporter instead of sending them. @default false */
  stdout?: boolean
  /** `service.name` of the exported resource. @default OTEL_SERVICE_NAME, else 'napi-addon' */
  serviceName?: string
  /** Upper bound for flush() and close() in milliseconds, even when the endpoint is down. @default 5000 */
  timeoutMs?: number
  /** OTLP/HTTP encoding. @default 'binary' (protobuf) */
  protocol?: 'binary' | 'json'
}

export interface OtlpLayerSpec extends Spec<'otlp'> {
  readonly native: {
    readonly endpoint?: string
    readonly stdout: boolean
    readonly serviceName: string
    readonly timeoutMs: number
    readonly protocol: string
  }
}

/** Any layer `Tracing.start()` accepts. */
export type LayerSpec = CallbackLayerSpec | FmtLayerSpec | ChromeLayerSpec | OtlpLayerSpec

/**
 * Sends spans and events to a TypeScript `Layer`: the TypeScript counterpart
 * of a `tracing_subscriber::Layer`. Several callback layers may be given;
 * they share one stream of records from the addon.
 */
export function callbackLayer<S>(layer: Layer<S>): CallbackLayerSpec {
  if (typeof layer !== 'object' || layer === null) {
    throw new TypeError(
      `vitest-napi-tracing: callbackLayer() takes an object with Layer methods (onNewSpan, onEvent, ...), got ${String(layer)}`,
    )
  }
  return { [SPEC]: true, kind: 'callback', layer }
}

/** tracing-subscriber's fmt layer: human-readable or JSON lines. */
export function fmtLayer(options: FmtLayerOptions = {}): FmtLayerSpec {
  knownKeys('fmtLayer()', options, ['writer', 'format', 'ansi', 'spanEvents'])
  const writer = options.writer ?? 'stderr'
  const format = options.format ?? 'full'
  oneOf('fmtLayer', 'format', format, ['full', 'pretty', 'compact', 'json'])
  oneOf('fmtLayer', 'spanEvents', options.spanEvents ?? 'none', ['none', 'new', 'close', 'active', 'full'])
  if (typeof writer === 'string') oneOf('fmtLayer', 'writer', writer, ['stdout', 'stderr'])
  else if (typeof writer?.file !== 'string') throw new TypeError(`vitest-napi-tracing: fmtLayer writer must be 'stdout', 'stderr' or { file: 'path' }`)
  return {
    [SPEC]: true,
    kind: 'fmt',
    native: {
      writer: typeof writer === 'string' ? writer : { file: { path: resolve(writer.file) } },
      format,
      ...(options.ansi !== undefined ? { ansi: options.ansi } : {}),
      spanEvents: options.spanEvents ?? 'none',
    },
  }
}

/** A Chrome trace file in tracing-chrome's format, written by napi-tracing's own trace writer, for Perfetto or chrome://tracing. */
export function chromeLayer(options: ChromeLayerOptions): ChromeLayerSpec {
  if (typeof options?.file !== 'string' || options.file === '') {
    throw new TypeError(`vitest-napi-tracing: chromeLayer() needs a file, e.g. chromeLayer({ file: 'trace.json' })`)
  }
  knownKeys('chromeLayer()', options, ['file', 'includeArgs', 'includeLocations', 'processName'])
  return {
    [SPEC]: true,
    kind: 'chrome',
    native: {
      path: resolve(options.file),
      includeArgs: options.includeArgs ?? true,
      includeLocations: options.includeLocations ?? true,
      processName: options.processName ?? `node ${process.pid}`,
    },
  }
}

/**
 * OpenTelemetry export through the opentelemetry crates: OTLP/HTTP to an
 * endpoint, batched, or the stdout exporter. The addon must be built with
 * napi-tracing's `otlp` feature.
 */
export function otlpLayer(options: OtlpLayerOptions = {}): OtlpLayerSpec {
  knownKeys('otlpLayer()', options, ['endpoint', 'stdout', 'serviceName', 'timeoutMs', 'protocol'])
  const protocol = options.protocol ?? 'binary'
  oneOf('otlpLayer', 'protocol', protocol, ['binary', 'json'])
  const timeoutMs = options.timeoutMs ?? 5000
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`vitest-napi-tracing: otlpLayer timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`)
  }
  const endpoint = options.endpoint ?? process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? 'http://127.0.0.1:4318'
  return {
    [SPEC]: true,
    kind: 'otlp',
    native: {
      ...(options.stdout ? {} : { endpoint }),
      stdout: options.stdout ?? false,
      serviceName: options.serviceName ?? process.env['OTEL_SERVICE_NAME'] ?? 'napi-addon',
      timeoutMs: Math.ceil(timeoutMs),
      protocol,
    },
  }
}

/** Throws a clear error for anything in `layers` that is not one of ours. */
export function checkLayers(layers: readonly unknown[]): LayerSpec[] {
  return layers.map((spec, i) => {
    if (typeof spec === 'object' && spec !== null && (spec as { [SPEC]?: unknown })[SPEC] === true) {
      return spec as LayerSpec
    }
    throw new TypeError(
      `vitest-napi-tracing: unknown layer at layers[${i}] (${describeLayer(spec)}). Build layers with ` +
        `fmtLayer(), chromeLayer(), otlpLayer() or callbackLayer() from 'vitest-napi-tracing'.`,
    )
  })
}

function describeLayer(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value)
  const kind = (value as { kind?: unknown }).kind
  return typeof kind === 'string' ? `kind "${kind}"` : `an object with keys ${Object.keys(value).join(', ') || 'none'}`
}
