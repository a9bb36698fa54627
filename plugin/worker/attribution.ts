/**
 * Which test owns a span, from what the addon tells at each flush: the
 * span's anchor (the epoch it was made in, or its parent's, and the caller
 * tag of the JavaScript call that made it; see
 * `native/napi-tracing/src/layers/collect/`). Pure: no I/O, no clock.
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
}

export class Attribution {
  readonly #windows: Window[] = []
  /** Caller tags (set by JavaScript before calling the addon) to test ids. */
  readonly #callers = new Map<number, string>()

  /** Opens test `id`'s window at `start` (hrtime ns); its calls carry `caller` (0: none). */
  open(id: string, start: number, caller = 0): void {
    this.#windows.push({ id, start, end: undefined })
    if (caller !== 0) this.#callers.set(caller, id)
  }

  /** Closes test `id`'s open window at `end` (hrtime ns, inclusive). */
  close(id: string, end: number): void {
    const window = this.#windows.find((w) => w.id === id && w.end === undefined)
    if (window) window.end = end
  }

  /** The owner of spans anchored at `ts` (hrtime ns) by the call tagged `caller`. */
  ownerOf(ts: number, caller: number): Owner {
    const callerTest = caller !== 0 ? this.#callers.get(caller) : undefined
    if (callerTest !== undefined) return [callerTest]
    let found: string[] | undefined
    for (const w of this.#windows) {
      if (ts >= w.start && (w.end === undefined || ts <= w.end)) (found ??= []).push(w.id)
    }
    return found ?? FILE
  }

  /** Forgets every window and tag: the file ended. */
  clear(): void {
    this.#windows.length = 0
    this.#callers.clear()
  }
}
