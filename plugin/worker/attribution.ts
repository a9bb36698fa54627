/**
 * Which test owns a span, from what the addon tells at each flush: the
 * span's anchor (the epoch it was made in, or its parent's, and the caller
 * tag of the JavaScript call that made it; see
 * `native/napi-tracing/src/collect/`). Pure: no I/O, no clock.
 *
 * A caller tag known to belong to a test decides. Otherwise time does: the
 * tests whose windows (on the worker's JavaScript thread, on the hrtime
 * clock) contain the anchor's time. None: the file (module load, hooks).
 * Several (concurrent tests): shared by them, never given to one of them.
 */

/** The owner of a span: test ids (none: the file; several: shared). */
export type Owner = readonly string[]

const FILE: Owner = []

interface Window {
  readonly id: string
  readonly start: number
  end: number | undefined
  /** Its place in `#windows`. */
  readonly index: number
}

/**
 * A file's windows, in the order they opened (their starts never decrease:
 * each is a flush's epoch). A file of thousands of tests asks for an owner
 * at each span sum, so neither `close` nor `ownerOf` walks every window: the
 * open ones are few, and a closed window holding `ts` starts at most the
 * longest closed window's duration before it.
 */
export class Attribution {
  readonly #windows: Window[] = []
  readonly #open = new Map<string, Window>()
  /** The longest closed window (ns). */
  #longest = 0
  /** Whether the starts are in order (a clock that went back would break it: then every window is looked at). */
  #ordered = true
  /** Caller tags (set by JavaScript before calling the addon) to test ids. */
  readonly #callers = new Map<number, string>()

  /** Opens test `id`'s window at `start` (hrtime ns); its calls carry `caller` (0: none). */
  open(id: string, start: number, caller = 0): void {
    const last = this.#windows.at(-1)
    if (last && start < last.start) this.#ordered = false
    const window = { id, start, end: undefined, index: this.#windows.length }
    this.#windows.push(window)
    if (!this.#open.has(id)) this.#open.set(id, window)
    if (caller !== 0) this.#callers.set(caller, id)
  }

  /** Closes test `id`'s open window at `end` (hrtime ns, inclusive). */
  close(id: string, end: number): void {
    const window = this.#open.get(id)
    if (!window) return
    window.end = end
    this.#open.delete(id)
    this.#longest = Math.max(this.#longest, end - window.start)
  }

  /** The owner of spans anchored at `ts` (hrtime ns) by the call tagged `caller`. */
  ownerOf(ts: number, caller: number): Owner {
    const callerTest = caller !== 0 ? this.#callers.get(caller) : undefined
    if (callerTest !== undefined) return [callerTest]
    const found: Window[] = []
    for (const w of this.#open.values()) if (ts >= w.start) found.push(w)
    const closed = (w: Window) => w.end !== undefined && ts >= w.start && ts <= w.end
    if (this.#ordered) {
      for (let i = this.#lastStartingBy(ts); i >= 0 && this.#windows[i]!.start >= ts - this.#longest; i--) {
        if (closed(this.#windows[i]!)) found.push(this.#windows[i]!)
      }
    } else {
      for (const w of this.#windows) if (closed(w)) found.push(w)
    }
    if (found.length === 0) return FILE
    return found.sort((a, b) => a.index - b.index).map((w) => w.id)
  }

  /** The index of the last window that started at or before `ts`, -1 if none did. */
  #lastStartingBy(ts: number): number {
    let lo = 0
    let hi = this.#windows.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#windows[mid]!.start <= ts) lo = mid + 1
      else hi = mid
    }
    return lo - 1
  }

  /** Forgets every window and tag: the file ended. */
  clear(): void {
    this.#windows.length = 0
    this.#open.clear()
    this.#longest = 0
    this.#ordered = true
    this.#callers.clear()
  }
}
