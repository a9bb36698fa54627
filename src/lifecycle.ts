/**
 * Reads the lifecycle stream (`native/napi-tracing/src/protocol/lifecycle.rs`):
 * every hook of every span and event, which the addon hands to the sink of
 * a session with callback layers, batch by batch, as they happen. Each
 * record becomes an object with named fields; `deliver.ts` turns them into
 * the calls TypeScript layers receive.
 */
import type { Fields } from './layer.js'
import { LifecycleKind as Kind } from './protocol.generated.js'
import { callsiteOf, WireReader, type CallsiteInfo } from './wire.js'

/** An OS thread as the addon described it. */
export interface ThreadInfo {
  readonly id: number
  readonly name: string
}

/**
 * One hook of a span or an event. `span` and `parent` are the addon's span
 * ids (0: none); `ts` is nanoseconds on the clock of
 * `process.hrtime.bigint()`; a `record`'s fields are keyed by field index
 * (name them with `nameFields` once the span's callsite is known).
 */
export type LifecycleRecord =
  | { readonly kind: 'newSpan'; readonly span: number; readonly callsite: CallsiteInfo; readonly parent: number; readonly thread: ThreadInfo; readonly ts: number; readonly fields: Fields }
  | { readonly kind: 'record'; readonly span: number; readonly thread: ThreadInfo; readonly ts: number; readonly fields: Fields }
  | { readonly kind: 'enter' | 'exit' | 'close'; readonly span: number; readonly thread: ThreadInfo; readonly ts: number }
  | { readonly kind: 'event'; readonly callsite: CallsiteInfo; readonly parent: number; readonly thread: ThreadInfo; readonly ts: number; readonly fields: Fields }

const HOOKS = { [Kind.Enter]: 'enter', [Kind.Exit]: 'exit', [Kind.Close]: 'close' } as const

/**
 * Reads the batches of one session. Callsites and threads are described
 * once per session, so the reader keeps them across batches.
 */
export class LifecycleReader {
  readonly #wire = new WireReader()
  readonly #callsites = new Map<number, CallsiteInfo>()
  readonly #threads = new Map<number, ThreadInfo>()

  /** Decodes every record of `batch`, in order, handing each to `each`. */
  read(batch: Buffer, each: (record: LifecycleRecord) => void): void {
    const wire = this.#wire
    wire.start(batch)
    while (!wire.done) {
      const kind = wire.u8()
      switch (kind) {
        case Kind.Callsite:
          this.#describeCallsite()
          break
        case Kind.Thread: {
          const id = wire.u64()
          this.#threads.set(id, { id, name: wire.str() })
          break
        }
        case Kind.NewSpan: {
          const span = wire.u64()
          const callsite = callsiteOf(this.#callsites, wire.u32())
          const parent = wire.u64()
          const thread = this.#thread(wire.u64())
          const ts = wire.u64()
          each({ kind: 'newSpan', span, callsite, parent, thread, ts, fields: wire.fields(callsite) })
          break
        }
        case Kind.Record: {
          const span = wire.u64()
          const thread = this.#thread(wire.u64())
          const ts = wire.u64()
          each({ kind: 'record', span, thread, ts, fields: wire.fields(undefined) })
          break
        }
        case Kind.Enter:
        case Kind.Exit:
        case Kind.Close: {
          const span = wire.u64()
          const thread = this.#thread(wire.u64())
          each({ kind: HOOKS[kind], span, thread, ts: wire.u64() })
          break
        }
        case Kind.Event: {
          const callsite = callsiteOf(this.#callsites, wire.u32())
          const parent = wire.u64()
          const thread = this.#thread(wire.u64())
          const ts = wire.u64()
          each({ kind: 'event', callsite, parent, thread, ts, fields: wire.fields(callsite) })
          break
        }
        default:
          throw wire.unknownKind('lifecycle', kind)
      }
    }
  }

  /** Reads a callsite description (its kind byte read) and keeps it. */
  #describeCallsite(): void {
    const wire = this.#wire
    const id = wire.u32()
    const level = wire.level()
    const name = wire.str()
    const target = wire.str()
    const modulePath = wire.str()
    const file = wire.str()
    const line = wire.u32()
    const count = wire.u16()
    const fieldNames: string[] = []
    for (let i = 0; i < count; i++) fieldNames.push(wire.str())
    this.#callsites.set(id, {
      id,
      level,
      name,
      target,
      ...(modulePath ? { modulePath } : {}),
      ...(file ? { file } : {}),
      ...(line ? { line } : {}),
      fieldNames,
    })
  }

  #thread(id: number): ThreadInfo {
    return this.#threads.get(id) ?? { id, name: '' }
  }
}

/**
 * The sink handed to an addon: decodes each batch into `each`. Never
 * throws: a throw would land in the traced code; a malformed batch is
 * reported.
 */
export function lifecycleSink(reader: LifecycleReader, each: (record: LifecycleRecord) => void): (batch: Buffer | undefined) => void {
  return (batch) => {
    if (!batch) return
    try {
      reader.read(batch, each)
    } catch (error) {
      console.error(`vitest-napi-tracing: could not decode a batch of records: ${String(error)}`)
    }
  }
}
