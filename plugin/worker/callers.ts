/**
 * Knowing which test called: while tests overlap on a worker (concurrent
 * tests), each call into a traced addon is tagged with its test (kept in an
 * AsyncLocalStorage across the test's awaits), so the spans it makes are
 * attributed to that test instead of shared, and drawn on the trace track
 * of that test. When tests do not overlap, calls go straight through: the
 * test's time window already decides.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { TracingAddon } from '../../src/native.js'

/** The running test: its id, caller tag, and its slot among concurrent tests (0: none; its spans go on the JavaScript thread's track). */
export interface Caller {
  test: string
  tag: number
  slot: number
}

/**
 * One store per process, whichever copy of this module loads it: the vm
 * pools evaluate modules once per test file's context, and the test's
 * `napiSpans()` must see the store its worker runs tests in.
 */
const STORE = Symbol.for('vitest-napi-tracing.callers')
const holder = process as unknown as Record<symbol, AsyncLocalStorage<Caller> | undefined>
export const callerStore: AsyncLocalStorage<Caller> = (holder[STORE] ??= new AsyncLocalStorage<Caller>())

/**
 * Replaces each function the addon exports with one that tags the call
 * when the calling test has a slot of its own, or when `overlapping()`
 * says tests overlap. Constructors, statics and `instanceof` keep working.
 * Exports that cannot be replaced stay as they are.
 */
export function tagCalls(exports: Record<string, unknown>, api: TracingAddon, overlapping: () => boolean): void {
  for (const name of Object.keys(exports)) {
    const original = exports[name]
    if (typeof original !== 'function' || name.startsWith('napiTracing')) continue
    const target = original as (...args: unknown[]) => unknown
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const call = () => (new.target ? Reflect.construct(target, args, new.target) : target.apply(this, args))
      const caller = callerStore.getStore()
      if (!caller || caller.tag === 0 || (caller.slot === 0 && !overlapping())) return call()
      api.napiTracingCaller(caller.tag, caller.slot)
      try {
        return call()
      } finally {
        // Spans made later on this thread (callbacks from the event loop) are no one's call.
        api.napiTracingCaller(0, 0)
      }
    }
    Object.setPrototypeOf(wrapper, target)
    Object.defineProperty(wrapper, 'name', { value: target.name })
    if ('prototype' in target) wrapper.prototype = target.prototype
    try {
      exports[name] = wrapper
    } catch {
      // A read-only export: its spans fall back to time-window attribution.
    }
  }
}
