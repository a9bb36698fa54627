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
 * With `profile`, it also takes the worker's JavaScript CPU samples
 * (`profiler.ts`, one profile per test file, its samples in native calls
 * given to them through the addons' trace files: `native-slices.ts`) and
 * its memory (`memory.ts`), and writes them beside the spans.
 *
 * Nothing here may fail a test: every problem is written down for the
 * reporter and tracing of that addon is switched off.
 */
import { createRequire } from 'node:module'
import { relative } from 'node:path'
// Node's own timers: a test's fake timers replace the global ones, never these.
import { setInterval } from 'node:timers'
import { isMainThread, threadId } from 'node:worker_threads'
import { messageOf } from '../../src/errors.js'
import { unoptimised, versionSkew } from '../../src/native.js'
import { testMeta, type NapiTracingFileMeta } from '../data/meta.js'
import { addSummary, WorkerProfile, type ProfileSummary, type Sample, type Window } from '../data/profile.js'
import { WorkerFiles, type Made, type MemoryChange } from '../data/worker-file.js'
import type { ProfileConfig, WorkerConfig } from '../options.js'
import { stateOf } from '../data/states.js'
import { NapiSpans, type SpansOptions } from '../spans.js'
import { AddonSession, loadAddon, type LoadedAddon } from './addon-session.js'
import type { BenchTask, BenchWatcher } from './bench.js'
import { callerStore, type Caller } from './callers.js'
import { pathsSince } from '../data/stats.js'
import { MemorySampler, type Reading } from './memory.js'
import { NativeSlices } from './native-slices.js'
import { JsProfiler, type Inspector, type Taken } from './profiler.js'
import { SourceLocator } from './sources.js'

const KEY = Symbol.for('vitest-napi-tracing.worker')
/** The start under way, while its addons load. */
const STARTING = Symbol.for('vitest-napi-tracing.worker-starting')
/** How often a worker writes what it has while tests run. */
const CHECKPOINT_MS = 100

/** The parts of a Vitest task the worker reads (stable across 4.0, 4.1 and 5). */
export interface TaskLike {
  id: string
  name: string
  /** `test.concurrent`, or inside `describe.concurrent`: may overlap other tests. */
  concurrent?: boolean | undefined
  suite?: SuiteLike | undefined
  result?: { state?: string } | undefined
  /** Vitest's per-test data, which reporters and blob reports carry. */
  meta?: object
}

/** The suite a test is in, as the setup file sees it. */
export interface SuiteLike {
  name: string
  /** `describe.concurrent`: it runs beside its sibling suites and tests. */
  concurrent?: boolean | undefined
  suite?: SuiteLike | undefined
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
  /** Memory when it began, when memory is followed. */
  memory?: Reading
}

/** A test's window in the running file, for its samples (hrtime ns). */
interface TestWindow {
  id: string
  start: number
  end: number
}

/** A benchmark's measured iterations under way: in which test, and what it had made before. */
interface BenchMark {
  name: string
  test: string
  /** Vitest 4's bench mode: the benchmark is a test of its own, its window open. */
  own?: TaskLike
  /** Vitest 5: the test's figures when the iterations began. */
  before?: Made
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
  /** JavaScript samples, when asked for and the inspector is here. */
  #profiler: JsProfiler | undefined
  /** The worker's profile in this run's trace. */
  #profile = new WorkerProfile()
  #slices: NativeSlices | undefined
  readonly #sources = new SourceLocator()
  /** The running file's test windows, for its samples. */
  #windows: TestWindow[] = []
  #memory: MemorySampler | undefined
  /** Problems written down once (see `problemOnce`). */
  readonly #told = new Set<string>()
  /** Whether the worker's stop ends a file left open (see `endFilesWhen`). */
  #stopWatched = false
  /**
   * Finds the Vitest task of a benchmark by its name (Vitest 4's bench
   * mode, which runs no test hooks); set by the setup file for each file.
   */
  benchTaskOf: ((name: string) => TaskLike | undefined) | undefined
  /** Told of each benchmark's measured iterations (see `bench.ts`). */
  readonly benchmarks: BenchWatcher = {
    started: (task) => this.#benchStarted(task),
    ended: (mark, iterations) => this.#benchEnded(mark as BenchMark | undefined, iterations),
  }

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
    if (config.profile && this.#addons.length > 0) this.#startProfiling(config.profile)
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

  /** Starts what `profile` asks for; what cannot start is written down, and the rest goes on. */
  #startProfiling(profile: ProfileConfig): void {
    if (profile.memory) this.#memory = new MemorySampler((e) => this.#files.event(e), this.#files.pid, this.#jsTid)
    if (!profile.js) return
    try {
      // Loaded only when asked for: a worker without `profile` never touches the inspector.
      this.#profiler = new JsProfiler(profile.intervalUs, createRequire(import.meta.url)('node:inspector') as Inspector)
      this.#slices = new NativeSlices(this.#jsTid)
    } catch (error) {
      this.#problem(`JavaScript samples are off in this worker: its inspector could not profile (${messageOf(error)}); Node built without the inspector cannot be profiled`)
    }
  }

  /** Drains the addons and writes what they finished, and the running tests' figures so far. */
  #checkpoint(): void {
    this.#each((a) => a.writeOut())
    for (const id of this.#tests.keys()) {
      const made = this.#made(id)
      if (made.tree.length + made.events.length > 0) this.#files.stats({ kind: 'progress', id, ...made })
    }
    this.#files.flush()
  }

  /**
   * Marks that test file `filepath` (when Vitest tells it) begins loading:
   * its module load counts for the file. A file whose loading threw never
   * reached its hooks: it ends here, when the next one begins (or when the
   * worker exits), with the spans its loading made.
   */
  markFileStart(filepath: string | undefined): void {
    this.#safely(() => {
      if (this.#file) this.#endFile()
      this.#followRun()
      const start = this.#now()
      if (filepath) this.#openFile(filepath, start)
      else this.#fileStart = start
      // After the mark: every sample lies inside the file's slice.
      this.#profiler?.start()
    })
  }

  /**
   * Ends the file still open (one whose loading threw) when `onStop`'s
   * listener runs: Vitest's worker stops without an exit event in the
   * threads pools. Registers once per worker.
   */
  endFilesWhen(onStop: (listener: () => unknown) => void): void {
    if (this.#stopWatched) return
    this.#stopWatched = true
    onStop(() => {
      if (this.#file) this.#safely(() => this.#endFile())
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
      // Tags tell overlapping tests' calls apart. A test that cannot overlap
      // another needs none (its window decides), and on Node 20 the store's
      // first run turns on async hooks for every promise the worker makes
      // from then on. A test of a concurrent suite may be overlapped later
      // though it began alone (`test.sequential` in `describe.concurrent`).
      if (caller.slot !== 0 || inConcurrentSuite(task)) await callerStore.run(caller, runTest)
      else await runTest()
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

  /** A worker that outlived its run (watch mode) starts the addons' files anew for the next. */
  #followRun(): void {
    if (this.#files.followRun()) {
      this.#each((a) => a.restart(this.#files))
      // The new run's trace gets a profile of its own.
      this.#profile = new WorkerProfile()
      this.#slices?.reset()
    }
  }

  #beginFile(filepath: string, task: { meta?: object } | undefined): void {
    let mark = this.#file
    if (mark?.file !== relative(this.#config.root, filepath)) {
      this.#followRun()
      mark = this.#openFile(filepath, this.#fileStart || this.#now())
      this.#fileStart = 0
      this.#profiler?.start()
    }
    mark.task = task
  }

  /** Opens test file `filepath`'s mark at `start` (hrtime ns). */
  #openFile(filepath: string, start: number): FileMark {
    const file = relative(this.#config.root, filepath)
    this.#file = { start, file, task: undefined }
    this.#windows = []
    this.#filesRun.push(file)
    // The reporter checks that every file that ran was seen here.
    this.#files.stats({ kind: 'begin', path: filepath })
    return this.#file
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
      const epoch = a.beginTest(task.id, tag)
      start ||= epoch
      if (slot !== 0) {
        // The addon places and names the slot's track; the test's slice goes there too.
        track = a.api.napiTracingCaller(tag, slot)
        a.api.napiTracingCaller(0, 0)
      }
    })
    const memory = this.#memory?.read()
    this.#tests.set(task.id, { tag, slot, track, start, ...(memory ? { memory } : {}) })
    this.#memory?.follow(() => this.#tests.size > 0)
    return { test: task.id, tag, slot }
  }

  /** The lowest slot no running test holds (the crate's `protocol/tracks.rs` places each on a track of its own). */
  #freeSlot(): number {
    const taken = new Set([...this.#tests.values()].map((t) => t.slot))
    let slot = 1
    while (taken.has(slot)) slot++
    return slot
  }

  #benchStarted(task: BenchTask): BenchMark | undefined {
    let mark: BenchMark | undefined
    this.#safely(() => {
      const own = this.benchTaskOf?.(task.name)
      if (own) {
        this.#beginTest(own)
        mark = { name: task.name, test: own.id, own }
        return
      }
      // Vitest 5: the test that runs the benchmark; its figures so far are subtracted at the end.
      const test = callerStore.getStore()?.test ?? this.soleTest()
      if (test === undefined) return
      this.#each((a) => a.flush())
      mark = { name: task.name, test, before: this.#made(test) }
    })
    return mark
  }

  #benchEnded(mark: BenchMark | undefined, iterations: number): void {
    if (!mark) return
    this.#safely(() => {
      let tree: Made['tree']
      if (mark.own) tree = this.#endTest(mark.own).tree
      else {
        this.#each((a) => a.flush())
        tree = pathsSince(this.#made(mark.test).tree, mark.before?.tree ?? [])
      }
      this.#files.stats({ kind: 'bench', id: mark.test, name: mark.name, iterations, tree })
    })
  }

  /** Closes a test's window and writes its figures; returns them. */
  #endTest(task: TaskLike): Made {
    const running = this.#tests.get(task.id)
    let end = 0
    this.#each((a) => {
      const epoch = a.endTest(task.id)
      end ||= epoch
    })
    const made = this.#made(task.id)
    let open = 0
    this.#each((a) => {
      a.collector.forget(task.id)
      open += a.openOf(task.id)
    })
    const state = stateOf(task.result?.state)
    const file = this.#file?.file ?? ''
    if (running?.start && end) {
      const args = { test: task.id, file, state, durationMs: (end - running.start) / 1e6 }
      this.#files.slice(running.track || this.#jsTid, task.name, 'test', running.start, end - running.start, args)
      this.#windows.push({ id: task.id, start: running.start, end })
    }
    const memory = memoryChange(running?.memory, this.#memory?.read())
    this.#files.stats({ kind: 'test', id: task.id, file, name: task.name, state, open, ...(memory ? { memory } : {}), ...made })
    if (task.meta) (task.meta as { napiTracing?: unknown }).napiTracing = testMeta(made, open, memory)
    this.#tests.delete(task.id)
    return made
  }

  #endFile(): void {
    // Before the end mark: every sample lies inside the file's slice.
    const taken = this.#profiler?.take()
    const end = this.#now()
    const file = this.#file
    const outside = this.#made('')
    this.#each((a) => {
      a.writeOut()
      a.writeRest(this.#files, file?.file ?? '')
      a.collector.endFile()
      a.report(this.#files)
    })
    // The addons' files now hold every slice the samples may fall in.
    const profiles = taken && file ? this.#writeSamples(taken, file, end) : undefined
    if (file?.task?.meta) {
      const meta: NapiTracingFileMeta = { outside, ...(profiles ? { profiles } : {}), ...(this.#config.shard ? { shard: this.#config.shard } : {}) }
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

  /**
   * Writes a file's samples into the trace (those in native calls given to
   * them) and what they say of each test and of the file outside its
   * tests. A profile whose clock cannot be placed on the trace's is
   * written down as a problem and left out, never drawn skewed. Returns the
   * summaries by test id ('' for outside the tests).
   */
  #writeSamples(taken: Taken, file: FileMark, end: number): Record<string, ProfileSummary> | undefined {
    if ('refused' in taken.alignment) {
      this.#problem(`JavaScript samples left out of the trace and the report: ${taken.alignment.refused}`)
      return undefined
    }
    const intervalUs = this.#config.profile?.intervalUs ?? 1000
    const times = WorkerProfile.times(taken.profile, taken.alignment.offsetUs)
    const slices = this.#slices?.take(this.#addons.map((a) => this.#files.nativeTrace(a.index)), times) ?? []
    // The profile ran on since the last file: only the samples of this one count.
    const span = { start: file.start / 1000, end: end / 1000 }
    const samples = this.#profile.samples(taken.profile, taken.alignment.offsetUs, slices, intervalUs, (f) => this.#sources.locate(f), span)
    this.#sources.clear()
    for (const event of this.#profile.events(samples, this.#files.pid, this.#jsTid)) this.#files.event(event)
    const summaries: Record<string, ProfileSummary> = {}
    const windows = this.#windows.map((w) => ({ id: w.id, start: w.start / 1000, end: w.end / 1000 }))
    for (const w of windows) {
      const shared = windows.some((o) => o !== w && o.start < w.end && w.start < o.end)
      const summary = this.#profile.summarize(samples, w, this.#config.root)
      const each = shared ? { ...summary, shared: true as const } : summary
      summaries[w.id] = summaries[w.id] ? addSummary(summaries[w.id]!, each) : each
    }
    summaries[''] = outsideTests(this.#profile, samples, windows, span, this.#config.root)
    for (const [id, profile] of Object.entries(summaries)) {
      if (profile.samples > 0) this.#files.stats({ kind: 'profile', id, file: file.file, profile })
    }
    this.#windows = []
    return summaries
  }

  #shutdown(): void {
    // The last file's loading threw: its hooks never ran. Its samples are
    // written with it, once the addons wrote their slices.
    if (this.#file) this.#safely(() => this.#endFile())
    this.#memory?.stop()
    this.#profiler?.close()
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

  /** Writes a problem down once per worker (the report counts the workers that had it). */
  problemOnce(text: string): void {
    if (this.#told.has(text)) return
    this.#told.add(text)
    this.#safely(() => this.#problem(text))
  }

  #problem(text: string): void {
    this.#files.stats({ kind: 'problem', text })
  }
}

/** A test's memory change from its start's reading to its end's; undefined unless both were taken. */
function memoryChange(start: Reading | undefined, end: Reading | undefined): MemoryChange | undefined {
  return start && end ? { heapUsed: end.heapUsed - start.heapUsed, rss: end.rss - start.rss } : undefined
}

/** The file's samples outside every test window: module load, hooks, between tests. */
function outsideTests(profile: WorkerProfile, samples: readonly Sample[], tests: readonly Window[], file: Window, root: string): ProfileSummary {
  const gaps: Window[] = []
  let from = file.start
  for (const w of [...tests].sort((a, b) => a.start - b.start)) {
    if (w.start > from) gaps.push({ start: from, end: w.start })
    from = Math.max(from, w.end)
  }
  if (file.end > from) gaps.push({ start: from, end: file.end })
  let summary: ProfileSummary = { samples: 0, nativeMs: 0, jsMs: 0, idleMs: 0, functions: [], native: [] }
  for (const gap of gaps) summary = addSummary(summary, profile.summarize(samples, gap, root))
  return summary
}

/** Whether a suite around `task` runs concurrently with its siblings, so that its tests may overlap others. */
function inConcurrentSuite(task: TaskLike): boolean {
  for (let suite = task.suite; suite; suite = suite.suite) if (suite.concurrent === true) return true
  return false
}
