/**
 * What runs in each Vitest worker: a thin orchestrator over one
 * `AddonSession` per traced addon. It keeps the worker's output files, the
 * test files' and tests' marks on the hrtime clock (attribution itself is
 * `src/attribution.ts`'s, through each session's collector), the trace
 * tracks of concurrent tests, and the checkpoints that keep a killed
 * worker's data. One per worker thread, kept on `process` so that it
 * outlives module re-evaluation (isolate off, vm pools).
 *
 * Nothing here may fail a test: every problem is written down for the
 * reporter and tracing of that addon is switched off.
 */
import { relative } from 'node:path'
import { isMainThread, threadId } from 'node:worker_threads'
import { messageOf } from '../src/errors.js'
import { unoptimised } from '../src/native.js'
import { stateOf } from '../src/report/model.js'
import { NapiSpans } from '../src/spans.js'
import { testMeta, type NapiTracingFileMeta } from './meta.js'
import { WorkerFiles, type Made } from '../src/trace/worker-file.js'
import { AddonSession } from './addon-session.js'
import { callerStore, type Caller } from './callers.js'
import type { WorkerConfig } from './options.js'

const KEY = Symbol.for('vitest-napi-tracing.worker')
/** How often a worker writes what it has while tests run. */
const CHECKPOINT_MS = 100
/**
 * Where the trace tracks of concurrent tests start: one per slot, below the
 * JavaScript thread (`native/napi-tracing/src/layers/tracks.rs` keeps these
 * ids apart from its own).
 */
const CONCURRENT_TRACKS = 0x2000_0000
/** Slots per JavaScript thread: more tests at once share the thread's own track. */
const SLOTS = 31

/** The parts of a Vitest task the worker reads (stable across 4.1 and 5). */
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
  track: number
  start: bigint
  /** Its slot among concurrent tests (0: none, it is on the JavaScript thread's track). */
  slot: number
}

/** The test file running now. */
interface FileMark {
  start: bigint
  file: string
  /** Vitest's file task, for its per-file data. */
  task: { meta?: object } | undefined
}

export class WorkerTracer {
  readonly #config: WorkerConfig
  readonly #files: WorkerFiles
  readonly #addons: AddonSession[] = []
  readonly #label: string
  #jsTid = 0
  readonly #jsName = isMainThread ? 'JavaScript (main)' : `JavaScript (worker ${threadId})`
  #file: FileMark | undefined
  /** Tests running now, by id. */
  readonly #tests = new Map<string, Running>()
  #nextTag = 1
  readonly #filesRun: string[] = []

  /** This worker's tracer if one started, without starting one. */
  static current(): WorkerTracer | undefined {
    return (process as unknown as Record<symbol, WorkerTracer | null | undefined>)[KEY] ?? undefined
  }

  /** This worker's tracer; undefined (tests run untraced) if it cannot start at all. */
  static get(config: WorkerConfig): WorkerTracer | undefined {
    const holder = process as unknown as Record<symbol, WorkerTracer | null | undefined>
    if (holder[KEY] === undefined) {
      try {
        holder[KEY] = new WorkerTracer(config)
      } catch (error) {
        holder[KEY] = null
        console.error(`vitest-napi-tracing: tracing is off in this worker: ${messageOf(error)}`)
      }
    }
    return holder[KEY] ?? undefined
  }

  private constructor(config: WorkerConfig) {
    this.#config = config
    // A worker thread shares its process with others: it gets a trace process of its own.
    const pid = isMainThread ? process.pid : process.pid * 256 + (threadId % 256)
    const pool = process.env['VITEST_POOL_ID'] ?? '?'
    this.#label = `vitest worker ${pool} (pid ${process.pid}${isMainThread ? '' : `, thread ${threadId}`})`
    this.#files = new WorkerFiles(config.rawDir, `${process.pid}-${threadId}`, pid)
    this.#files.process(this.#label)
    config.addons.forEach((addon, index) => this.#open(addon.label, addon.path, index))
    process.once('exit', () => this.#shutdown())
    // Records and trace lines reach the disk while a test runs, so a worker
    // that is killed keeps what it finished before.
    setInterval(() => this.#safely(() => this.#checkpoint()), CHECKPOINT_MS).unref()
  }

  #open(label: string, path: string, index: number): void {
    try {
      const options = { filter: this.#config.filter, queueCapacity: this.#config.queueCapacity }
      const session = new AddonSession(label, path, index, this.#files, options, () => this.#tests.size > 1)
      this.#jsTid = session.threadId
      this.#files.thread(this.#jsTid, this.#jsName)
      this.#addons.push(session)
      this.#files.stats({ kind: 'worker', pid: this.#files.pid, label: this.#label, addon: label })
      // Said by every worker alike: the report says it once, with how many workers.
      const misleading = unoptimised(`addon ${JSON.stringify(label)}`, session.api.napiTracingBuild())
      if (misleading) this.#problem(misleading)
    } catch (error) {
      this.#problem(`addon ${JSON.stringify(label)} could not be traced: ${messageOf(error)}`)
    }
  }

  /** Drains the addons and writes what they finished, and the running tests' figures so far. */
  #checkpoint(): void {
    this.#each((a) => {
      a.flush()
      a.nameTracks(this.#files, this.#jsTid)
    })
    for (const id of this.#tests.keys()) {
      const made = this.#made(id)
      if (made.spans.length + made.events.length > 0) this.#files.stats({ kind: 'progress', id, ...made })
    }
    this.#files.flush()
  }

  beginFile(filepath: string, start: bigint, task?: { meta?: object }): void {
    this.#safely(() => this.#beginFile(filepath, start, task))
  }

  /** Runs a test (`runTest`) between its begin and end marks, tagging its calls. */
  async runTest(task: TaskLike, runTest: () => Promise<void>): Promise<void> {
    let caller: Caller = { test: task.id, tag: 0, track: 0 }
    this.#safely(() => {
      caller = this.#beginTest(task)
    })
    try {
      await callerStore.run(caller, runTest)
    } finally {
      this.#safely(() => this.#endTest(task))
    }
  }

  endFile(): void {
    this.#safely(() => this.#endFile())
  }

  #beginFile(filepath: string, start: bigint, task: { meta?: object } | undefined): void {
    // A worker that outlived its run (watch mode) starts the addons' files anew for the next.
    if (this.#files.followRun()) this.#each((a) => a.restart(this.#files))
    const file = relative(this.#config.root, filepath)
    this.#file = { start, file, task }
    this.#filesRun.push(file)
    // The reporter checks that every file that ran was seen here.
    this.#files.stats({ kind: 'begin', path: filepath })
  }

  /**
   * Opens a test's window. A test that may overlap others (concurrent, or
   * begun while another runs) gets a trace track of its own for its slice
   * and the spans its calls make on this thread, so that every slice nests
   * on its track; others stay on the JavaScript thread's.
   */
  #beginTest(task: TaskLike): Caller {
    const now = process.hrtime.bigint()
    const tag = this.#nextTag++
    const slot = task.concurrent === true || this.#tests.size > 0 ? this.#freeSlot() : 0
    const track = slot === 0 ? 0 : CONCURRENT_TRACKS + this.#jsTid * (SLOTS + 1) + slot
    if (slot !== 0) this.#files.thread(track, `${this.#jsName} · concurrent ${slot}`)
    this.#tests.set(task.id, { start: now, tag, track, slot })
    this.#each((a) => a.collector.beginTest(task.id, now, tag))
    return { test: task.id, tag, track }
  }

  /** The lowest slot no running test holds, 0 when all are taken. */
  #freeSlot(): number {
    const taken = new Set([...this.#tests.values()].map((t) => t.slot))
    for (let slot = 1; slot <= SLOTS; slot++) if (!taken.has(slot)) return slot
    return 0
  }

  #endTest(task: TaskLike): void {
    const end = process.hrtime.bigint()
    const running = this.#tests.get(task.id)
    const start = running?.start ?? end
    this.#each((a) => a.collector.endTest(task.id, end))
    const made = this.#made(task.id)
    let open = 0
    this.#each((a) => {
      a.collector.forget(task.id)
      open += a.collector.openOf(task.id, a.api.napiTracingOpenSpans())
      a.nameTracks(this.#files, this.#jsTid)
    })
    const state = stateOf(task.result?.state)
    const file = this.#file?.file ?? ''
    if (this.#addons.length > 0) {
      const args = { test: task.id, file, state, durationMs: Number(end - start) / 1e6 }
      this.#files.slice(running?.track || this.#jsTid, task.name, 'test', Number(start), Number(end - start), args)
    }
    this.#files.stats({ kind: 'test', id: task.id, file, name: task.name, state, open, ...made })
    if (task.meta) (task.meta as { napiTracing?: unknown }).napiTracing = testMeta(made, open)
    this.#tests.delete(task.id)
  }

  #endFile(): void {
    const end = process.hrtime.bigint()
    const file = this.#file
    this.#each((a) => {
      a.flush()
      a.nameTracks(this.#files, this.#jsTid)
    })
    const outside = this.#made('')
    this.#each((a) => {
      a.writeRest(this.#files, file?.file ?? '')
      a.collector.endFile()
      a.reportDrops(this.#files)
    })
    if (file?.task?.meta) {
      const meta: NapiTracingFileMeta = { outside, ...(this.#config.shard ? { shard: this.#config.shard } : {}) }
      ;(file.task.meta as { napiTracing?: unknown }).napiTracing = meta
    }
    if (file && this.#addons.length > 0) {
      this.#files.slice(this.#jsTid, file.file, 'file', Number(file.start), Number(end - file.start), { file: file.file })
      this.#files.process(`${this.#label}: ${this.#filesRun.join(', ')}`)
    }
    this.#files.flush()
    this.#file = undefined
    this.#tests.clear()
  }

  #shutdown(): void {
    for (const a of this.#addons) {
      try {
        a.close(this.#files, this.#file?.file ?? '', this.#jsTid)
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
  spansOf(id: string): NapiSpans {
    if (this.#addons.length === 0) {
      throw new Error('vitest-napi-tracing: napiSpans(): no addon is traced in this worker; the run\'s report names why (napiTracing({ addons }))')
    }
    this.#each((a) => a.flush())
    return new NapiSpans(this.#made(id))
  }

  /** What test `id` made so far, in every addon. */
  #made(id: string): Made {
    const made: Made = { spans: [], tree: [], events: [] }
    for (const a of this.#addons) addMade(made, a.collector.made(id))
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

/** Appends what one addon made to what the test made in all. */
function addMade(into: Made, more: Made): void {
  into.spans.push(...more.spans)
  into.tree.push(...more.tree)
  into.events.push(...more.events)
}
