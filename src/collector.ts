/**
 * The collector: the TypeScript side of the collect layer, which the Vitest
 * plugin runs in every worker. The addon times each span, streams the trace
 * to disk and sums the spans by callsite and anchor itself
 * (`native/napi-tracing/src/layers/collect/`); here, at each flush, those
 * sums are attributed to tests and added into per-test statistics. No
 * JavaScript runs per span.
 *
 * Which test owns the sums is `attribution.ts`'s to say; beginTest and
 * endTest flush, and windows begin and end with the epochs those flushes
 * start, so no epoch straddles a window's edge.
 */
import { Attribution, type Owner } from './attribution.js'
import { batchSink, RecordReader, type CallsiteInfo, type RecordVisitor } from './record.js'
import { addSums, type SpanStats, type Sums } from './stats.js'

export type { SpanStats } from './stats.js'

export class SpanCollector {
  readonly #reader = new RecordReader()
  readonly #attribution = new Attribution()
  /** Stats by owner key ('' for the file), then callsite id (negative: shared). */
  readonly #buckets = new Map<string, Map<number, SpanStats>>()
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

  /**
   * Opens a test's window (hrtime, taken before this call); `caller` is the
   * tag its calls into the addon carry, if any. Flushes: the window starts
   * with the addon's new epoch, so spans made before are summed apart from
   * the test's, on the addon's own clock.
   */
  beginTest(id: string, start: bigint, caller = 0): void {
    const epoch = this.#flush()
    this.#attribution.open(id, epoch || Number(start), caller)
  }

  /** Closes a test's window (hrtime, taken before this call) and returns its statistics so far. */
  endTest(id: string, end: bigint): SpanStats[] {
    const epoch = this.#flush()
    // Spans of the epoch that begins now are made after the test.
    this.#attribution.close(id, epoch ? epoch - 1 : Number(end))
    return this.stats(id)
  }

  /** Statistics of a test, or of the file (`''`), sorted by total time. */
  stats(id: string): SpanStats[] {
    return [...(this.#buckets.get(id)?.values() ?? [])].sort((a, b) => b.totalNs - a.totalNs)
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
    spanStats: (callsite, anchorTs, anchorCaller, calls, busy, self, min, max) => {
      this.#spans += calls
      this.#add(callsite, this.#attribution.ownerOf(anchorTs, anchorCaller), { calls, totalNs: busy, selfNs: self, minNs: min, maxNs: max })
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

  #add(callsite: CallsiteInfo, owner: Owner, sums: Sums): void {
    const shared = owner.length > 1
    for (const key of owner.length === 0 ? [''] : owner) {
      let bucket = this.#buckets.get(key)
      if (!bucket) this.#buckets.set(key, (bucket = new Map()))
      const id = shared ? -callsite.id : callsite.id
      const stats = bucket.get(id)
      if (stats) addSums(stats, sums)
      else bucket.set(id, { name: callsite.name, target: callsite.target, ...sums, ...(shared ? { shared: true } : {}) })
    }
  }
}
