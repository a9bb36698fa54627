/** A TypeScript layer that records every callback, for assertions. */
import type { EventInfo, Fields, Layer, SpanInfo, SpanRef } from '../../src/index.js'

export type Call =
  | { method: 'onNewSpan'; span: SpanInfo }
  | { method: 'onRecord'; span: SpanRef; values: Fields; state: unknown }
  | { method: 'onEnter' | 'onExit' | 'onClose'; span: SpanRef; state: unknown }
  | { method: 'onEvent'; event: EventInfo; state: unknown }

export class RecordingLayer implements Layer<{ id: number }> {
  readonly calls: Call[] = []
  readonly spans = new Map<number, SpanInfo>()

  onNewSpan(span: SpanInfo) {
    this.calls.push({ method: 'onNewSpan', span })
    this.spans.set(span.id, span)
    return { id: span.id }
  }
  onRecord(span: SpanRef, values: Fields, state: unknown) {
    this.calls.push({ method: 'onRecord', span, values, state })
  }
  onEnter(span: SpanRef, state: unknown) {
    this.calls.push({ method: 'onEnter', span, state })
  }
  onExit(span: SpanRef, state: unknown) {
    this.calls.push({ method: 'onExit', span, state })
  }
  onClose(span: SpanRef, state: unknown) {
    this.calls.push({ method: 'onClose', span, state })
  }
  onEvent(event: EventInfo, state: unknown) {
    this.calls.push({ method: 'onEvent', event, state })
  }

  named(name: string): SpanInfo[] {
    return [...this.spans.values()].filter((s) => s.name === name)
  }

  /** The callbacks about one span, in arrival order. */
  history(id: number): Call['method'][] {
    return this.calls.filter((c) => c.method !== 'onEvent' && c.span.id === id).map((c) => c.method)
  }

  events(): EventInfo[] {
    return this.calls.flatMap((c) => (c.method === 'onEvent' ? [c.event] : []))
  }
}
