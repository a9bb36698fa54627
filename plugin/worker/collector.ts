/**
 * The collector: where the collect layer's sums (`collect-layer.ts`) are
 * attributed to tests and added into per-test statistics, flush by flush.
 *
 * Which test owns the sums is `attribution.ts`'s to say; windows begin and
 * end with the epochs of the flushes at a test's start and end, on the
 * addon's monotonic clock (which fake timers cannot reach), so no epoch
 * straddles a window's edge.
 */
import { Attribution, type Owner } from './attribution.js'
import { addFigures, type EventCount, type PathStats, type PathStep, type SpanFigures } from '../data/stats.js'
import type { Made } from '../data/worker-file.js'
import type { FlushedSums } from './sums.js'
import { joinKey } from '../data/keys.js'

/** What one test (or the file) has: its span sums by path and placement (see `keyOf`) and its event counts. */
interface Bucket {
  paths: Map<number, SpanFigures>
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
  readonly #attribution = new Attribution()
  /** By owner key ('' for the file). */
  readonly #buckets = new Map<string, Bucket>()
  /** The steps of a path id, from the addon's descriptions. */
  readonly #steps: (path: number) => PathStep[]
  #spans = 0

  /** `steps` gives a path's steps, from the session's sums reader. */
  constructor(steps: (path: number) => PathStep[]) {
    this.#steps = steps
  }

  /** Spans summed so far. */
  get spans(): number {
    return this.#spans
  }

  /**
   * Opens a test's window at `epoch` (hrtime ns, on the addon's clock: the
   * epoch of the flush made as it begins, so that spans made before are
   * summed apart from the test's); `caller` is the tag its calls into the
   * addon carry, if any. A closed session's epoch, 0, opens nothing.
   */
  beginTest(id: string, epoch: number, caller = 0): void {
    if (epoch) this.#attribution.open(id, epoch, caller)
  }

  /** Closes a test's window at `epoch`, the epoch of the flush made as it ends (0: nothing to close). */
  endTest(id: string, epoch: number): void {
    // Spans of the epoch that begins now are made after the test.
    if (epoch) this.#attribution.close(id, epoch - 1)
  }

  /** Statistics of a test, or of the file, by span path (each path from its root). */
  tree(id: string): PathStats[] {
    return [...(this.#buckets.get(id)?.paths ?? [])].map(([key, sums]) => {
      const { path, ...placement } = placementOf(key)
      return { path: this.#steps(path), ...sums, ...placement }
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

  /** Adds one flush's sums to the tests (or the file) that own them. */
  add(sums: FlushedSums): void {
    for (const { path, anchor, figures } of sums.spans) {
      this.#spans += figures.calls
      this.#each(this.#attribution.ownerOf(anchor.ts, anchor.caller), (bucket, shared) => {
        const key = keyOf(path, shared, !anchor.caused)
        const known = bucket.paths.get(key)
        if (known) addFigures(known, figures)
        else bucket.paths.set(key, { ...figures })
      })
    }
    for (const { callsite, message, anchor, count } of sums.events) {
      this.#each(this.#attribution.ownerOf(anchor.ts, anchor.caller), (bucket, shared) => {
        const text = message ?? callsite.name
        const key = joinKey(`${shared ? '-' : '+'}${anchor.caused ? '' : 't'}`, callsite.id, text)
        const known = bucket.events.get(key)
        if (known) known.count += count
        else
          bucket.events.set(key, {
            message: text,
            target: callsite.target,
            level: callsite.level,
            count,
            ...(shared ? { shared: true } : {}),
            ...(anchor.caused ? {} : { timed: true }),
          })
      })
    }
  }

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
