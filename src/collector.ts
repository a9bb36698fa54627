/**
 * The collector: the TypeScript side of the collect layer, which the Vitest
 * plugin runs in every worker. The addon times each span, streams the trace
 * to disk and sums the spans by callsite and anchor itself
 * (`native/napi-tracing/src/layers/collect/`); here, at each flush, those
 * sums are attributed to tests and added into per-test statistics. No
 * JavaScript runs per span.
 *
 * Attribution is by anchor: for spans made on the JavaScript thread, the
 * epoch they were made in (the time of the flush before them) and the caller
 * tag of the call that made them; spans on other threads take their parent's
 * (work fanned out to threads belongs to the test that started it), else the
 * epoch. An anchor whose call's test is known (a caller tag, see
 * `plugin/callers.ts`) is that test's; otherwise the test whose window (on
 * this worker's JavaScript thread, on the hrtime clock) contains its time.
 * beginTest and endTest flush, and windows begin and end with the epochs
 * those flushes start, so no epoch straddles a window's edge. Anchors
 * outside every window belong to the file. When concurrent tests' windows
 * overlap, spans that could be any of theirs are marked shared between them
 * instead of guessed.
 */
import { batchSink, RecordReader, type CallsiteInfo, type RecordVisitor } from './record.js'

/** Statistics of one span name within one test (or file), in nanoseconds. */
export interface SpanStats {
  name: string
  target: string
  calls: number
  totalNs: number
  selfNs: number
  minNs: number
  maxNs: number
  /** Set when the spans may belong to any of several concurrent tests. */
  shared?: boolean
}

/** The owner of a span: test ids (none: the file; several: shared). */
type Owner = readonly string[]

const FILE: Owner = []

interface Window {
  readonly id: string
  readonly start: number
  end: number | undefined
}

export class SpanCollector {
  readonly #reader = new RecordReader()
  readonly #windows: Window[] = []
  /** Caller tags (set by JavaScript before calling the addon) to test ids. */
  readonly #callers = new Map<number, string>()
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
    this.#windows.push({ id, start: epoch || Number(start), end: undefined })
    if (caller !== 0) this.#callers.set(caller, id)
  }

  /** Closes a test's window (hrtime, taken before this call) and returns its statistics so far. */
  endTest(id: string, end: bigint): SpanStats[] {
    const epoch = this.#flush()
    const window = this.#windows.find((w) => w.id === id && w.end === undefined)
    // Spans of the epoch that begins now are made after the test.
    if (window) window.end = epoch ? epoch - 1 : Number(end)
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
    for (const anchor of anchors) if (this.#owner(anchor.ts, anchor.caller).includes(id)) open += anchor.count
    return open
  }

  /** Ends a file: test windows and caller tags are no longer needed. */
  endFile(): void {
    this.#windows.length = 0
    this.#callers.clear()
  }

  readonly #visitor: RecordVisitor = {
    spanStats: (callsite, anchorTs, anchorCaller, calls, busy, self, min, max) => {
      this.#spans += calls
      this.#add(callsite, this.#owner(anchorTs, anchorCaller), { calls, totalNs: busy, selfNs: self, minNs: min, maxNs: max })
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

  /** The test whose call made the anchor knows best; then the time. */
  #owner(ts: number, caller: number): Owner {
    const callerTest = caller !== 0 ? this.#callers.get(caller) : undefined
    return callerTest !== undefined ? [callerTest] : this.#ownerAt(ts)
  }

  /** The batch sink handed to the addon (declared after the visitor it feeds). */
  readonly receive = batchSink(this.#reader, this.#visitor)


  #add(callsite: CallsiteInfo, owner: Owner, sums: Pick<SpanStats, 'calls' | 'totalNs' | 'selfNs' | 'minNs' | 'maxNs'>): void {
    const shared = owner.length > 1
    const owners = owner.length === 0 ? [''] : owner
    for (const owner of owners) {
      let bucket = this.#buckets.get(owner)
      if (!bucket) this.#buckets.set(owner, (bucket = new Map()))
      const key = shared ? -callsite.id : callsite.id
      const stats = bucket.get(key)
      if (stats) {
        stats.calls += sums.calls
        stats.totalNs += sums.totalNs
        stats.selfNs += sums.selfNs
        if (sums.minNs < stats.minNs) stats.minNs = sums.minNs
        if (sums.maxNs > stats.maxNs) stats.maxNs = sums.maxNs
      } else {
        bucket.set(key, {
          name: callsite.name,
          target: callsite.target,
          ...sums,
          ...(shared ? { shared: true } : {}),
        })
      }
    }
  }

  /** The tests whose windows contain `ts`. */
  #ownerAt(ts: number): Owner {
    let found: string[] | undefined
    for (const w of this.#windows) {
      if (ts >= w.start && (w.end === undefined || ts <= w.end)) (found ??= []).push(w.id)
    }
    return found ?? FILE
  }
}
