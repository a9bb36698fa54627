/**
 * The collector: the TypeScript side of the collect layer, which the Vitest
 * plugin runs in every worker. The addon times each span and streams the
 * trace to disk itself (`native/napi-tracing/src/layers/collect.rs`); here,
 * fed in batches (never one JavaScript call per span), each span is
 * attributed to a test and summed into per-test statistics.
 *
 * Attribution is by the span's anchor (`layers/collect.rs`): the span itself
 * when it started on the JavaScript thread, else the ancestor that did
 * (work fanned out to threads belongs to the test that started it), else
 * itself. An anchor whose call's test is known (a caller tag, see
 * `plugin/callers.ts`) is that test's; otherwise the test whose window (on
 * this worker's JavaScript thread, on the hrtime clock) contains its time.
 * Anchors outside every window belong to the file. When concurrent tests'
 * windows overlap, a span that could be any of theirs is marked shared
 * between them instead of guessed.
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
  #records = 0

  /** Records decoded so far. */
  get records(): number {
    return this.#records
  }

  /** Opens a test's window (hrtime); `caller` is the tag its calls into the addon carry, if any. */
  beginTest(id: string, start: bigint, caller = 0): void {
    this.#windows.push({ id, start: Number(start), end: undefined })
    if (caller !== 0) this.#callers.set(caller, id)
  }

  /** Closes a test's window and returns its statistics so far. */
  endTest(id: string, end: bigint): SpanStats[] {
    const window = this.#windows.find((w) => w.id === id && w.end === undefined)
    if (window) window.end = Number(end)
    return this.stats(id)
  }

  /** Statistics of a test, or of the file (`''`), sorted by total time. */
  stats(id: string): SpanStats[] {
    return [...(this.#buckets.get(id)?.values() ?? [])].sort((a, b) => b.totalNs - a.totalNs)
  }

  /** Forgets a test's statistics once they are written. */
  forget(id: string): void {
    this.#buckets.delete(id)
  }

  /** Owner keys with statistics not yet forgotten ('' is the file). */
  owners(): string[] {
    return [...this.#buckets.keys()]
  }

  /** How many of the open spans (their anchors, from the addon) belong to test `id`. */
  openOf(id: string, anchors: ReadonlyArray<{ ts: number; caller: number }>): number {
    let open = 0
    for (const anchor of anchors) if (this.#owner(anchor.ts, anchor.caller).includes(id)) open++
    return open
  }

  /** Ends a file: test windows and caller tags are no longer needed. */
  endFile(): void {
    this.#windows.length = 0
    this.#callers.clear()
  }

  readonly #visitor: RecordVisitor = {
    spanDone: (callsite, _thread, _ts, anchorTs, anchorCaller, busy, child) => {
      this.#records++
      this.#count(callsite, this.#owner(anchorTs, anchorCaller), busy, busy - child)
    },
    // The collect layer sends one record per finished span, nothing else.
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


  #count(callsite: CallsiteInfo, owner: Owner, busy: number, self: number): void {
    const shared = owner.length > 1
    const owners = owner.length === 0 ? [''] : owner
    for (const owner of owners) {
      let bucket = this.#buckets.get(owner)
      if (!bucket) this.#buckets.set(owner, (bucket = new Map()))
      const key = shared ? -callsite.id : callsite.id
      const stats = bucket.get(key)
      if (stats) {
        stats.calls++
        stats.totalNs += busy
        stats.selfNs += self
        if (busy < stats.minNs) stats.minNs = busy
        if (busy > stats.maxNs) stats.maxNs = busy
      } else {
        bucket.set(key, {
          name: callsite.name,
          target: callsite.target,
          calls: 1,
          totalNs: busy,
          selfNs: self,
          minNs: busy,
          maxNs: busy,
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
