/**
 * Decodes record batches written by `native/napi-tracing/src/record.rs`:
 * the one TypeScript reader of that layout. See that file for the format.
 */
import type { Callsite, FieldValue, Fields, Level } from './layer.js'

const LEVELS: readonly Level[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']

/** The version of the record layout and entry points this package speaks. */
export const PROTOCOL_VERSION = 9

/** The first byte of each record. */
export const Kind = {
  Callsite: 1,
  Thread: 2,
  NewSpan: 3,
  Record: 4,
  Enter: 5,
  Exit: 6,
  Close: 7,
  Event: 8,
  SpanStats: 9,
  Track: 10,
  Path: 11,
  EventStats: 12,
  Message: 13,
} as const

export interface CallsiteInfo extends Callsite {
  readonly id: number
  readonly fieldNames: readonly string[]
}

export interface ThreadInfo {
  readonly id: number
  readonly name: string
}

/**
 * What a batch is decoded into: one call per record, arguments in place of
 * objects (a batch holds hundreds of thousands of records). Timestamps are
 * nanoseconds on the hrtime clock as numbers: exact below 2^53 ns (104 days
 * of uptime). `RecordVisitor.record` gets fields keyed by field index; name
 * them with `RecordReader.nameFields` once the span's callsite is known.
 */
export interface RecordVisitor {
  newSpan(span: number, callsite: CallsiteInfo, parent: number, thread: ThreadInfo, ts: number, caller: number, fields: Fields): void
  record(span: number, thread: ThreadInfo, ts: number, fields: Fields): void
  enter(span: number, thread: ThreadInfo, ts: number): void
  exit(span: number, thread: ThreadInfo, ts: number): void
  close(span: number, thread: ThreadInfo, ts: number): void
  event(callsite: CallsiteInfo, parent: number, thread: ThreadInfo, ts: number, fields: Fields): void
  /**
   * The collect layer's sums, made at a flush: the spans of one path (see
   * `path`) with one anchor (the epoch time and caller tag they are
   * attributed by, and whether the call that made them is known: `caused`,
   * else they were placed by time) finished since the last flush: how
   * many, how many were entered, their busy time, their self time (busy
   * less their children's on their thread), the shortest and the longest
   * entered one (0 without), and the lifetime (creation to close) of those
   * never entered.
   */
  spanStats(
    callsite: CallsiteInfo,
    path: number,
    anchorTs: number,
    anchorCaller: number,
    caused: boolean,
    calls: number,
    entered: number,
    busyNs: number,
    selfNs: number,
    minNs: number,
    maxNs: number,
    lifetimeNs: number,
  ): void
  /** A span path: `callsite` under path `parent` (0: a root), sent before the sums that name it. */
  path(path: number, parent: number, callsite: CallsiteInfo): void
  /** The collect layer's count of events of one callsite and message (undefined: not kept) with one anchor. */
  eventStats(callsite: CallsiteInfo, message: string | undefined, anchorTs: number, anchorCaller: number, caused: boolean, count: number): void
  /**
   * A trace track the collect layer wrote on for the first time (a thread,
   * or one of its own tracks), and the name it should have in the trace.
   */
  track(track: number, name: string): void
}

const TWO_32 = 4294967296
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
/** Fields of a record that has none: shared, never written to. */
const NO_FIELDS: Fields = Object.freeze({}) as Fields

/**
 * The sink handed to an addon: decodes `batch` into `visitor`. Never throws:
 * a throw would land in the traced code; a malformed batch is reported.
 */
export function batchSink(reader: RecordReader, visitor: RecordVisitor): (batch: Buffer | undefined) => void {
  return (batch) => {
    if (!batch) return
    try {
      reader.read(batch, visitor)
    } catch (error) {
      console.error(`vitest-napi-tracing: could not decode a batch of records: ${String(error)}`)
    }
  }
}

/**
 * Reads batches from one session. Callsite and thread descriptions arrive
 * once per session, so the reader keeps them across batches.
 */
export class RecordReader {
  readonly #callsites = new Map<number, CallsiteInfo>()
  readonly #threads = new Map<number, ThreadInfo>()
  /** Event messages by id (the collect layer's). */
  readonly #messages = new Map<number, string>()
  #buf: Buffer = Buffer.alloc(0)
  #view: DataView = new DataView(new ArrayBuffer(0))
  #at = 0

  /** Decodes every record of `batch`, in order, into calls on `visitor`. */
  read(batch: Buffer, visitor: RecordVisitor): void {
    this.#buf = batch
    this.#view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength)
    this.#at = 0
    while (this.#at < batch.byteLength) {
      const kind = this.#u8()
      switch (kind) {
        case Kind.Callsite:
          this.#readCallsite()
          break
        case Kind.Thread: {
          const id = this.#u64n()
          this.#threads.set(id, { id, name: this.#str() })
          break
        }
        case Kind.NewSpan: {
          const span = this.#u64n()
          const callsite = this.#callsite(this.#u32())
          const parent = this.#u64n()
          const thread = this.#thread(this.#u64n())
          const ts = this.#u64n()
          const caller = this.#u32()
          visitor.newSpan(span, callsite, parent, thread, ts, caller, this.#fields(callsite))
          break
        }
        case Kind.Record: {
          const span = this.#u64n()
          const thread = this.#thread(this.#u64n())
          const ts = this.#u64n()
          visitor.record(span, thread, ts, this.#fields(undefined))
          break
        }
        case Kind.Enter:
          visitor.enter(this.#u64n(), this.#thread(this.#u64n()), this.#u64n())
          break
        case Kind.Exit:
          visitor.exit(this.#u64n(), this.#thread(this.#u64n()), this.#u64n())
          break
        case Kind.Close:
          visitor.close(this.#u64n(), this.#thread(this.#u64n()), this.#u64n())
          break
        case Kind.Event: {
          const callsite = this.#callsite(this.#u32())
          const parent = this.#u64n()
          const thread = this.#thread(this.#u64n())
          const ts = this.#u64n()
          visitor.event(callsite, parent, thread, ts, this.#fields(callsite))
          break
        }
        case Kind.Track:
          visitor.track(this.#u64n(), this.#str())
          break
        case Kind.Path:
          visitor.path(this.#u32(), this.#u32(), this.#callsite(this.#u32()))
          break
        case Kind.Message:
          this.#messages.set(this.#u32(), this.#str())
          break
        case Kind.EventStats:
          visitor.eventStats(this.#callsite(this.#u32()), this.#messages.get(this.#u32()), this.#u64n(), this.#u32(), this.#u8() === 1, this.#u64n())
          break
        case Kind.SpanStats:
          visitor.spanStats(
            this.#callsite(this.#u32()),
            this.#u32(),
            this.#u64n(),
            this.#u32(),
            this.#u8() === 1,
            this.#u64n(),
            this.#u64n(),
            this.#u64n(),
            this.#u64n(),
            this.#u64n(),
            this.#u64n(),
            this.#u64n(),
          )
          break
        default:
          throw new Error(
            `vitest-napi-tracing: unknown record kind ${kind} at byte ${this.#at - 1}; the addon and ` +
              `this package disagree on the record layout (rebuild the addon against this version)`,
          )
      }
    }
  }

  /** Names the fields of a `Record` batch entry, given the span's callsite. */
  nameFields(fields: Fields, callsite: CallsiteInfo): Fields {
    const named: Fields = {}
    for (const [index, value] of Object.entries(fields)) {
      named[callsite.fieldNames[Number(index)] ?? index] = value
    }
    return named
  }

  #readCallsite(): void {
    const id = this.#u32()
    const level = LEVELS[this.#u8()] ?? 'TRACE'
    this.#u8() // whether it is a span's: the record kinds tell
    const name = this.#str()
    const target = this.#str()
    const modulePath = this.#str()
    const file = this.#str()
    const line = this.#u32()
    const count = this.#u16()
    const fieldNames: string[] = []
    for (let i = 0; i < count; i++) fieldNames.push(this.#str())
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

  #callsite(id: number): CallsiteInfo {
    const callsite = this.#callsites.get(id)
    if (!callsite) throw new Error(`vitest-napi-tracing: record names unknown callsite ${id}`)
    return callsite
  }

  #thread(id: number): ThreadInfo {
    return this.#threads.get(id) ?? { id, name: '' }
  }

  /** Field values keyed by name, or by index when `callsite` is not known yet. */
  #fields(callsite: CallsiteInfo | undefined): Fields {
    const count = this.#u16()
    if (count === 0) return NO_FIELDS
    const fields: Fields = {}
    for (let i = 0; i < count; i++) {
      const index = this.#u16()
      const key = callsite ? (callsite.fieldNames[index] ?? String(index)) : String(index)
      fields[key] = this.#value()
    }
    return fields
  }

  #value(): FieldValue {
    const tag = this.#u8()
    switch (tag) {
      case 0: {
        const lo = this.#view.getUint32(this.#at, true)
        const hi = this.#view.getInt32(this.#at + 4, true)
        // Exact as a number when |value| < 2^53, i.e. the high word fits in 21 bits.
        const v = hi >= -0x200000 && hi < 0x200000 ? hi * TWO_32 + lo : this.#view.getBigInt64(this.#at, true)
        this.#at += 8
        return v
      }
      case 1: {
        const lo = this.#view.getUint32(this.#at, true)
        const hi = this.#view.getUint32(this.#at + 4, true)
        const v = hi < 0x200000 ? hi * TWO_32 + lo : this.#view.getBigUint64(this.#at, true)
        this.#at += 8
        return v
      }
      case 2: {
        const v = this.#view.getFloat64(this.#at, true)
        this.#at += 8
        return v
      }
      case 3:
        return this.#u8() === 1
      case 4:
      case 5:
        return this.#str()
      case 6:
      case 7: {
        const lo = this.#view.getBigUint64(this.#at, true)
        const hi = tag === 6 ? this.#view.getBigInt64(this.#at + 8, true) : this.#view.getBigUint64(this.#at + 8, true)
        this.#at += 16
        const v = (hi << 64n) | lo
        return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v
      }
      default:
        throw new Error(`vitest-napi-tracing: unknown field value tag ${tag}`)
    }
  }

  #u8(): number {
    return this.#view.getUint8(this.#at++)
  }
  #u16(): number {
    const v = this.#view.getUint16(this.#at, true)
    this.#at += 2
    return v
  }
  #u32(): number {
    const v = this.#view.getUint32(this.#at, true)
    this.#at += 4
    return v
  }
  /** A u64 that is an id, a thread id or a timestamp: below 2^53. */
  #u64n(): number {
    const v = this.#view.getUint32(this.#at, true) + this.#view.getUint32(this.#at + 4, true) * TWO_32
    this.#at += 8
    return v
  }
  #str(): string {
    const len = this.#u32()
    const s = this.#buf.toString('utf8', this.#at, this.#at + len)
    this.#at += len
    return s
  }
}
