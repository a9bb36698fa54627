/**
 * The collector: turns one worker's record batches into per-test span
 * statistics and trace slices. It is the layer the Vitest plugin runs in
 * every worker, fed in batches (never one JavaScript call per span).
 *
 * Attribution: a span belongs to the test whose window (on this worker's
 * JavaScript thread, on the hrtime clock) contains its start, or to its
 * parent's test when it has a parent. Spans outside every window belong to
 * the file. When concurrent tests' windows overlap, a span made by a call
 * whose test is known (a caller tag) is that test's; a span that could be
 * any of theirs is marked shared between them instead of guessed.
 */
import { RecordReader, type CallsiteInfo, type RecordVisitor, type ThreadInfo } from './record.js'
import type { Fields } from './layer.js'
import { toArgs } from './trace/events.js'

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

/**
 * Where slices go: the worker's trace file. Times in hrtime nanoseconds;
 * `argsJson` is the slice's args as a JSON object, made once per span.
 */
export interface SliceSink {
  slice(tid: number, name: string, cat: string, startNs: number, durNs: number, argsJson: string): void
  instant(tid: number, name: string, cat: string, tsNs: number, argsJson: string): void
  thread(tid: number, name: string): void
}

/** The owner of a span: test ids (none: the file; several: shared). */
type Owner = readonly string[]

const FILE: Owner = []

interface OpenSpan {
  readonly callsite: CallsiteInfo
  readonly owner: Owner
  readonly createdAt: number
  readonly createdOn: number
  fields: Fields
  /** Slice args as JSON: the fields and the owner, made once per span. */
  args: string | undefined
  busy: number
  child: number
  /** -1 while not entered. */
  enteredAt: number
  entered: boolean
}

/**
 * Spans that are created and closed without ever being entered (a handle for
 * work done elsewhere, like an AsyncTask's) are shown over their lifetime on
 * a track of their own beside the creating thread, where they cannot break
 * that thread's nesting.
 */
const LIFETIME_TRACK = 0x40000000

interface Window {
  readonly id: string
  readonly start: number
  end: number | undefined
}

export class SpanCollector {
  readonly #reader = new RecordReader()
  readonly #spans = new Map<number, OpenSpan>()
  /** Per thread, the spans currently entered, innermost last. */
  readonly #stacks = new Map<number, number[]>()
  readonly #threads = new Set<number>()
  readonly #windows: Window[] = []
  /** Caller tags (set by JavaScript before calling the addon) to test ids. */
  readonly #callers = new Map<number, string>()
  /** Stats by owner key ('' for the file), then callsite id (negative: shared). */
  readonly #buckets = new Map<string, Map<number, SpanStats>>()
  /** `"test":"<id>"` args fragments by test id. */
  readonly #ownerJson = new Map<string, string>()
  readonly #sink: SliceSink
  #records = 0

  constructor(sink: SliceSink) {
    this.#sink = sink
  }

  /** Records decoded so far. */
  get records(): number {
    return this.#records
  }

  /** Spans started and not yet closed. */
  get open(): number {
    return this.#spans.size
  }

  /** The batch sink handed to the addon. Never throws into the traced code. */
  readonly receive = (batch: Buffer | undefined): void => {
    if (!batch) return
    try {
      this.#reader.read(batch, this.#visitor)
    } catch (error) {
      console.error(`vitest-napi-tracing: could not decode a batch of records: ${String(error)}`)
    }
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

  /** Spans still open that belong to test `id`. */
  openOf(id: string): number {
    let open = 0
    for (const span of this.#spans.values()) if (span.owner.includes(id)) open++
    return open
  }

  /** Names a thread before its records do (the JavaScript thread). */
  nameThread(tid: number, name: string): void {
    if (this.#threads.has(tid)) return
    this.#threads.add(tid)
    this.#sink.thread(tid, name)
  }

  /** Ends a file: test windows are no longer needed for attribution. */
  endFile(): void {
    this.#windows.length = 0
    this.#callers.clear()
  }

  readonly #visitor: RecordVisitor = {
    newSpan: (id, callsite, parent, thread, ts, caller, fields) => {
      this.#records++
      this.#thread(thread)
      const parentSpan = parent ? this.#spans.get(parent) : undefined
      const callerTest = caller !== 0 ? this.#callers.get(caller) : undefined
      // The test whose call made the span knows best; then the parent's; then the time.
      const owner = callerTest !== undefined ? [callerTest] : parentSpan ? parentSpan.owner : this.#ownerAt(ts)
      this.#spans.set(id, {
        callsite,
        owner,
        createdAt: ts,
        createdOn: thread.id,
        fields,
        args: undefined,
        busy: 0,
        child: 0,
        enteredAt: -1,
        entered: false,
      })
    },
    record: (id, _thread, _ts, fields) => {
      this.#records++
      const span = this.#spans.get(id)
      if (!span) return
      span.fields = { ...span.fields, ...this.#reader.nameFields(fields, span.callsite) }
      span.args = undefined
    },
    enter: (id, thread, ts) => {
      this.#records++
      const span = this.#spans.get(id)
      if (!span) return
      this.#thread(thread)
      span.enteredAt = ts
      span.entered = true
      this.#stack(thread.id).push(id)
    },
    exit: (id, thread, ts) => {
      this.#records++
      const span = this.#spans.get(id)
      if (!span || span.enteredAt < 0) return
      const dur = ts - span.enteredAt
      span.busy += dur
      const stack = this.#stack(thread.id)
      if (stack[stack.length - 1] === id) stack.pop()
      else {
        const at = stack.lastIndexOf(id)
        if (at >= 0) stack.splice(at, 1)
      }
      // Time inside an enclosing span on this thread is not that span's own.
      const enclosing = stack.length > 0 ? this.#spans.get(stack[stack.length - 1]!) : undefined
      if (enclosing) enclosing.child += dur
      this.#sink.slice(thread.id, span.callsite.name, span.callsite.target, span.enteredAt, dur, this.#args(span))
      span.enteredAt = -1
    },
    close: (id, _thread, ts) => {
      this.#records++
      const span = this.#spans.get(id)
      if (!span) return
      this.#spans.delete(id)
      if (!span.entered) {
        span.busy = ts - span.createdAt
        const track = LIFETIME_TRACK + span.createdOn
        if (!this.#threads.has(track)) this.nameThread(track, `spans never entered (thread ${span.createdOn})`)
        this.#sink.slice(track, span.callsite.name, span.callsite.target, span.createdAt, span.busy, this.#args(span))
      }
      this.#count(span)
    },
    event: (callsite, _parent, thread, ts, fields) => {
      this.#records++
      this.#thread(thread)
      this.#sink.instant(thread.id, callsite.name, callsite.target, ts, JSON.stringify(toArgs({ level: callsite.level, ...fields })))
    },
  }

  #args(span: OpenSpan): string {
    if (span.args !== undefined) return span.args
    const owner = this.#ownerPart(span.owner)
    let fields = '{}'
    for (const _ in span.fields) {
      fields = JSON.stringify(toArgs(span.fields))
      break
    }
    span.args = owner === '' ? fields : fields === '{}' ? `{${owner}}` : `${fields.slice(0, -1)},${owner}}`
    return span.args
  }

  /** The owner as args JSON members, without braces ('' for the file). */
  #ownerPart(owner: Owner): string {
    if (owner.length === 0) return ''
    if (owner.length > 1) return `"sharedBy":${JSON.stringify(owner)}`
    const id = owner[0]!
    let part = this.#ownerJson.get(id)
    if (part === undefined) this.#ownerJson.set(id, (part = `"test":${JSON.stringify(id)}`))
    return part
  }

  #count(span: OpenSpan): void {
    const shared = span.owner.length > 1
    const owners = span.owner.length === 0 ? [''] : span.owner
    const busy = span.busy
    const self = span.busy - span.child
    for (const owner of owners) {
      let bucket = this.#buckets.get(owner)
      if (!bucket) this.#buckets.set(owner, (bucket = new Map()))
      const key = shared ? -span.callsite.id : span.callsite.id
      const stats = bucket.get(key)
      if (stats) {
        stats.calls++
        stats.totalNs += busy
        stats.selfNs += self
        stats.minNs = Math.min(stats.minNs, busy)
        stats.maxNs = Math.max(stats.maxNs, busy)
      } else {
        bucket.set(key, {
          name: span.callsite.name,
          target: span.callsite.target,
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

  #stack(tid: number): number[] {
    let stack = this.#stacks.get(tid)
    if (!stack) this.#stacks.set(tid, (stack = []))
    return stack
  }

  #thread(thread: ThreadInfo): void {
    if (!this.#threads.has(thread.id)) this.nameThread(thread.id, thread.name)
  }
}
