/**
 * Reads the encoding both record streams share
 * (`native/napi-tracing/src/protocol/encoding.rs`): little-endian integers,
 * length-prefixed strings, levels and field values. The
 * streams' own readers are `lifecycle.ts` (callback layers) and the
 * plugin's `plugin/worker/sums.ts` (the collect layer's sums).
 */
import type { Callsite, FieldValue, Fields, Level } from './layer.js'
import { FieldTag as Tag, LEVELS } from './protocol.generated.js'

/** A callsite as the addon described it: its static data and its fields' names by index. */
export interface CallsiteInfo extends Callsite {
  readonly id: number
  readonly fieldNames: readonly string[]
}

const TWO_32 = 4294967296
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
/** Fields of a record that has none: shared, never written to. */
const NO_FIELDS: Fields = Object.freeze({}) as Fields

/** Reads one batch at a time. */
export class WireReader {
  #buf: Buffer = Buffer.alloc(0)
  #view: DataView = new DataView(new ArrayBuffer(0))
  #at = 0

  /** Starts reading `batch` from its first byte. */
  start(batch: Buffer): void {
    this.#buf = batch
    this.#view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength)
    this.#at = 0
  }

  /** Whether the batch is read to its end. */
  get done(): boolean {
    return this.#at >= this.#buf.byteLength
  }

  /** An error for a record kind `stream`'s reader does not know, at the byte just read. */
  unknownKind(stream: string, kind: number): Error {
    return new Error(
      `vitest-napi-tracing: unknown ${stream} record kind ${kind} at byte ${this.#at - 1}; the addon and ` +
        `this package disagree on the record layout (rebuild the addon against this version)`,
    )
  }

  /** A level, from its code. */
  level(): Level {
    return LEVELS[this.u8()] ?? 'TRACE'
  }

  /** Field values keyed by name, or by index when `callsite` is not known (a RECORD's: see `nameFields`). */
  fields(callsite: CallsiteInfo | undefined): Fields {
    const count = this.u16()
    if (count === 0) return NO_FIELDS
    const fields: Fields = {}
    for (let i = 0; i < count; i++) {
      const index = this.u16()
      const key = callsite ? (callsite.fieldNames[index] ?? String(index)) : String(index)
      fields[key] = this.#value()
    }
    return fields
  }

  #value(): FieldValue {
    const tag = this.u8()
    switch (tag) {
      case Tag.I64: {
        const lo = this.#view.getUint32(this.#at, true)
        const hi = this.#view.getInt32(this.#at + 4, true)
        // Exact as a number when |value| < 2^53, i.e. the high word fits in 21 bits.
        const v = hi >= -0x200000 && hi < 0x200000 ? hi * TWO_32 + lo : this.#view.getBigInt64(this.#at, true)
        this.#at += 8
        return v
      }
      case Tag.U64: {
        const lo = this.#view.getUint32(this.#at, true)
        const hi = this.#view.getUint32(this.#at + 4, true)
        const v = hi < 0x200000 ? hi * TWO_32 + lo : this.#view.getBigUint64(this.#at, true)
        this.#at += 8
        return v
      }
      case Tag.F64: {
        const v = this.#view.getFloat64(this.#at, true)
        this.#at += 8
        return v
      }
      case Tag.Bool:
        return this.u8() === 1
      case Tag.Str:
      case Tag.Debug:
        return this.str()
      case Tag.I128:
      case Tag.U128: {
        const lo = this.#view.getBigUint64(this.#at, true)
        const hi = tag === Tag.I128 ? this.#view.getBigInt64(this.#at + 8, true) : this.#view.getBigUint64(this.#at + 8, true)
        this.#at += 16
        const v = (hi << 64n) | lo
        return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v
      }
      default:
        throw new Error(`vitest-napi-tracing: unknown field value tag ${tag}`)
    }
  }

  u8(): number {
    return this.#view.getUint8(this.#at++)
  }
  u16(): number {
    const v = this.#view.getUint16(this.#at, true)
    this.#at += 2
    return v
  }
  u32(): number {
    const v = this.#view.getUint32(this.#at, true)
    this.#at += 4
    return v
  }
  /**
   * A u64 that is an id, a thread id, a timestamp or a sum: below 2^53.
   * Timestamps are nanoseconds on the hrtime clock: exact below 2^53 ns
   * (104 days of uptime).
   */
  u64(): number {
    const v = this.#view.getUint32(this.#at, true) + this.#view.getUint32(this.#at + 4, true) * TWO_32
    this.#at += 8
    return v
  }
  str(): string {
    const len = this.u32()
    const s = this.#buf.toString('utf8', this.#at, this.#at + len)
    this.#at += len
    return s
  }
}

/** The callsite `id` names, among those a stream described; throws for one it did not. */
export function callsiteOf<T>(callsites: ReadonlyMap<number, T>, id: number): T {
  const callsite = callsites.get(id)
  if (!callsite) throw new Error(`vitest-napi-tracing: record names unknown callsite ${id}`)
  return callsite
}

/** Names the fields of a RECORD (keyed by index), given the span's callsite. */
export function nameFields(fields: Fields, callsite: CallsiteInfo): Fields {
  const named: Fields = {}
  for (const [index, value] of Object.entries(fields)) {
    named[callsite.fieldNames[Number(index)] ?? index] = value
  }
  return named
}
