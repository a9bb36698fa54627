/**
 * The modes compared: one way each of tracing the same workload. Every mode
 * measures the workload itself plus whatever it takes until its output is
 * complete (delivered to JavaScript, written to its file); starting and
 * closing a session are outside the measurement.
 */
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { collectLayer, CollectSession } from '../plugin/worker/collect-layer.js'
import { SpanCollector } from '../plugin/worker/collector.js'
import { callbackLayer, fmtLayer, type LayerSpec } from '../src/config.js'
import { asTracingAddon } from '../src/native.js'
import { Tracing } from '../src/tracing.js'
import { WorkerFiles } from '../plugin/data/worker-file.js'

export type Shape = 'flat' | 'nested' | 'fields' | 'events'

/** What the bench addon exports (test-fixtures/addons/bench/index.d.ts). */
export interface BenchAddon {
  makeSpans(n: number, shape: string, threads: number): void
  chromeAlone(path: string, n: number, shape: string, threads: number): number
  floor(n: number, shape: string, threads: number, withFilter: boolean): number
  wrapped(n: number, shape: string, threads: number, filter: string): number
  napiTracingOpenSpans(): Array<{ ts: number; caller: number; count: number }>
}

export interface Workload {
  readonly shape: Shape
  /** 0: the JavaScript thread; else that many background threads. */
  readonly threads: number
  /** Spans per thread. */
  readonly n: number
}

export interface Sample {
  /** Nanoseconds for the whole workload. */
  readonly ns: number
  /** Nanoseconds per named phase, when the mode has phases. */
  readonly phases: Readonly<Record<string, number>>
  /** Records delivered to JavaScript (modes with a session that delivers). */
  readonly delivered?: number
  /** Spans the mode's JavaScript side counted (the collector's sums). */
  readonly summed?: number
  readonly dropped: number
}

export interface Mode {
  readonly name: string
  /** Diagnostic modes take the plugin path apart; they are not a target. */
  readonly diagnostic: boolean
  /** Records the mode's session must deliver to JavaScript for `spans` spans and `events` events. */
  readonly records?: (spans: number, events: number) => number
  run(w: Workload): Sample
}

/** callbackLayer: new, enter, exit, close per span, one per event. */
const CALLBACK_RECORDS = (spans: number, events: number): number => 4 * spans + events

/** Room for the callback mode's records from 4 threads while the JavaScript thread waits in join(): none dropped. */
export const QUEUE_CAPACITY = 64 << 20

/**
 * napi-tracing's own subscriber as the addon's global default: the bench addon wraps a
 * subscriber (`wrapped`), which 'auto' would take as a sign to trace the JavaScript thread alone.
 */
const GLOBAL = 'global' as const

const now = (): bigint => process.hrtime.bigint()
const since = (t: bigint): number => Number(process.hrtime.bigint() - t)

const noop = (): void => {}

export function makeModes(addon: BenchAddon, tmp: string): Mode[] {
  /** A session with `layers`, the workload, a flush; `before` runs just outside the measurement. */
  const session = (layers: LayerSpec[], w: Workload, before: () => void = () => {}): Sample => {
    const tracing = Tracing.start(addon, { filter: 'trace', layers, queueCapacity: QUEUE_CAPACITY, subscriber: GLOBAL })
    const delivers = layers.some((l) => l.kind === 'callback')
    try {
      before()
      const t0 = now()
      addon.makeSpans(w.n, w.shape, w.threads)
      const spans = since(t0)
      tracing.flush()
      const total = since(t0)
      const stats = tracing.stats()
      return {
        ns: total,
        phases: { spans, drain: total - spans },
        ...(delivers ? { delivered: stats.delivered } : {}),
        dropped: stats.dropped,
      }
    } finally {
      tracing.close()
    }
  }

  const api = asTracingAddon(addon)
  const collect = (trace: string, filter: string, paths: boolean): CollectSession =>
    CollectSession.start(api, collectLayer({ trace, pid: process.pid, paths, threadName: 'JavaScript (main)' }), {
      filter,
      queueCapacity: QUEUE_CAPACITY,
      subscriber: GLOBAL,
    })

  /**
   * The plugin's worker path (plugin/worker/): the collect layer, so the
   * addon times the spans and streams the trace file itself, and a
   * SpanCollector attributing and summing them in JavaScript; the test's
   * window is opened before and closed after, its slice and statistics line
   * written at the end.
   */
  const plugin = (w: Workload, paths = true, filter = 'trace', work = (w: Workload): void => addon.makeSpans(w.n, w.shape, w.threads)): Sample => {
    const dir = join(tmp, 'plugin')
    const files = new WorkerFiles(dir, `${process.pid}-0`, process.pid)
    files.process('bench worker')
    const session = collect(files.nativeTrace(0), filter, paths)
    const collector = new SpanCollector((path) => session.reader.steps(path))
    /** Flushes the session into the collector; its new epoch. */
    const flush = (wait: boolean): number => {
      const { epoch, sums } = session.flush(wait)
      collector.add(sums)
      return epoch
    }
    try {
      const jsTid = session.stats().threadId
      flush(true)
      const start = flush(false)
      collector.beginTest('bench', start)
      const t0 = now()
      work(w)
      const spans = since(t0)
      flush(true)
      const drain = since(t0) - spans
      const end = flush(false)
      collector.endTest('bench', end)
      const made = collector.made('bench')
      collector.forget('bench')
      const open = collector.openOf('bench', session.openSpans())
      files.slice(jsTid, 'bench', 'test', start, end - start, { test: 'bench' })
      files.stats({ kind: 'test', id: 'bench', file: 'bench', name: 'bench', state: 'passed', open, ...made })
      files.flush()
      const total = since(t0)
      const s = session.stats()
      return { ns: total, phases: { spans, drain, finish: total - spans - drain }, summed: collector.spans, dropped: s.dropped }
    } finally {
      session.close()
      files.close()
      for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true })
    }
  }

  /** The collect layer with no JavaScript side: its sums, returned by the flush, left unread. */
  const collectAlone = (w: Workload): Sample => {
    const session = collect(join(tmp, 'collect.jsonl'), 'trace', true)
    try {
      const t0 = now()
      addon.makeSpans(w.n, w.shape, w.threads)
      const spans = since(t0)
      api.napiTracingFlush(true)
      const total = since(t0)
      return { ns: total, phases: { spans, drain: total - spans }, dropped: session.stats().dropped }
    } finally {
      session.close()
    }
  }

  const modes: Mode[] = [
    {
      name: 'none',
      diagnostic: false,
      run(w) {
        const t0 = now()
        addon.makeSpans(w.n, w.shape, w.threads)
        const t = since(t0)
        return { ns: t, phases: { spans: t }, dropped: 0 }
      },
    },
    {
      name: 'chrome-alone',
      diagnostic: false,
      run(w) {
        const t = addon.chromeAlone(join(tmp, 'chrome.json'), w.n, w.shape, w.threads)
        return { ns: t, phases: {}, dropped: 0 }
      },
    },
    {
      // tracing-subscriber's Registry with a layer that does nothing: the floor of any subscriber.
      name: 'floor',
      diagnostic: false,
      run(w) {
        const t = addon.floor(w.n, w.shape, w.threads, false)
        return { ns: t, phases: {}, dropped: 0 }
      },
    },
    {
      // The floor with EnvFilter('trace') on top, as every napi-tracing session has.
      name: 'floor+filter',
      diagnostic: false,
      run(w) {
        const t = addon.floor(w.n, w.shape, w.threads, true)
        return { ns: t, phases: {}, dropped: 0 }
      },
    },
    {
      name: 'callback',
      diagnostic: false,
      records: CALLBACK_RECORDS,
      run: (w) =>
        session(
          [callbackLayer({ onNewSpan: noop, onEnter: noop, onExit: noop, onClose: noop, onEvent: noop })],
          w,
        ),
    },
    { name: 'plugin', diagnostic: false, run: plugin },
    {
      name: 'fmt-file',
      diagnostic: false,
      run: (w) => session([fmtLayer({ writer: { file: join(tmp, 'fmt.json') }, format: 'json' })], w),
    },
    {
      // floor+filter wrapped by napi_tracing::wrap() (an addon's own subscriber, its global filter
      // letting every span through), no session open: what the wrapper costs outside a traced run.
      name: 'wrap:quiet',
      diagnostic: false,
      run(w) {
        const t = addon.wrapped(w.n, w.shape, w.threads, 'trace')
        return { ns: t, phases: {}, dropped: 0 }
      },
    },
    {
      // The plugin path through that wrapped subscriber: each span in the addon's Registry and in
      // napi-tracing's records beside it.
      name: 'wrap:plugin',
      diagnostic: false,
      run: (w) => plugin(w, true, 'trace', (w) => void addon.wrapped(w.n, w.shape, w.threads, 'trace')),
    },
    {
      // The plugin path through a wrapped subscriber whose global filter keeps warnings only: the
      // spans are napi-tracing's alone (the case the wrapper exists for), against plugin.
      name: 'wrap:warn',
      diagnostic: false,
      run: (w) => plugin(w, true, 'trace', (w) => void addon.wrapped(w.n, w.shape, w.threads, 'warn')),
    },
    {
      // The plugin path summing by span name alone (collectLayer({ paths: false })): what call
      // paths (the call tree) cost, against `plugin`.
      name: 'plugin:flat',
      diagnostic: true,
      run: (w) => plugin(w, false),
    },
    {
      // The plugin path on tracing-subscriber's Registry (where a filter that follows spans, or
      // an fmt or OTLP layer beside it, puts a session): each span in the Registry as well as in
      // napi-tracing's own slab, against `plugin` on napi-tracing's own subscriber alone.
      name: 'plugin:registry',
      diagnostic: true,
      run: (w) => plugin(w, true, 'trace,bench_never[never_entered{x=1}]=trace'),
    },
    {
      // The plugin path without its JavaScript side: dispatch, timing, trace lines and sums in the
      // addon, the sums returned by the flush and left unread.
      name: 'plugin:native',
      diagnostic: true,
      run: collectAlone,
    },
  ]
  return modes
}
