/**
 * Benchmarks, per iteration: Vitest runs them with tinybench (Vitest 4's
 * `vitest bench`, Vitest 5's `bench` fixture inside tests), whose `Task`
 * runs a benchmark's warmup, then its measured iterations (`run`). `run` is
 * wrapped once per worker process, on the copy of tinybench the worker's
 * Vitest loads, so that the tracer learns when each benchmark's measured
 * iterations begin and end, and how many there were.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** A tinybench task as both its versions (2, which Vitest 4 runs, and 6, Vitest 5's) have it. */
export interface BenchTask {
  name: string
  /** The benchmark's function: public in tinybench 2, private in 6. */
  fn?: (...args: unknown[]) => unknown
  /** Iterations of the last `run`, warmup excluded. */
  runs: number
  run(): Promise<unknown>
}

/** What the tracer does around a benchmark's measured iterations. */
export interface BenchWatcher {
  /** The measured iterations of `task` begin; what is returned comes back to `ended`. */
  started(task: BenchTask): unknown
  /** They ended after `iterations` calls of the benchmark's function. */
  ended(started: unknown, iterations: number): void
}

const WRAPPED = Symbol.for('vitest-napi-tracing.bench')
/** The watcher of this worker (kept on `process`, as the tracer is: module copies of the vm pools share it). */
const WATCHER = Symbol.for('vitest-napi-tracing.bench-watcher')

/**
 * Makes `watcher` hear of every benchmark this worker runs. Idempotent per
 * process. Throws when tinybench cannot be found beside Vitest (then no
 * benchmark is traced per iteration, and the tracer says so).
 */
export async function watchBenchmarks(watcher: BenchWatcher): Promise<void> {
  const holder = process as unknown as Record<symbol, BenchWatcher | undefined>
  holder[WATCHER] = watcher
  const { Task } = (await import(pathToFileURL(tinybenchEntry()).href)) as { Task: { prototype: BenchTask & Record<symbol, boolean> } }
  const proto = Task.prototype
  if (proto[WRAPPED]) return
  const run = proto.run
  proto.run = async function (this: BenchTask): Promise<unknown> {
    const watching = holder[WATCHER]
    if (!watching) return run.call(this)
    // tinybench 2 keeps the function public: its calls are counted, its
    // check of whether the function is async included. 6 counts iterations.
    const original = this.fn
    let calls = 0
    if (typeof original === 'function') {
      this.fn = function (this: unknown, ...args: unknown[]) {
        calls++
        return original.apply(this, args)
      }
    }
    const started = watching.started(this)
    try {
      return await run.call(this)
    } finally {
      if (typeof original === 'function') this.fn = original
      watching.ended(started, typeof original === 'function' ? calls : this.runs)
    }
  }
  Object.defineProperty(proto, WRAPPED, { value: true })
}

/**
 * The ES module entry of the tinybench Vitest imports: Node resolves it from
 * Vitest's own folder, nested or beside it (npm, pnpm, yarn), so the one
 * found first there is the one whose `Task` Vitest runs.
 */
function tinybenchEntry(): string {
  const vitest = dirname(realpathSync(createRequire(import.meta.url).resolve('vitest/package.json')))
  for (const dir of [join(vitest, 'node_modules', 'tinybench'), join(dirname(vitest), 'tinybench')]) {
    const manifest = join(dir, 'package.json')
    if (!existsSync(manifest)) continue
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: unknown; module?: string; main?: string }
    return join(realpathSync(dir), esmEntry(pkg))
  }
  throw new Error(`tinybench was not found beside Vitest (${vitest})`)
}

/** A package's ES module entry, from its `exports` (both shapes tinybench has used), `module` or `main`. */
function esmEntry(pkg: { exports?: unknown; module?: string; main?: string }): string {
  const exports = pkg.exports as Record<string, unknown> | undefined
  const root = (exports?.['.'] ?? exports) as Record<string, unknown> | string | undefined
  if (typeof root === 'string') return root
  const entry = root?.['import'] ?? root?.['default']
  if (typeof entry === 'string') return entry
  if (entry && typeof entry === 'object' && typeof (entry as Record<string, unknown>)['default'] === 'string') return (entry as Record<string, string>)['default']!
  return pkg.module ?? pkg.main ?? 'index.js'
}

/** A Vitest task as the benchmark search reads it (Vitest 4). */
interface VitestTask {
  id: string
  name: string
  meta?: { benchmark?: boolean }
  result?: { state?: string }
  tasks?: VitestTask[]
}

/** What gives the suite being collected: Vitest 4.1's `TestRunner`, or 4.0's `vitest/suite`. */
export interface SuiteSource {
  getCurrentSuite(): unknown
}

/**
 * Finds the Vitest task of a benchmark of the file being collected, by the
 * name tinybench runs it under: `vitest bench` (Vitest 4) runs a group's
 * benchmarks one after another, each `run` until it ends, so the one
 * running is the first of that name not ended yet. Call while the file is
 * collected (the setup file), with Vitest 4.1's `TestRunner`; without it
 * (4.0), `vitest/suite` is imported here, by Node: an import Vite sees in
 * the setup file would fail to resolve on Vitest 5, which has no such entry.
 */
export async function benchTasks(runner: SuiteSource | undefined): Promise<(name: string) => VitestTask | undefined> {
  const source: SuiteSource = runner ?? ((await import('vitest/suite')) as SuiteSource)
  const file = (source.getCurrentSuite() as { file?: VitestTask }).file
  const find = (tasks: readonly VitestTask[], name: string): VitestTask | undefined => {
    for (const task of tasks) {
      if (task.meta?.benchmark && task.name === name && task.result?.state === 'run') return task
      const inner = task.tasks && find(task.tasks, name)
      if (inner) return inner
    }
    return undefined
  }
  return (name) => find(file?.tasks ?? [], name)
}
