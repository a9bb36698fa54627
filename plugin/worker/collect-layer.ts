/**
 * The plugin's collect layer, in each worker: the addon times every span,
 * streams the worker's trace to a file of its own (naming its tracks in
 * it) and sums the spans by path and anchor
 * (`native/napi-tracing/src/dispatch/layers/trace.rs`, `collect/`); each
 * flush returns those sums, read here (`sums.ts`). No JavaScript runs per
 * span. Not part of the library: `Tracing.start()` does not take it.
 */
import { resolve } from 'node:path'
import { startNative, warnClosed, type NativeLayer, type NativeStats, type TracingAddon } from '../../src/native.js'
import { knownKeys } from '../../src/options.js'
import type { SubscriberMode } from '../../src/tracing.js'
import { SumsReader, type FlushedSums } from './sums.js'

export interface CollectLayerOptions {
  /** The trace file the addon streams (Chrome trace entries, one per line, each followed by a comma). */
  trace: string
  /** The pid written into the trace. @default process.pid */
  pid?: number
  /** Span fields as slice args. @default true */
  includeArgs?: boolean
  /** Sums by span path, for call trees; `false` sums by span name alone. @default true */
  paths?: boolean
  /** The calling JavaScript thread's name in the trace. @default `JavaScript (main)` or `JavaScript (worker)` */
  threadName?: string
  /** A file the addon appends a line to when the process panics (the worker's stats file). */
  panicFile?: string
}

/** A collect layer as the addon builds it, and what its session starts with. */
export interface CollectLayer {
  readonly native: NativeLayer
  readonly threadName: string | undefined
  readonly panicFile: string | undefined
}

/** The collect layer `options` describe; throws for an option it does not know. */
export function collectLayer(options: CollectLayerOptions): CollectLayer {
  knownKeys('collectLayer()', options, ['trace', 'pid', 'includeArgs', 'paths', 'threadName', 'panicFile'])
  return {
    native: {
      kind: 'collect',
      path: resolve(options.trace),
      pid: options.pid ?? process.pid,
      includeArgs: options.includeArgs ?? true,
      paths: options.paths ?? true,
    },
    threadName: options.threadName,
    panicFile: options.panicFile,
  }
}

/** What a collect session starts with besides its layer. */
export interface CollectSessionOptions {
  /** EnvFilter directives, resolved. */
  filter: string
  queueCapacity?: number | undefined
  subscriber?: SubscriberMode | undefined
}

/** What a flush drained: when the addon's new epoch began (hrtime ns; 0 once closed) and the sums since the last one. */
export interface Flushed {
  readonly epoch: number
  readonly sums: FlushedSums
}

const NOTHING: FlushedSums = { spans: [], events: [] }

/** One addon's session with the collect layer, on this JavaScript thread. */
export class CollectSession {
  readonly #addon: TracingAddon
  readonly reader = new SumsReader()
  #final: NativeStats | undefined

  private constructor(addon: TracingAddon) {
    this.#addon = addon
  }

  /** Starts tracing `addon` into `layer`; throws what the addon refuses. */
  static start(addon: TracingAddon, layer: CollectLayer, options: CollectSessionOptions): CollectSession {
    startNative(addon, {
      filter: options.filter,
      layers: [layer.native],
      queueCapacity: options.queueCapacity,
      subscriber: options.subscriber,
      threadName: layer.threadName,
      panicFile: layer.panicFile,
    })
    return new CollectSession(addon)
  }

  get closed(): boolean {
    return this.#final !== undefined
  }

  /**
   * Ends the addon's epoch and takes its sums. With `wait`, returns once
   * the trace file has every entry so far (what a killed worker keeps);
   * without, its entries are handed to its writer (a test window's edge,
   * which needs the sums, not the file).
   */
  flush(wait: boolean): Flushed {
    if (this.closed) return { epoch: 0, sums: NOTHING }
    const flushed = this.#addon.napiTracingFlush(wait)
    return { epoch: flushed.epoch, sums: flushed.sums ? this.reader.read(flushed.sums) : NOTHING }
  }

  /** The addon's spans still open, by anchor (time and caller tag). */
  openSpans(): Array<{ ts: number; caller: number; count: number }> {
    return this.closed ? [] : this.#addon.napiTracingOpenSpans()
  }

  stats(): NativeStats {
    return this.#final ?? this.#addon.napiTracingStats()
  }

  /** Ends the session (flush first: the sums since the last flush are not taken); prints what went wrong. Idempotent. */
  close(): NativeStats {
    if (this.#final) return this.#final
    this.#final = this.#addon.napiTracingStop()
    warnClosed(this.#final)
    return this.#final
  }
}
