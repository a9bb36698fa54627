/**
 * One traced addon in one worker: its `Tracing` session (a collect layer
 * streaming the addon's trace file), the collector that attributes its sums
 * to tests, and what this worker has already reported of it. The worker
 * (`worker.ts`) holds one per addon in the config.
 */
import { createRequire } from 'node:module'
import { SpanCollector } from '../src/collector.js'
import { collectLayer } from '../src/config.js'
import { asTracingAddon, type TracingAddon } from '../src/native.js'
import { Tracing } from '../src/tracing.js'
import type { WorkerFiles } from '../src/trace/worker-file.js'
import { tagCalls } from './callers.js'

export interface SessionOptions {
  filter: string
  queueCapacity: number | undefined
}

export class AddonSession {
  readonly label: string
  readonly api: TracingAddon
  readonly #module: Record<string, unknown>
  /** Its position in the config: names its trace file. */
  readonly #index: number
  readonly #options: SessionOptions
  #tracing: Tracing
  #collector: SpanCollector
  /** Records lost so far that this worker has written down. */
  #reportedDrops = 0

  /**
   * Loads the addon at `path` (its loader, as Node requires it), checks its
   * entry points and starts tracing it into this worker's files. Its
   * exports are wrapped so that concurrent tests' calls are tagged
   * (`overlapping` says when tests overlap). Throws what went wrong, in
   * words for the config's `addons`.
   */
  constructor(label: string, path: string, index: number, files: WorkerFiles, options: SessionOptions, overlapping: () => boolean) {
    this.label = label
    this.#index = index
    this.#options = options
    this.#module = createRequire(path)(path) as Record<string, unknown>
    this.api = asTracingAddon(this.#module, 'it', 'napiTracing({ addons })')
    ;[this.#tracing, this.#collector] = this.#start(files)
    tagCalls(this.#module, this.api, overlapping)
  }

  get collector(): SpanCollector {
    return this.#collector
  }

  /** The OS thread id of the worker's JavaScript thread, as the addon sees it. */
  get threadId(): number {
    return this.#tracing.stats().threadId
  }

  #start(files: WorkerFiles): [Tracing, SpanCollector] {
    const collector = new SpanCollector()
    const tracing = Tracing.start(this.#module, {
      filter: this.#options.filter,
      layers: [collectLayer(collector, { trace: files.nativeTrace(this.#index), pid: files.pid })],
      ...(this.#options.queueCapacity !== undefined ? { queueCapacity: this.#options.queueCapacity } : {}),
    })
    return [tracing, collector]
  }

  /** Starts a new session into the files of a new run (watch mode reruns). */
  restart(files: WorkerFiles): void {
    this.#tracing.close()
    ;[this.#tracing, this.#collector] = this.#start(files)
    this.#reportedDrops = 0
  }

  /** Delivers the addon's sums so far and writes its trace lines. */
  flush(): void {
    this.#tracing.flush()
  }

  /** Names the tracks the addon wrote on since it was last asked; `jsTid` is the worker's to name. */
  nameTracks(files: WorkerFiles, jsTid: number): void {
    for (const { track, name } of this.#collector.takeTracks()) {
      if (track !== jsTid) files.thread(track, name)
    }
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

  /** Writes down records lost since the last time. */
  reportDrops(files: WorkerFiles): void {
    const dropped = this.#tracing.stats().dropped
    if (dropped > this.#reportedDrops) {
      files.stats({ kind: 'dropped', addon: this.label, records: dropped - this.#reportedDrops })
      this.#reportedDrops = dropped
    }
  }

  /** Flushes and ends the session (also when `Tracing`'s own exit handler closed it first). */
  close(files: WorkerFiles, file: string, jsTid: number): void {
    this.#tracing.flush()
    this.#tracing.close()
    this.nameTracks(files, jsTid)
    this.writeRest(files, file)
    this.reportDrops(files)
  }
}
