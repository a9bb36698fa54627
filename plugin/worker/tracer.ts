/**
 * What runs in each Vitest worker: a thin orchestrator over one
 * `AddonSession` per traced addon. It keeps the worker's output files, the
 * test files' and tests' marks (on the addons' monotonic clock, which fake
 * timers cannot reach: each mark is the epoch a flush began), the slots of
 * concurrent tests, and the checkpoints that keep a killed worker's data.
 * Attribution itself is `attribution.ts`'s, through each session's
 * collector. One per worker thread, kept on `process` so that it outlives
 * module re-evaluation (isolate off, vm pools).
 *
 * Nothing here may fail a test: every problem is written down for the
 * reporter and tracing of that addon is switched off.
 */
import { relative } from 'node:path'
// Node's own timers: a test's fake timers replace the global ones, never these.
import { setInterval } from 'node:timers'
import { isMainThread, threadId } from 'node:worker_threads'
import { messageOf } from '../../src/errors.js'
import { unoptimised, versionSkew } from '../../src/native.js'
import { testMeta, type NapiTracingFileMeta } from '../data/meta.js'
import { WorkerFiles, type Made } from '../data/worker-file.js'
import type { WorkerConfig } from '../options.js'
import { stateOf } from '../data/states.js'
import { NapiSpans, type SpansOptions } from '../spans.js'
import { AddonSession, loadAddon, type LoadedAddon } from './addon-session.js'
import { callerStore, type Caller } from './callers.js'

const KEY = Symbol.for('vitest-napi-tracing.worker')
/** The start under way, while its addons load. */
const STARTING = Symbol.for('vitest-napi-tracing.worker-starting')
/** How often a worker writes what it has while tests run. */
const CHECKPOINT_MS = 100
/** Concurrent tests with a track of their own per worker (the addon's `tracks.rs` places them). */
const SLOTS = 31

/** The parts of a Vitest task the worker reads (stable across 4.0, 4.1 and 5). */
export interface TaskLike {
  id: string
  name: string
  /** `test.concurrent`, or inside `describe.concurrent`: may overlap other tests. */
  concurrent?: boolean | undefined
  suite?: { name: string; suite?: unknown } | undefined
  result?: { state?: string } | undefined
  /** Vitest's per-test data, which reporters and blob reports carry. */
  meta?: object
}

/** A test running now. */
interface Running {
  tag: number
  /** Its slot among concurrent tests (0: none, it is on the JavaScript thread's track). */
  slot: number
  /** The trace track of its slice (0: the JavaScript thread's). */
  track: number
  /** When its window began (hrtime ns, the addons' clock). */
  start: number
}

/** The test file running now. */
interface FileMark {
  start: number
  file: string
  /** Vitest's file task, for its per-file data. */
  task: { meta?: object } | undefined
}

export class WorkerTracer {
  readonly #config: WorkerConfig
  readonly #files: WorkerFiles
  readonly #addons: AddonSession[] = []
  readonly #label: string
  /** The OS id of this worker's JavaScript thread, as the addons see it (0: no addon loaded). */
  readonly #jsTid: number
  #file: FileMark | undefined
  /** Tests running now, by id. */
  readonly #tests = new Map<string, Running>()
  #nextTag = 1
  readonly #filesRun: string[] = []
  /** When the next test file began loading (see `markFileStart`). */
  #fileStart = 0

  /** This worker's tracer if one started, without starting one. */
  static current(): WorkerTracer | undefined {
    return (process as unknown as Record<symbol, WorkerTracer | null | undefined>)[KEY] ?? undefined
  }

  /**
   * This worker's tracer; undefined (tests run untraced) if it cannot start
   * at all. Async: an addon whose loader is an ES module is imported.
   */
  static async get(config: WorkerConfig): Promise<WorkerTracer | undefined> {
    const holder = process as unknown as Record<symbol, WorkerTracer | null | undefined>
    const pending = process as unknown as Record<symbol, Promise<void> | undefined>
    if (holder[KEY] === undefined) {
      // One start per worker, however many evaluations of the setup file wait for it.
      await (pending[STARTING] ??= WorkerTracer.#start(config, holder))
    }
    return holder[KEY] ?? undefined
  }

  static async #start(config: WorkerConfig, holder: Record<symbol, WorkerTracer | null | undefined>): Promise<void> {
    const loaded: Array<{ addon: LoadedAddon; index: number }> = []
    const failed: string[] = []
    for (const [index, { label, path }] of config.addons.entries()) {
      try {
        loaded.push({ addon: await loadAddon(label, path), index })
      } catch (error) {
        failed.push(`addon ${JSON.stringify(label)} could not be traced: ${messageOf(error)}`)
      }
    }
    try {
      holder[KEY] = new WorkerTracer(config, loaded, failed)
    } catch (error) {
      holder[KEY] = null
      console.error(`vitest-napi-tracing: tracing is off in this worker: ${messageOf(error)}`)
    }
  }

  private constructor(config: WorkerConfig, loaded: ReadonlyArray<{ addon: LoadedAddon; index: number }>, failed: readonly string[]) {
    this.#config = config
    const pool = process.env['VITEST_POOL_ID'] ?? '?'
    this.#label = `vitest worker ${pool} (pid ${process.pid}${isMainThread ? '' : `, thread ${threadId}`})`
    // Each worker is a process of the trace, named by its JavaScript
    // thread's OS id: a forked worker's is its pid, and worker threads of
    // one process each have their own, however many there are.
    this.#jsTid = loaded[0]?.addon.api.napiTracingStats().threadId ?? 0
    this.#files = new WorkerFiles(config.rawDir, `${process.pid}-${threadId}`, this.#jsTid || process.pid)
    this.#files.process(this.#label)
    for (const text of failed) this.#problem(text)
    const threadName = isMainThread ? 'JavaScript (main)' : `JavaScript (worker ${threadId})`
    for (const { addon, index } of loaded) this.#open(addon, index, threadName)
    process.once('exit', () => this.#shutdown())
    // Records and trace lines reach the disk while a test runs, so a worker
    // that is killed keeps what it finished before.
    setInterval(() => this.#safely(() => this.#checkpoint()), CHECKPOINT_MS).unref()
  }

  #open(addon: LoadedAddon, index: number, threadName: string): void {
    try {
      const options = { filter: this.#config.filter, queueCapacity: this.#config.queueCapacity, subscriber: this.#config.subscribers[index] ?? undefined, threadName }
      const session = new AddonSession(addon, index, this.#files, options, () => this.#tests.size > 1)
      this.#addons.push(session)
      const build = addon.api.napiTracingBuild()
      const spanCostNs = session.stats().spanCostNs
      this.#files.stats({ kind: 'worker', pid: this.#files.pid, label: this.#label, addon: addon.label, build: { optLevel: build.optLevel, version: build.version }, ...(spanCostNs > 0 ? { spanCostNs } : {}) })
      // Said by every worker alike: the report says it once, with how many workers.
      for (const problem of [unoptimised(`addon ${JSON.stringify(addon.label)}`, build), versionSkew(`addon ${JSON.stringify(addon.label)}`, build)]) {
        if (problem) this.#problem(problem)
      }
      session.report(this.#files, false)
    } catch (error) {
      this.#problem(`addon ${JSON.stringify(addon.label)} could not be traced: ${messageOf(error)}`)
    }
  }

  /** Drains the addons and writes what they finished, and the running tests' figures so far. */
  #checkpoint(): void {
    this.#each((a) => {
      a.writeOut()
      a.nameTracks(this.#files)
    })
    for (const id of this.#tests.keys()) {
      const made = this.#made(id)
      if (made.tree.length + made.events.length > 0) this.#files.stats({ kind: 'progress', id, ...made })
    }
    this.#files.flush()
  }

  /** Marks that a test file begins loading: its module load counts for the file (see `beginFile`). */
  markFileStart(): void {
    this.#safely(() => {
      this.#fileStart = this.#now()
    })
  }

  /** Marks the start of test file `filepath`, from the mark its loading began at. */
  beginFile(filepath: string, task?: { meta?: object }): void {
    this.#safely(() => this.#beginFile(filepath, task))
  }

  /** Runs a test (`runTest`) between its begin and end marks, tagging its calls. */
  async runTest(task: TaskLike, runTest: () => Promise<void>): Promise<void> {
    let caller: Caller = { test: task.id, tag: 0, slot: 0 }
    this.#safely(() => {
      caller = this.#beginTest(task)
    })
    try {
      await callerStore.run(caller, runTest)
    } finally {
      this.#safely(() => this.#endTest(task))
    }
  }

  /** Opens a test's window, for a Vitest without `aroundEach` (4.0): its calls are not tagged. */
  beginTest(task: TaskLike): void {
    this.#safely(() => this.#beginTest(task))
  }

  /** Closes a test's window (see `beginTest`). */
  endTest(task: TaskLike): void {
    this.#safely(() => this.#endTest(task))
  }

  endFile(): void {
    this.#safely(() => this.#endFile())
  }

  /** Now on the addons' clock (a flush's epoch), 0 without an addon. */
  #now(): number {
    let now = 0
    this.#each((a) => {
      const epoch = a.flush()
      now ||= epoch
    })
    return now
  }

  #beginFile(filepath: string, task: { meta?: object } | undefined): void {
    // A worker that outlived its run (watch mode) starts the addons' files anew for the next.
    if (this.#files.followRun()) this.#each((a) => a.restart(this.#files))
    const file = relative(this.#config.root, filepath)
    this.#file = { start: this.#fileStart || this.#now(), file, task }
    this.#fileStart = 0
    this.#filesRun.push(file)
    // The reporter checks that every file that ran was seen here.
    this.#files.stats({ kind: 'begin', path: filepath })
  }

  /**
   * Opens a test's window. A test that may overlap others (concurrent, or
   * begun while another runs) gets a slot: a trace track of its own for its
   * slice and the spans its calls make on this thread, so that every slice
   * nests on its track; others stay on the JavaScript thread's.
   */
  #beginTest(task: TaskLike): Caller {
    const tag = this.#nextTag++
    const slot = task.concurrent === true || this.#tests.size > 0 ? this.#freeSlot() : 0
    let start = 0
    let track = 0
    this.#each((a) => {
      const epoch = a.collector.beginTest(task.id, tag)
      start ||= epoch
      if (slot !== 0) {
        // The addon places and names the slot's track; the test's slice goes there too.
        track = a.api.napiTracingCaller(tag, slot)
        a.api.napiTracingCaller(0, 0)
      }
    })
    this.#tests.set(task.id, { tag, slot, track, start })
    return { test: task.id, tag, slot }
  }

  /** The lowest slot no running test holds, 0 when all are taken. */
  #freeSlot(): number {
    const taken = new Set([...this.#tests.values()].map((t) => t.slot))
    for (let slot = 1; slot <= SLOTS; slot++) if (!taken.has(slot)) return slot
    return 0
  }

  #endTest(task: TaskLike): void {
    const running = this.#tests.get(task.id)
    let end = 0
    this.#each((a) => {
      const epoch = a.collector.endTest(task.id)
      end ||= epoch
    })
    const made = this.#made(task.id)
    let open = 0
    this.#each((a) => {
      a.collector.forget(task.id)
      open += a.collector.openOf(task.id, a.api.napiTracingOpenSpans())
      a.nameTracks(this.#files)
    })
    const state = stateOf(task.result?.state)
    const file = this.#file?.file ?? ''
    if (running?.start && end) {
      const args = { test: task.id, file, state, durationMs: (end - running.start) / 1e6 }
      this.#files.slice(running.track || this.#jsTid, task.name, 'test', running.start, end - running.start, args)
    }
    this.#files.stats({ kind: 'test', id: task.id, file, name: task.name, state, open, ...made })
    if (task.meta) (task.meta as { napiTracing?: unknown }).napiTracing = testMeta(made, open)
    this.#tests.delete(task.id)
  }

  #endFile(): void {
    const end = this.#now()
    const file = this.#file
    this.#each((a) => a.nameTracks(this.#files))
    const outside = this.#made('')
    this.#each((a) => {
      a.writeOut()
      a.writeRest(this.#files, file?.file ?? '')
      a.collector.endFile()
      a.report(this.#files)
    })
    if (file?.task?.meta) {
      const meta: NapiTracingFileMeta = { outside, ...(this.#config.shard ? { shard: this.#config.shard } : {}) }
      ;(file.task.meta as { napiTracing?: unknown }).napiTracing = meta
    }
    if (file && file.start && end) {
      this.#files.slice(this.#jsTid, file.file, 'file', file.start, end - file.start, { file: file.file })
      this.#files.process(`${this.#label}: ${this.#filesRun.join(', ')}`)
    }
    this.#files.flush()
    this.#file = undefined
    this.#tests.clear()
  }

  #shutdown(): void {
    for (const a of this.#addons) {
      try {
        a.close(this.#files, this.#file?.file ?? '')
      } catch (error) {
        this.#problem(`closing tracing of ${JSON.stringify(a.label)} failed: ${messageOf(error)}`)
      }
    }
    this.#files.close()
  }

  /**
   * Test `id`'s spans so far, after flushing every addon (spans that
   * closed on other threads included). Throws when nothing is traced here.
   */
  spansOf(id: string, options?: SpansOptions): NapiSpans {
    if (this.#addons.length === 0) {
      throw new Error("vitest-napi-tracing: napiSpans(): no addon is traced in this worker; the run's report names why (napiTracing({ addons }))")
    }
    this.#each((a) => a.flush())
    return new NapiSpans(this.#made(id), options)
  }

  /** The test running now, when exactly one runs (for a Vitest without `aroundEach`). */
  soleTest(): string | undefined {
    return this.#tests.size === 1 ? [...this.#tests.keys()][0] : undefined
  }

  /** What test `id` made so far, in every addon. */
  #made(id: string): Made {
    const made: Made = { tree: [], events: [] }
    for (const a of this.#addons) {
      const more = a.collector.made(id)
      made.tree.push(...more.tree)
      made.events.push(...more.events)
    }
    return made
  }

  /** Runs `f`; a failure is written down, never thrown into the test run. */
  #safely(f: () => void): void {
    try {
      f()
    } catch (error) {
      try {
        this.#problem(`tracing failed in a worker: ${messageOf(error)}`)
      } catch {
        console.error(`vitest-napi-tracing: tracing failed in a worker: ${messageOf(error)}`)
      }
    }
  }

  /** Runs `f` for each traced addon; an addon that throws is switched off. */
  #each(f: (a: AddonSession) => void): void {
    for (const a of [...this.#addons]) {
      try {
        f(a)
      } catch (error) {
        this.#addons.splice(this.#addons.indexOf(a), 1)
        this.#problem(`tracing of ${JSON.stringify(a.label)} stopped in a worker: ${messageOf(error)}`)
      }
    }
  }

  #problem(text: string): void {
    this.#files.stats({ kind: 'problem', text })
  }
}
