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
import { addSums, type EventCount, type PathStats, type PathStep, type SpanStats, type Sums } from './stats.js'
import type { Made } from './trace/worker-file.js'

export type { SpanStats } from './stats.js'

/** What one test (or the file) has: its span sums by path (negative: shared) and its event counts. */
interface Bucket {
  paths: Map<number, Sums>
  events: Map<string, EventCount>
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

  /** Statistics of a test, or of the file (`''`), by span name, sorted by total time. */
  stats(id: string): SpanStats[] {
    const byName = new Map<number, SpanStats>()
    for (const [key, sums] of this.#buckets.get(id)?.paths ?? []) {
      const callsite = this.#paths.get(Math.abs(key))!.callsite
      const nameKey = key < 0 ? -callsite.id : callsite.id
      const stats = byName.get(nameKey)
      if (stats) addSums(stats, sums)
      else byName.set(nameKey, { name: callsite.name, target: callsite.target, ...sums, ...(key < 0 ? { shared: true } : {}) })
    }
    return [...byName.values()].sort((a, b) => b.totalNs - a.totalNs)
  }

  /** Statistics of a test, or of the file, by span path (each path from its root). */
  tree(id: string): PathStats[] {
    return [...(this.#buckets.get(id)?.paths ?? [])].map(([key, sums]) => ({
      path: this.#pathOf(Math.abs(key)),
      ...sums,
      ...(key < 0 ? { shared: true } : {}),
    }))
  }

  /** Everything test `id` (or the file, `''`) made so far: spans by name and path, events. */
  made(id: string): Made {
    return { spans: this.stats(id), tree: this.tree(id), events: this.events(id) }
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
    spanStats: (_callsite, path, anchorTs, anchorCaller, calls, busy, self, min, max) => {
      this.#spans += calls
      const sums = { calls, totalNs: busy, selfNs: self, minNs: min, maxNs: max }
      this.#each(this.#attribution.ownerOf(anchorTs, anchorCaller), (bucket, shared) => {
        const key = shared ? -path : path
        const known = bucket.paths.get(key)
        if (known) addSums(known, sums)
        else bucket.paths.set(key, { ...sums })
      })
    },
    path: (path, parent, callsite) => {
      this.#paths.set(path, { parent, callsite })
    },
    eventStats: (callsite, message, anchorTs, anchorCaller, count) => {
      this.#each(this.#attribution.ownerOf(anchorTs, anchorCaller), (bucket, shared) => {
        const text = message ?? callsite.name
        const key = `${shared ? '-' : '+'}${callsite.id}\u0000${text}`
        const known = bucket.events.get(key)
        if (known) known.count += count
        else bucket.events.set(key, { message: text, target: callsite.target, level: callsite.level, count, ...(shared ? { shared: true } : {}) })
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
