/**
 * The collector: the TypeScript side of the collect layer, which the Vitest
 * plugin runs in every worker. The addon times each span, streams the trace
 * to disk and sums the spans by path and anchor itself
 * (`native/napi-tracing/src/layers/trace.rs`); here, at each flush, those
 * sums are attributed to tests and added into per-test statistics. No
 * JavaScript runs per span.
 *
 * Which test owns the sums is `attribution.ts`'s to say; beginTest and
 * endTest flush, and windows begin and end with the epochs those flushes
 * start, on the addon's monotonic clock (which fake timers cannot reach),
 * so no epoch straddles a window's edge.
 */
import { Attribution, type Owner } from './attribution.js'
import { batchSink, RecordReader, type CallsiteInfo, type RecordVisitor } from '../../src/record.js'
import { addSums, type EventCount, type PathStats, type PathStep, type Sums } from '../data/stats.js'
import type { Made } from '../data/worker-file.js'

/** What one test (or the file) has: its span sums by path and placement (see `keyOf`) and its event counts. */
interface Bucket {
  paths: Map<number, Sums>
  events: Map<string, EventCount>
}

/** A bucket's key for spans of `path`: shared with concurrent tests, placed by time. */
function keyOf(path: number, shared: boolean, timed: boolean): number {
  return path * 4 + (shared ? 1 : 0) + (timed ? 2 : 0)
}

function placementOf(key: number): { path: number; shared?: true; timed?: true } {
  return { path: Math.floor(key / 4), ...(key & 1 ? { shared: true as const } : {}), ...(key & 2 ? { timed: true as const } : {}) }
}

export class SpanCollector {
  readonly #reader = new RecordReader()
  readonly #attribution = new Attribution()
  /** By owner key ('' for the file). */
  readonly #buckets = new Map<string, Bucket>()
  /** Span paths the addon sent: parent path and callsite, by id. */
  readonly #paths = new Map<number, { parent: number; callsite: CallsiteInfo }>()
  #spans = 0
  #flush: () => number | undefined = () => undefined
  /** Tracks the addon wrote on for the first time since they were last taken. */
  #tracks: Array<{ track: number; name: string }> = []

  /** Spans summed so far. */
  get spans(): number {
    return this.#spans
  }

  /**
   * Called by Tracing.start() with the flush of the session that feeds this
   * collector; the flush returns when the addon's new epoch began.
   */
  attach(flush: () => number | undefined): void {
    this.#flush = flush
  }

  /** Hands the addon's sums so far over; returns when its new epoch began (hrtime ns; 0 once it is closed). */
  flush(): number {
    return this.#flush() || 0
  }

  /**
   * Opens a test's window; `caller` is the tag its calls into the addon
   * carry, if any. Flushes: the window starts with the addon's new epoch,
   * so spans made before are summed apart from the test's. Returns the
   * window's start (hrtime ns, on the addon's clock; 0 once closed).
   */
  beginTest(id: string, caller = 0): number {
    const epoch = this.flush()
    if (epoch) this.#attribution.open(id, epoch, caller)
    return epoch
  }

  /** Closes a test's window; returns its end (hrtime ns, 0 once closed). */
  endTest(id: string): number {
    const epoch = this.flush()
    // Spans of the epoch that begins now are made after the test.
    if (epoch) this.#attribution.close(id, epoch - 1)
    return epoch
  }

  /** Statistics of a test, or of the file, by span path (each path from its root). */
  tree(id: string): PathStats[] {
    return [...(this.#buckets.get(id)?.paths ?? [])].map(([key, sums]) => {
      const { path, ...placement } = placementOf(key)
      return { path: this.#pathOf(path), ...sums, ...placement }
    })
  }

  /** Everything test `id` (or the file, `''`) made so far: spans by path, events. */
  made(id: string): Made {
    return { tree: this.tree(id), events: this.events(id) }
  }

  /** Events of a test, or of the file, by callsite and message. */
  events(id: string): EventCount[] {
    return [...(this.#buckets.get(id)?.events.values() ?? [])]
  }

  #pathOf(id: number): PathStep[] {
    const steps: PathStep[] = []
    for (let at = this.#paths.get(id); at; at = this.#paths.get(at.parent)) {
      steps.unshift([at.callsite.target, at.callsite.name])
      if (at.parent === 0) break
    }
    return steps
  }

  /** The trace tracks the addon met since the last call, with their names (see `RecordVisitor.track`). */
  takeTracks(): Array<{ track: number; name: string }> {
    const tracks = this.#tracks
    this.#tracks = []
    return tracks
  }

  /** Forgets a test's statistics once they are written. */
  forget(id: string): void {
    this.#buckets.delete(id)
  }

  /** Owner keys with statistics not yet forgotten ('' is the file). */
  owners(): string[] {
    return [...this.#buckets.keys()]
  }

  /** How many of the open spans (counted by anchor, from the addon) belong to test `id`. */
  openOf(id: string, anchors: ReadonlyArray<{ ts: number; caller: number; count: number }>): number {
    let open = 0
    for (const anchor of anchors) if (this.#attribution.ownerOf(anchor.ts, anchor.caller).includes(id)) open += anchor.count
    return open
  }

  /** Ends a file: test windows and caller tags are no longer needed. */
  endFile(): void {
    this.#attribution.clear()
  }

  readonly #visitor: RecordVisitor = {
    spanStats: (_callsite, path, anchorTs, anchorCaller, caused, calls, entered, busy, self, min, max, lifetime) => {
      this.#spans += calls
      const sums: Sums = { calls, entered, totalNs: busy, selfNs: self, minNs: min, maxNs: max, lifetimeNs: lifetime }
      this.#each(this.#attribution.ownerOf(anchorTs, anchorCaller), (bucket, shared) => {
        const key = keyOf(path, shared, !caused)
        const known = bucket.paths.get(key)
        if (known) addSums(known, sums)
        else bucket.paths.set(key, { ...sums })
      })
    },
    path: (path, parent, callsite) => {
      this.#paths.set(path, { parent, callsite })
    },
    eventStats: (callsite, message, anchorTs, anchorCaller, caused, count) => {
      this.#each(this.#attribution.ownerOf(anchorTs, anchorCaller), (bucket, shared) => {
        const text = message ?? callsite.name
        const key = `${shared ? '-' : '+'}${caused ? '' : 't'}${callsite.id}\u0000${text}`
        const known = bucket.events.get(key)
        if (known) known.count += count
        else
          bucket.events.set(key, {
            message: text,
            target: callsite.target,
            level: callsite.level,
            count,
            ...(shared ? { shared: true } : {}),
            ...(caused ? {} : { timed: true }),
          })
      })
    },
    track: (track, name) => {
      this.#tracks.push({ track, name })
    },
    // The collect layer sends its sums and tracks, nothing else.
    newSpan: () => {},
    record: () => {},
    enter: () => {},
    exit: () => {},
    close: () => {},
    event: () => {},
  }

  /** The batch sink handed to the addon (declared after the visitor it feeds). */
  readonly receive = batchSink(this.#reader, this.#visitor)

  /** Runs `f` on the bucket of each test `owner` names (the file's when none), saying whether they share it. */
  #each(owner: Owner, f: (bucket: Bucket, shared: boolean) => void): void {
    const shared = owner.length > 1
    for (const key of owner.length === 0 ? [''] : owner) {
      let bucket = this.#buckets.get(key)
      if (!bucket) this.#buckets.set(key, (bucket = { paths: new Map(), events: new Map() }))
      f(bucket, shared)
    }
  }
}
