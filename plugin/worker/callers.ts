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

/** Marks a function this module made, so that nothing is wrapped twice. */
const WRAPPED = Symbol.for('vitest-napi-tracing.tagged')

/**
 * Replaces each function the addon exports, and the methods and accessors
 * of the classes it exports (napi-rs defines them on the prototype,
 * writable), with ones that tag the call when the calling test has a slot
 * of its own, or when `overlapping()` says tests overlap. Constructors,
 * statics and `instanceof` keep working. What cannot be replaced stays as
 * it is: its spans are placed by the test windows instead.
 */
export function tagCalls(exports: Record<string, unknown>, api: TracingAddon, overlapping: () => boolean): void {
  const tagged = <F extends (...args: never[]) => unknown>(target: F): F => {
    if ((target as { [WRAPPED]?: true })[WRAPPED]) return target
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const call = () => (new.target ? Reflect.construct(target, args, new.target) : (target as unknown as (...a: unknown[]) => unknown).apply(this, args))
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
    Object.defineProperty(wrapper, WRAPPED, { value: true })
    if ('prototype' in target) wrapper.prototype = target.prototype
    return wrapper as unknown as F
  }
  for (const name of Object.keys(exports)) {
    const original = exports[name]
    if (typeof original !== 'function' || name.startsWith('napiTracing')) continue
    const prototype = (original as { prototype?: object }).prototype
    if (prototype) tagMembers(prototype, tagged)
    const wrapper = tagged(original as (...args: never[]) => unknown)
    // A class's static methods (napi-rs factories) are its own properties.
    if (wrapper !== original) {
      for (const key of Object.getOwnPropertyNames(original)) {
        const value = (original as unknown as Record<string, unknown>)[key]
        if (typeof value === 'function' && !['length', 'name', 'prototype'].includes(key)) {
          Object.defineProperty(wrapper, key, { value: tagged(value as (...args: never[]) => unknown), writable: true, configurable: true })
        }
      }
    }
    try {
      exports[name] = wrapper
    } catch {
      // A read-only export: its spans fall back to time-window attribution.
    }
  }
}

/** Wraps the methods and accessors defined on a class's prototype, in place. */
function tagMembers(prototype: object, tagged: <F extends (...args: never[]) => unknown>(f: F) => F): void {
  for (const key of Object.getOwnPropertyNames(prototype)) {
    if (key === 'constructor') continue
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key)
    if (!descriptor?.configurable) continue
    const wrapped: PropertyDescriptor = { ...descriptor }
    if (typeof descriptor.value === 'function') wrapped.value = tagged(descriptor.value as (...args: never[]) => unknown)
    if (descriptor.get) wrapped.get = tagged(descriptor.get)
    if (descriptor.set) wrapped.set = tagged(descriptor.set)
    Object.defineProperty(prototype, key, wrapped)
  }
}
