/**
 * Knowing which test called: while `test.concurrent` tests overlap on a
 * worker, each call into a traced addon is tagged with its test (kept in an
 * AsyncLocalStorage across the test's awaits), so the spans it makes are
 * attributed to that test instead of shared. When tests do not overlap,
 * calls go straight through: the test's time window already decides.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { TracingAddon } from '../src/native.js'

export const callerStore = new AsyncLocalStorage<number>()

/**
 * Replaces each function the addon exports with one that tags the call
 * when `tagging()` says tests overlap. Constructors, statics and
 * `instanceof` keep working. Exports that cannot be replaced stay as they are.
 */
export function tagCalls(exports: Record<string, unknown>, api: TracingAddon, tagging: () => boolean): void {
  for (const name of Object.keys(exports)) {
    const original = exports[name]
    if (typeof original !== 'function' || name.startsWith('napiTracing')) continue
    const target = original as (...args: unknown[]) => unknown
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const call = () => (new.target ? Reflect.construct(target, args, new.target) : target.apply(this, args))
      const tag = tagging() ? (callerStore.getStore() ?? 0) : 0
      if (tag === 0) return call()
      api.napiTracingCaller(tag)
      try {
        return call()
      } finally {
        // Spans made later on this thread (callbacks from the event loop) are no one's call.
        api.napiTracingCaller(0)
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
