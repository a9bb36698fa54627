/**
 * `Tracing.start()`: sets up an addon's tracing from TypeScript and returns
 * the handle that `using` disposes.
 */
import { checkLayers, type LayerSpec } from './config.js'
import { Deliverer, type LayerError } from './deliver.js'
import type { Layer } from './layer.js'
import { asTracingAddon, startNative, warnClosed, type TracingBuild, type NativeStats, type TracingAddon } from './native.js'
import { knownKeys, oneOf } from './options.js'

const SUBSCRIBER_MODES = ['auto', 'global', 'scoped', 'layer'] as const

/** The filter used when neither `filter` nor `RUST_LOG` is set. */
export const DEFAULT_FILTER = 'info'

/** The EnvFilter directives in effect, and where they came from. */
export interface ResolvedFilter {
  directives: string
  /** `option`: passed in; `RUST_LOG`: the environment; `default`: neither was set. */
  source: 'option' | 'RUST_LOG' | 'default'
}

/**
 * The filter a start uses: `filter` when given, else `RUST_LOG` unless it is
 * unset or blank (an empty variable counts as absent), else DEFAULT_FILTER.
 * Throws for a `filter` that is not a string or is blank.
 */
export function resolveFilter(filter: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedFilter {
  if (filter !== undefined) {
    if (typeof filter !== 'string' || filter.trim() === '') {
      throw new TypeError(
        `vitest-napi-tracing: filter must be EnvFilter directives such as 'info' or 'warn,my_addon=trace', got ${JSON.stringify(filter)}; leave it out to use RUST_LOG or '${DEFAULT_FILTER}'`,
      )
    }
    return { directives: filter, source: 'option' }
  }
  const fromEnv = env['RUST_LOG']?.trim()
  return fromEnv ? { directives: fromEnv, source: 'RUST_LOG' } : { directives: DEFAULT_FILTER, source: 'default' }
}

export interface TracingOptions {
  /**
   * tracing-subscriber EnvFilter directives, e.g. `'info,my_addon=trace'`.
   * @default process.env.RUST_LOG when set and not blank, else 'info'
   */
  filter?: string
  layers?: readonly LayerSpec[]
  /**
   * Bytes of records that may wait for this JavaScript thread (records from
   * other threads wait until it is free). When full, records are dropped
   * and counted in `stats().dropped`.
   * @default 16 MiB
   */
  queueCapacity?: number
  /** Called when a TypeScript layer method throws. @default prints once per method */
  onLayerError?: (error: LayerError) => void
  /**
   * How napi-tracing reaches the addon's spans. `'global'`: it installs the
   * addon's global default and sees every thread's spans (the addon must
   * not install a subscriber of its own). `'scoped'`: it traces the calling
   * JavaScript thread only, and leaves the global default to the addon.
   * `'layer'`: it installs nothing, and sees what `napi_tracing::layer()`
   * in the addon's own subscriber hands it. `'auto'`: `'layer'` when the
   * addon's subscriber has that layer, `'scoped'` when the addon wraps its
   * subscriber or calls tracing-subscriber's `init()`, else `'global'`; an
   * addon running a subscriber without napi-tracing is refused with the fix
   * named. Whatever is asked, an addon whose subscriber is
   * `napi_tracing::wrap(..)` is traced through it (`stats().subscriber`
   * says `'wrap'`): every thread's spans, whatever its filters.
   * @default 'auto'
   */
  subscriber?: SubscriberMode
}

/** How napi-tracing reaches an addon's spans (see `TracingOptions.subscriber`). */
export type SubscriberMode = (typeof SUBSCRIBER_MODES)[number]

export interface TracingStats {
  /** Records handed to TypeScript layers. */
  readonly delivered: number
  /** Records lost because the queue was full or JavaScript could not run. */
  readonly dropped: number
  /** Spans no session could claim (several threads traced, no parent to tell). */
  readonly unattributed: number
  /** Errors thrown by TypeScript layer methods. */
  readonly layerErrors: number
  /** What went wrong in the layers' outputs (files, exporters), as sentences. */
  readonly warnings: readonly string[]
  /** The OS thread id of the JavaScript thread that started tracing. */
  readonly threadId: number
  /** How napi-tracing reaches the addon's spans: `'global'`, `'scoped'`, `'layer'` or `'wrap'`. */
  readonly subscriber: string
  /** What the session cannot trace, and why, as sentences naming the fix. */
  readonly notes: readonly string[]
  /**
   * What one span (made, entered, exited, closed) costs this session on this
   * machine, in ns: measured in the addon when the session started, for
   * sessions of `chromeLayer` (and the plugin's) alone on napi-tracing's own
   * subscriber; 0 where it was not measured (other layers, `subscriber: 'layer'` or `'wrap'`).
   */
  readonly spanCostNs: number
  /**
   * Span callsites the addon met that the filter turned off (the first 64),
   * as `LEVEL target::name`: what a wider filter would show.
   */
  readonly hiddenCallsites: readonly string[]
}

export class Tracing implements Disposable, AsyncDisposable {
  readonly #addon: TracingAddon
  readonly #deliverer: Deliverer | undefined
  #final: TracingStats | undefined

  private constructor(addon: TracingAddon, deliverer: Deliverer | undefined) {
    this.#addon = addon
    this.#deliverer = deliverer
  }

  /**
   * Starts tracing `addon` on this JavaScript thread with the given layers.
   * One Tracing per addon and thread may be open at a time.
   */
  static start(addon: unknown, options: TracingOptions = {}): Tracing {
    knownKeys('Tracing.start()', options, ['filter', 'layers', 'queueCapacity', 'onLayerError', 'subscriber'])
    if (options.subscriber !== undefined) oneOf('Tracing.start()', 'subscriber', options.subscriber, SUBSCRIBER_MODES)
    const addonApi = asTracingAddon(addon)
    const specs = checkLayers(options.layers ?? [])
    const tsLayers: Layer[] = specs.flatMap((s) => (s.kind === 'callback' ? [s.layer] : []))
    const deliverer = tsLayers.length > 0 ? new Deliverer(tsLayers, options.onLayerError) : undefined
    // Which layers combine is the addon's to check: it builds them.
    const native = specs.flatMap((s) => ('native' in s ? [{ kind: s.kind, ...s.native }] : []))
    startNative(
      addonApi,
      {
        filter: resolveFilter(options.filter).directives,
        layers: deliverer ? [...native, { kind: 'callback' }] : native,
        queueCapacity: options.queueCapacity,
        subscriber: options.subscriber,
      },
      deliverer?.receive,
    )
    const tracing = new Tracing(addonApi, deliverer)
    // process.exit() skips Node-API cleanup hooks: finish files on 'exit' instead.
    process.once('exit', tracing.#onExit)
    return tracing
  }

  readonly #onExit = (): void => {
    this.close()
  }

  /** Whether close() has run. */
  get closed(): boolean {
    return this.#final !== undefined
  }

  /** Delivers every record waiting for this thread to the layers, now. */
  flush(): void {
    if (!this.closed) this.#addon.napiTracingFlush()
  }

  /** How napi-tracing was built into the addon (see `unoptimised` for when its times mislead). */
  get build(): TracingBuild {
    return this.#addon.napiTracingBuild()
  }

  stats(): TracingStats {
    if (this.#final) return this.#final
    return this.#withLayerErrors(this.#addon.napiTracingStats())
  }

  /**
   * Flushes and detaches. Spans still open are no longer reported. Returns
   * the final counters and warns when records were dropped. Idempotent.
   */
  close(): TracingStats {
    if (this.#final) return this.#final
    process.off('exit', this.#onExit)
    const stats = this.#withLayerErrors(this.#addon.napiTracingStop())
    this.#final = stats
    warnClosed(stats)
    return stats
  }

  [Symbol.dispose](): void {
    this.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  #withLayerErrors(s: NativeStats): TracingStats {
    return {
      delivered: s.delivered,
      dropped: s.dropped,
      unattributed: s.unattributed,
      layerErrors: this.#deliverer?.layerErrors ?? 0,
      warnings: s.warnings,
      threadId: s.threadId,
      subscriber: s.subscriber,
      notes: s.notes,
      hiddenCallsites: s.hidden,
      spanCostNs: s.spanCostNs,
    }
  }
}
