/**
 * The worker's V8 CPU profiler: a `node:inspector` session on the worker's
 * own JavaScript thread (what Vitest's V8 coverage provider opens in
 * threads and forks alike), a profile per test file handed over when the
 * file ends, and the check that V8's clock is the trace's.
 *
 * The session answers synchronously on its own thread, so nothing here
 * awaits. Starting V8's profiler costs milliseconds (it logs all the code
 * there is), which is why it starts once per worker and profiles a whole
 * file rather than each test. Node 24.12+ has `v8.startCpuProfile()`, which
 * needs no session but starts as slowly, cannot overlap profiles, and in
 * Node 24.21 ignores the sampling interval it is given: the inspector
 * serves every Node.
 */
import type { CpuProfile } from '../data/profile.js'

interface InspectorSession {
  connect(): void
  disconnect(): void
  post(method: string, params: object | undefined, callback: (error: Error | null, result?: unknown) => void): void
}

/** Where a profile's clock stands against the trace's (`process.hrtime`'s), in µs. */
export type Alignment = { offsetUs: number; errorUs: number } | { refused: string }

/** The hrtime readings (µs) taken just before and just after a call into V8. */
export interface Bracket {
  before: number
  after: number
}

/**
 * How far V8's profile clock is from the trace's: V8 stamps the profile's
 * start and end inside the calls that start and stop it, so each must fall
 * within the hrtime readings taken around those calls. On Linux both clocks
 * are CLOCK_MONOTONIC and the offset is 0. Otherwise the offset the two
 * brackets agree on is taken, when they pin it within `toleranceUs`; when
 * they disagree or cannot pin it, the samples are refused rather than drawn
 * skewed.
 */
export function alignment(profile: Pick<CpuProfile, 'startTime' | 'endTime'>, started: Bracket, stopped: Bracket, toleranceUs: number): Alignment {
  // The offset to add to V8's times: within [before − v8, after − v8] for each call.
  const low = Math.max(started.before - profile.startTime, stopped.before - profile.endTime)
  const high = Math.min(started.after - profile.startTime, stopped.after - profile.endTime)
  // Readings are whole microseconds on both sides: 1 µs of slack each way.
  if (low > high + 2) {
    return {
      refused: `V8's profile clock does not keep pace with the trace's (its start and end fall ${Math.round(low - high)} µs apart from where the trace's clock puts them)`,
    }
  }
  if (low <= 1 && high >= -1) return { offsetUs: 0, errorUs: 0 }
  const errorUs = Math.max(0, high - low) / 2
  if (errorUs > toleranceUs) {
    return { refused: `V8's profile clock is ${Math.round((low + high) / 2)} µs off the trace's, and cannot be placed within ${toleranceUs} µs` }
  }
  return { offsetUs: Math.round((low + high) / 2), errorUs }
}

/** A profile taken, with where its clock stands. */
export interface Taken {
  profile: CpuProfile
  alignment: Alignment
}

/** What this uses of `node:inspector`. */
export interface Inspector {
  Session: new () => InspectorSession
  console: { profile(label?: string): void; profileEnd(label?: string): void }
}

interface Running {
  title: string
  started: Bracket
}

/**
 * The worker's profiler. Profiles overlap at each hand-over: the next one
 * starts before the last one ends, so V8's profiler never stops between
 * files. A profiler that stops forgets the optimised code compiled while it
 * ran (on-stack replacement), and would charge those functions' samples to
 * their callers in every later file of the worker; it would also pay
 * V8's start, which logs all the code there is, again for each file.
 * Overlapping profiles are what `console.profile` makes (the inspector's
 * console: Vitest's own console is left alone); the inspector gives each
 * back to this session when it ends. Other sessions with the profiler
 * enabled (V8 coverage, `--cpu-prof`) record them too while they run.
 */
export class JsProfiler {
  readonly #session: InspectorSession
  readonly #inspector: Inspector
  readonly #intervalUs: number
  readonly #prefix = `vitest-napi-tracing ${process.pid} ${Math.random().toString(36).slice(2)} `
  #next = 0
  #running: Running | undefined
  readonly #finished = new Map<string, CpuProfile>()

  /** Connects to this thread's inspector. Throws when Node has none (built without it). */
  constructor(intervalUs: number, inspector: Inspector) {
    this.#intervalUs = intervalUs
    this.#inspector = inspector
    this.#session = new inspector.Session()
    this.#session.connect()
    ;(this.#session as unknown as { on(event: string, f: (m: { params: { title?: string; profile: CpuProfile } }) => void): void }).on(
      'Profiler.consoleProfileFinished',
      ({ params }) => {
        if (params.title?.startsWith(this.#prefix)) this.#finished.set(params.title, params.profile)
      },
    )
    this.#post('Profiler.enable')
    this.#post('Profiler.setSamplingInterval', { interval: intervalUs })
  }

  /** Starts profiling (a no-op while a profile runs). */
  start(): void {
    if (!this.#running) this.#running = this.#begin()
  }

  /**
   * Returns the running profile, ended, and starts the next one first, so
   * the profiler runs on; undefined when none ran. With `last`, no next.
   */
  take(last = false): Taken | undefined {
    const running = this.#running
    if (!running) return undefined
    this.#running = last ? undefined : this.#begin()
    const before = nowUs()
    this.#inspector.console.profileEnd(running.title)
    const stopped = { before, after: nowUs() }
    const profile = this.#finished.get(running.title)
    this.#finished.delete(running.title)
    if (!profile) throw new Error('the inspector did not hand the profile back')
    // Half a sample: a shift by less cannot move a sample past its neighbour.
    return { profile, alignment: alignment(profile, running.started, stopped, this.#intervalUs / 2) }
  }

  close(): void {
    if (this.#running) this.#inspector.console.profileEnd(this.#running.title)
    this.#running = undefined
    this.#finished.clear()
    try {
      this.#session.disconnect()
    } catch {
      // Already gone with the thread.
    }
  }

  #begin(): Running {
    const title = `${this.#prefix}${this.#next++}`
    const before = nowUs()
    this.#inspector.console.profile(title)
    return { title, started: { before, after: nowUs() } }
  }

  /** Posts `method`; the inspector answers on this thread before `post` returns. */
  #post(method: string, params?: object): unknown {
    let answer: { error: Error | null; result?: unknown } | undefined
    this.#session.post(method, params, (error, result) => {
      answer = { error, result }
    })
    if (!answer) throw new Error(`the inspector did not answer ${method} synchronously`)
    if (answer.error) throw answer.error
    return answer.result
  }
}

function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}
