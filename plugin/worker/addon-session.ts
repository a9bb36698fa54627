/**
 * One traced addon in one worker: its collect session (the addon streams
 * its trace file and returns its sums at each flush), the collector that
 * attributes those sums to tests, and what this worker has already
 * reported of it. The worker (`tracer.ts`) holds one per addon in the
 * config.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { asTracingAddon, type NativeStats, type TracingAddon } from '../../src/native.js'
import type { SubscriberMode } from '../../src/tracing.js'
import type { WorkerFiles } from '../data/worker-file.js'
import { tagCalls } from './callers.js'
import { collectLayer, CollectSession } from './collect-layer.js'
import { SpanCollector } from './collector.js'

export interface SessionOptions {
  filter: string
  queueCapacity: number | undefined
  subscriber: SubscriberMode | undefined
  /** The worker's JavaScript thread's name in the trace. */
  threadName: string
}

/** An addon's module as loaded, and its entry points. */
export interface LoadedAddon {
  label: string
  module: Record<string, unknown>
  api: TracingAddon
}

/**
 * Loads the addon at `path` (its loader: required when CommonJS, imported
 * when an ES module, as `napi build --esm` writes it, which Node before
 * 20.19 cannot require) and checks its entry points. Throws what went
 * wrong, in words for the config's `addons`.
 */
export async function loadAddon(label: string, path: string): Promise<LoadedAddon> {
  const loaded = isEsModule(path) ? ((await import(pathToFileURL(path).href)) as Record<string, unknown>) : (createRequire(path)(path) as Record<string, unknown>)
  const module = bindingOf(loaded)
  return { label, module, api: asTracingAddon(module, 'it', 'napiTracing({ addons })') }
}

/** Whether Node loads the file at `path` as an ES module: `.mjs`, or `.js` in a package of `"type": "module"`. */
export function isEsModule(path: string): boolean {
  if (/\.m[jt]s$/.test(path)) return true
  if (!/\.[jt]s$/.test(path)) return false
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type === 'module'
      } catch {
        return false
      }
    }
    if (dirname(dir) === dir) return false
  }
}

/**
 * The addon's own exports object (what its `.node` binary exported): an ES
 * module loader's exports are read-only bindings to its functions, copied
 * out of that object when it ran, so calls are tagged by wrapping the
 * object itself, which Node keeps in its require cache for every loader of
 * the binary (the test's own import of the loader, evaluated after this,
 * reads the wrapped functions). A CommonJS loader's exports are that object.
 */
function bindingOf(loaded: Record<string, unknown>): Record<string, unknown> {
  if (Object.prototype.toString.call(loaded) !== '[object Module]') return loaded
  const start = loaded['napiTracingStart'] ?? (loaded['default'] as Record<string, unknown> | undefined)?.['napiTracingStart']
  if (start !== undefined) {
    for (const cached of Object.values(createRequire(import.meta.url).cache)) {
      const exports = cached?.exports as Record<string, unknown> | undefined
      if (exports && typeof exports === 'object' && exports['napiTracingStart'] === start) return exports
    }
  }
  // Not found (a loader that copies the binary's exports): its entry points still work; calls are placed by time.
  return { ...loaded }
}

export class AddonSession {
  readonly label: string
  readonly api: TracingAddon
  /** Its position in the config: names its trace file. */
  readonly #index: number
  readonly #options: SessionOptions
  #session: CollectSession
  #collector: SpanCollector
  /** Records lost so far that this worker has written down. */
  #reportedDrops = 0
  /** Notes of the session already written down. */
  readonly #reportedNotes = new Set<string>()
  /** How many callsites the filter turned off were written down. */
  #reportedHidden = 0
  /** Spans summed so far that were written down. */
  #reportedSpans = 0

  /**
   * Starts tracing `addon` into this worker's files. Its exports are wrapped
   * so that concurrent tests' calls are tagged (`overlapping` says when
   * tests overlap). Throws what went wrong.
   */
  constructor(addon: LoadedAddon, index: number, files: WorkerFiles, options: SessionOptions, overlapping: () => boolean) {
    this.label = addon.label
    this.api = addon.api
    this.#index = index
    this.#options = options
    ;[this.#session, this.#collector] = this.#start(files)
    tagCalls(addon.module, this.api, overlapping)
  }

  /** Its position in the config, which names its trace file (`WorkerFiles.nativeTrace`). */
  get index(): number {
    return this.#index
  }

  get collector(): SpanCollector {
    return this.#collector
  }

  #start(files: WorkerFiles): [CollectSession, SpanCollector] {
    const layer = collectLayer({
      trace: files.nativeTrace(this.#index),
      pid: files.pid,
      threadName: this.#options.threadName,
      panicFile: files.statsPath,
    })
    const session = CollectSession.start(this.api, layer, this.#options)
    return [session, new SpanCollector((path) => session.reader.steps(path))]
  }

  /** Starts a new session into the files of a new run (watch mode reruns). */
  restart(files: WorkerFiles): void {
    this.#session.close()
    ;[this.#session, this.#collector] = this.#start(files)
    this.#reportedDrops = 0
    this.#reportedHidden = 0
    this.#reportedSpans = 0
  }

  /**
   * Takes the addon's sums so far into the collector and hands its trace
   * entries to the writer; returns when the addon's new epoch began
   * (hrtime ns; 0 once closed).
   */
  flush(): number {
    const { epoch, sums } = this.#session.flush(false)
    this.#collector.add(sums)
    return epoch
  }

  /** Takes the addon's sums and returns once its trace entries are written: what a killed worker keeps. */
  writeOut(): void {
    this.#collector.add(this.#session.flush(true).sums)
  }

  /** Opens test `id`'s window, its calls tagged `tag` (0: none); returns its start (hrtime ns, 0 once closed). */
  beginTest(id: string, tag: number): number {
    const epoch = this.flush()
    this.#collector.beginTest(id, epoch, tag)
    return epoch
  }

  /** Closes test `id`'s window; returns its end (hrtime ns, 0 once closed). */
  endTest(id: string): number {
    const epoch = this.flush()
    this.#collector.endTest(id, epoch)
    return epoch
  }

  /** How many of the addon's open spans belong to test `id`. */
  openOf(id: string): number {
    return this.#collector.openOf(id, this.#session.openSpans())
  }

  stats(): NativeStats {
    return this.#session.stats()
  }

  /** Writes the statistics not written with their test: the file's, and late spans of ended tests. */
  writeRest(files: WorkerFiles, file: string): void {
    for (const id of this.#collector.owners()) {
      const made = this.#collector.made(id)
      if (id === '') files.stats({ kind: 'file', file, ...made })
      else files.stats({ kind: 'late', id, ...made })
      this.#collector.forget(id)
    }
  }

  /**
   * Writes down records lost and notes of the session since the last time.
   * Notes wait for `notes` (a file's end, the close): one may be settled by
   * then, such as 'scoped' picked for an addon's init(), which its init with
   * napi-tracing's layer makes moot.
   */
  report(files: WorkerFiles, notes = true): void {
    const stats = this.#session.stats()
    const spans = this.#collector.spans
    if (spans > this.#reportedSpans) {
      files.stats({ kind: 'made', addon: this.label, spans: spans - this.#reportedSpans })
      this.#reportedSpans = spans
    }
    if (stats.dropped > this.#reportedDrops) {
      files.stats({ kind: 'dropped', addon: this.label, records: stats.dropped - this.#reportedDrops })
      this.#reportedDrops = stats.dropped
    }
    if (stats.unattributed > 0) files.stats({ kind: 'unattributed', addon: this.label, pid: process.pid, count: stats.unattributed })
    if (stats.hidden.length > this.#reportedHidden) {
      files.stats({ kind: 'hidden', addon: this.label, callsites: [...stats.hidden] })
      this.#reportedHidden = stats.hidden.length
    }
    for (const note of notes ? stats.notes : []) {
      if (this.#reportedNotes.has(note)) continue
      this.#reportedNotes.add(note)
      files.stats({ kind: 'problem', text: `addon ${JSON.stringify(this.label)} (subscriber: '${stats.subscriber}'): ${note}` })
    }
  }

  /** Flushes and ends the session. */
  close(files: WorkerFiles, file: string): void {
    this.writeOut()
    this.report(files)
    this.#session.close()
    this.writeRest(files, file)
  }
}
