/**
 * Hands the lifecycle stream's records to TypeScript layers: keeps each
 * span's state, builds the objects the `Layer` methods receive, and
 * contains their errors.
 */
import type { EventInfo, Fields, Layer, SpanInfo, SpanRef } from './layer.js'
import { LifecycleReader, lifecycleSink, type LifecycleRecord, type ThreadInfo } from './lifecycle.js'
import { nameFields, type CallsiteInfo } from './wire.js'

/** A layer method that threw, as reported to `onLayerError`. */
export interface LayerError {
  /** The layer's class name, or `layers[i]` for plain objects. */
  readonly layer: string
  readonly method: keyof Layer
  /** The span (or event) being handled. */
  readonly spanName: string
  readonly error: unknown
  /** How many times this method of this layer has thrown so far. */
  readonly count: number
}

type Method = keyof Layer

interface OpenSpan {
  readonly id: number
  readonly callsite: CallsiteInfo
  /** One state per layer, as its onNewSpan returned it. */
  readonly states: unknown[]
}

/** The default error report: one line per method and layer, on stderr. */
export function printLayerError(e: LayerError): void {
  if (e.count !== 1) return
  console.error(
    `vitest-napi-tracing: ${e.layer}.${e.method}() threw while handling span "${e.spanName}": ` +
      `${e.error instanceof Error ? (e.error.stack ?? e.error.message) : String(e.error)}\n` +
      `  Tracing goes on; further errors from ${e.layer}.${e.method}() are counted, not printed ` +
      `(tracing.stats().layerErrors).`,
  )
}

export class Deliverer {
  readonly #spans = new Map<number, OpenSpan>()
  readonly #layers: readonly Layer[]
  readonly #names: readonly string[]
  readonly #onError: (e: LayerError) => void
  readonly #errorCounts = new Map<string, number>()
  #errors = 0

  constructor(layers: readonly Layer[], onError: (e: LayerError) => void = printLayerError) {
    this.#layers = layers
    this.#names = layers.map((layer, i) => {
      const name = (layer as object).constructor?.name
      return name && name !== 'Object' ? name : `layers[${i}]`
    })
    this.#onError = onError
  }

  /** Errors thrown by layer methods so far. */
  get layerErrors(): number {
    return this.#errors
  }

  /** Hands one record to the layers; they see timestamps as bigints, on the clock of process.hrtime.bigint(). */
  #deliver(r: LifecycleRecord): void {
    switch (r.kind) {
      case 'newSpan':
        this.#newSpan(r.span, r.callsite, r.parent, r.thread, BigInt(r.ts), r.fields)
        break
      case 'record': {
        const span = this.#spans.get(r.span)
        if (!span) return
        const values = nameFields(r.fields, span.callsite)
        this.#each(span, 'onRecord', r.thread, BigInt(r.ts), (layer, ref, state) => layer.onRecord?.(ref, values, state))
        break
      }
      case 'enter':
        this.#lifecycle(r.span, 'onEnter', r.thread, r.ts)
        break
      case 'exit':
        this.#lifecycle(r.span, 'onExit', r.thread, r.ts)
        break
      case 'close':
        this.#lifecycle(r.span, 'onClose', r.thread, r.ts)
        this.#spans.delete(r.span)
        break
      case 'event':
        this.#event(r.callsite, r.parent, r.thread, BigInt(r.ts), r.fields)
        break
    }
  }

  /** The sink handed to the addon. */
  readonly receive = lifecycleSink(new LifecycleReader(), (record) => this.#deliver(record))

  #lifecycle(id: number, method: 'onEnter' | 'onExit' | 'onClose', thread: ThreadInfo, ts: number): void {
    const span = this.#spans.get(id)
    if (span) this.#each(span, method, thread, BigInt(ts), (layer, ref, state) => layer[method]?.(ref, state))
  }

  #newSpan(id: number, callsite: CallsiteInfo, parent: number, thread: ThreadInfo, ts: bigint, fields: Fields): void {
    const info: SpanInfo = {
      ...callsiteOf(callsite),
      id,
      threadId: thread.id,
      threadName: thread.name,
      timestamp: ts,
      fields,
      ...(parent ? { parent } : {}),
    }
    const states = this.#layers.map((layer, i) =>
      layer.onNewSpan ? this.#guard(i, 'onNewSpan', callsite.name, () => layer.onNewSpan?.(info)) : undefined,
    )
    this.#spans.set(id, { id, callsite, states })
  }

  #event(callsite: CallsiteInfo, parent: number, thread: ThreadInfo, ts: bigint, fields: Fields): void {
    const message = fields['message']
    const info: EventInfo = {
      ...callsiteOf(callsite),
      fields,
      ...(typeof message === 'string' ? { message } : {}),
      ...(parent ? { parent } : {}),
      threadId: thread.id,
      threadName: thread.name,
      timestamp: ts,
    }
    const span = parent ? this.#spans.get(parent) : undefined
    const spanName = span ? span.callsite.name : callsite.name
    this.#layers.forEach((layer, i) => {
      if (layer.onEvent) this.#guard(i, 'onEvent', spanName, () => layer.onEvent?.(info, span?.states[i]))
    })
  }

  #each(
    span: OpenSpan,
    method: Method,
    thread: ThreadInfo,
    ts: bigint,
    call: (layer: Layer, ref: SpanRef, state: unknown) => void,
  ): void {
    let ref: SpanRef | undefined
    this.#layers.forEach((layer, i) => {
      if (!layer[method]) return
      ref ??= { ...callsiteOf(span.callsite), id: span.id, threadId: thread.id, threadName: thread.name, timestamp: ts }
      const r = ref
      this.#guard(i, method, span.callsite.name, () => call(layer, r, span.states[i]))
    })
  }

  #guard<T>(layerIndex: number, method: Method, spanName: string, call: () => T): T | undefined {
    try {
      return call()
    } catch (error) {
      this.#errors++
      const layer = this.#names[layerIndex] ?? `layers[${layerIndex}]`
      const key = `${layerIndex}.${method}`
      const count = (this.#errorCounts.get(key) ?? 0) + 1
      this.#errorCounts.set(key, count)
      try {
        this.#onError({ layer, method, spanName, error, count })
      } catch {
        // An error handler that throws must not stop delivery either; the
        // error is already counted in layerErrors.
      }
      return undefined
    }
  }
}

function callsiteOf(c: CallsiteInfo) {
  return {
    name: c.name,
    target: c.target,
    level: c.level,
    ...(c.modulePath !== undefined ? { modulePath: c.modulePath } : {}),
    ...(c.file !== undefined ? { file: c.file } : {}),
    ...(c.line !== undefined ? { line: c.line } : {}),
  }
}
