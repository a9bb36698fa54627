/**
 * Reads the sums stream (`native/napi-tracing/src/protocol/sums.rs`): what
 * the collect layer summed since the last flush, one batch per flush,
 * whatever the number of spans. Paths, messages and callsites are
 * described once per session, so the reader keeps them across batches.
 */
import { SPAN_FIGURES, SumsKind as Kind } from '../../src/protocol.generated.js'
import type { Level } from '../../src/layer.js'
import { callsiteOf, WireReader } from '../../src/wire.js'
import type { PathStep, SpanFigures } from '../data/stats.js'

/**
 * Where spans or events are attributed from: the epoch they were made in
 * (hrtime ns, on the addon's clock), the caller tag of the JavaScript call
 * that made them (0: none), and whether that call is known (`caused`) or
 * they were placed by time.
 */
export interface Anchor {
  readonly ts: number
  readonly caller: number
  readonly caused: boolean
}

/** A callsite as the sums stream describes it: what the report tells of its spans and events. */
export interface SumsCallsite {
  readonly id: number
  readonly level: Level
  readonly name: string
  readonly target: string
}

/** The figures of one path's spans with one anchor. */
export interface SpanSums {
  readonly path: number
  readonly anchor: Anchor
  readonly figures: SpanFigures
}

/** The count of one event callsite and message with one anchor. */
export interface EventSums {
  readonly callsite: SumsCallsite
  /** The event's message; undefined when it has none or it was not kept. */
  readonly message: string | undefined
  readonly anchor: Anchor
  readonly count: number
}

/** One flush's sums. */
export interface FlushedSums {
  readonly spans: SpanSums[]
  readonly events: EventSums[]
}

export class SumsReader {
  readonly #wire = new WireReader()
  readonly #callsites = new Map<number, SumsCallsite>()
  /** Span paths: parent path and callsite, by id. */
  readonly #paths = new Map<number, { parent: number; callsite: SumsCallsite }>()
  /** Event messages by id. */
  readonly #messages = new Map<number, string>()

  /** Decodes one flush's batch. */
  read(batch: Buffer): FlushedSums {
    const spans: SpanSums[] = []
    const events: EventSums[] = []
    const wire = this.#wire
    wire.start(batch)
    while (!wire.done) {
      const kind = wire.u8()
      switch (kind) {
        case Kind.Callsite: {
          const id = wire.u32()
          this.#callsites.set(id, { id, level: wire.level(), name: wire.str(), target: wire.str() })
          break
        }
        case Kind.Path: {
          const path = wire.u32()
          const parent = wire.u32()
          this.#paths.set(path, { parent, callsite: callsiteOf(this.#callsites, wire.u32()) })
          break
        }
        case Kind.Message: {
          const id = wire.u32()
          this.#messages.set(id, wire.str())
          break
        }
        case Kind.SpanSums: {
          const path = wire.u32()
          const anchor = this.#anchor()
          // A figure the crate sends that `SpanFigures` has no field for does not compile.
          const figures = {} as SpanFigures
          for (const name of SPAN_FIGURES) figures[name] = wire.u64()
          spans.push({ path, anchor, figures })
          break
        }
        case Kind.EventSums: {
          const callsite = callsiteOf(this.#callsites, wire.u32())
          const message = this.#messages.get(wire.u32())
          events.push({ callsite, message, anchor: this.#anchor(), count: wire.u64() })
          break
        }
        default:
          throw wire.unknownKind('sums', kind)
      }
    }
    return { spans, events }
  }

  /** The steps of path `path`, from its root span down to its own. */
  steps(path: number): PathStep[] {
    const steps: PathStep[] = []
    for (let at = this.#paths.get(path); at; at = this.#paths.get(at.parent)) {
      steps.unshift([at.callsite.target, at.callsite.name])
      if (at.parent === 0) break
    }
    return steps
  }

  #anchor(): Anchor {
    const wire = this.#wire
    return { ts: wire.u64(), caller: wire.u32(), caused: wire.u8() === 1 }
  }
}
