/**
 * The TypeScript `Layer` interface and the structured data it receives:
 * the TypeScript counterpart of `tracing_subscriber::Layer`.
 */

/** A `tracing` level. */
export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'

/**
 * A field value as `tracing` recorded it. Integers are numbers when they fit
 * in 2^53 and bigints beyond; `Debug`-formatted values arrive as strings.
 */
export type FieldValue = number | bigint | boolean | string

/** Field values by field name. */
export type Fields = Record<string, FieldValue>

/** Where a span or event was written, and its static description. */
export interface Callsite {
  readonly name: string
  readonly target: string
  readonly level: Level
  /** Rust module path, e.g. `my_addon::fib`. */
  readonly modulePath?: string
  readonly file?: string
  readonly line?: number
}

/** A span as seen by a later callback: the span and the thread/time of the call. */
export interface SpanRef extends Callsite {
  /** This span's id: unique for the process's lifetime, never reused. */
  readonly id: number
  /** OS thread id of the thread the callback happened on. */
  readonly threadId: number
  readonly threadName: string
  /** Nanoseconds on the clock of `process.hrtime.bigint()`. */
  readonly timestamp: bigint
}

/** A new span, as `onNewSpan` receives it. */
export interface SpanInfo extends SpanRef {
  readonly fields: Fields
  /** The parent span's id; absent for a root span. */
  readonly parent?: number
}

/** An event, as `onEvent` receives it. */
export interface EventInfo extends Callsite {
  readonly fields: Fields
  /** The formatted message (`fields.message`), when the event has one. */
  readonly message?: string
  /** The span the event happened in; absent outside any span. */
  readonly parent?: number
  readonly threadId: number
  readonly threadName: string
  /** Nanoseconds on the clock of `process.hrtime.bigint()`. */
  readonly timestamp: bigint
}

/**
 * A layer written in TypeScript. Every method is optional, as every hook of
 * `tracing_subscriber::Layer` has an empty default.
 *
 * `onNewSpan`'s return value becomes the span's state and is passed back,
 * unchanged, to every later call about that span. Callbacks for a span always
 * arrive in order (new, record, enter/exit, close), on the JavaScript thread
 * that started tracing; spans made on that thread arrive synchronously.
 */
export interface Layer<S = unknown> {
  onNewSpan?(span: SpanInfo): S
  onRecord?(span: SpanRef, values: Fields, state: S): void
  onEnter?(span: SpanRef, state: S): void
  onExit?(span: SpanRef, state: S): void
  /** `state` is that of the event's parent span, if any. */
  onEvent?(event: EventInfo, state: S | undefined): void
  onClose?(span: SpanRef, state: S): void
}
