/**
 * `vitest-napi-tracing/test`: a test's spans as data, inside the test.
 *
 * ```ts
 * import { napiSpans } from 'vitest-napi-tracing/test'
 *
 * test('the second lookup hits the cache', async () => {
 *   addon.resolve('./a'); addon.resolve('./a')
 *   const spans = await napiSpans()
 *   expect(spans.count('executing query')).toBe(1)
 *   expect(spans).toMatchSpanSnapshot()
 * })
 * ```
 *
 * Importing it also adds the matchers `toMatchSpanSnapshot()`,
 * `toMatchInlineSpanSnapshot()`, `toHaveSpan(name, { calls?, parent? })`
 * and `toHaveEvent(message)` to `expect`; snapshots go through Vitest's own
 * snapshot machinery (`-u` updates them, obsolete ones are reported).
 */
import * as vitest from 'vitest'
import type { ReportNode } from './report/model.js'
import { NapiSpans, type SpansOptions } from './spans.js'
import { callerStore } from './worker/callers.js'
import { WorkerTracer } from './worker/tracer.js'

export { NapiSpans, type SpanPath, type SpansOptions } from './spans.js'
export type { ReportNode, ReportEvent } from './report/model.js'

/**
 * The calling test's spans so far: every traced addon is flushed first, so
 * spans that closed on other threads are in. Only this test's (by caller
 * tag when tests run concurrently; spans no call explains are left out),
 * and only the current attempt's when it is retried.
 *
 * Throws when called outside a test, or where the plugin traces nothing
 * (the error says why): no spans is never mistaken for zero spans.
 */
export async function napiSpans(options?: SpansOptions): Promise<NapiSpans> {
  const tracer = WorkerTracer.current()
  // Without aroundEach (Vitest 4.0) no test runs in the store: the one running is the caller.
  const test = callerStore.getStore()?.test ?? tracer?.soleTest()
  if (!tracer) {
    throw new Error(
      "vitest-napi-tracing: napiSpans() found no tracer in this worker: add napiTracing({ addons }) from 'vitest-napi-tracing/plugin' to the Vitest config (and do not set VITEST_NAPI_TRACING=0)",
    )
  }
  if (!test) throw new Error("vitest-napi-tracing: napiSpans() is for use inside a test (it returns that test's spans)")
  return tracer.spansOf(test, options)
}

interface SpanMatchers<R = unknown> {
  /** The test's spans (`await napiSpans()`) match the stored span snapshot: paths, counts, events; never times. */
  toMatchSpanSnapshot(hint?: string): R
  /** Like `toMatchSpanSnapshot`, stored inline. */
  toMatchInlineSpanSnapshot(snapshot?: string): R
  /** Spans named `name` were made: `calls` times in all, if given; under a span named `parent`, if given. */
  toHaveSpan(name: string, options?: { calls?: number; parent?: string }): R
  /** An event with this message (or one matching it) was emitted. */
  toHaveEvent(message: string | RegExp): R
}

declare module 'vitest' {
  // Merged into Vitest's own interfaces: the type parameter must be declared as theirs is.
  interface Assertion<T = any> extends SpanMatchers {}
  interface AsymmetricMatchersContaining extends SpanMatchers {}
}

const { expect } = vitest
type SnapshotHelpers = typeof vitest.Snapshots
type MatcherState = ThisParameterType<SnapshotHelpers['toMatchSnapshot']>

/** Vitest's snapshot helpers, which span snapshots go through (4.1.12 and 5 have them). */
function snapshots(matcher: string): SnapshotHelpers {
  const helpers = (vitest as { Snapshots?: SnapshotHelpers }).Snapshots
  if (!helpers) {
    throw new Error(`vitest-napi-tracing: ${matcher}() needs Vitest's Snapshots helpers, which Vitest 4.1.12 and 5 have; update Vitest, or assert with spans.count() and toHaveSpan()`)
  }
  return helpers
}

function spansOf(received: unknown, matcher: string): NapiSpans {
  if (received instanceof NapiSpans || (received as { snapshot?: unknown } | null)?.snapshot instanceof Function) return received as NapiSpans
  throw new TypeError(`vitest-napi-tracing: expect(...).${matcher}() takes the result of \`await napiSpans()\`, got ${typeof received}`)
}

/** Where the spans named `name` sit: every node of that name, with its parent's name. */
function placesOf(roots: readonly ReportNode[], name: string): Array<{ node: ReportNode; parent: string | undefined }> {
  const out: Array<{ node: ReportNode; parent: string | undefined }> = []
  const walk = (nodes: readonly ReportNode[], parent: string | undefined) => {
    for (const n of nodes) {
      if (n.name === name) out.push({ node: n, parent })
      walk(n.children, n.name)
    }
  }
  walk(roots, undefined)
  return out
}

expect.extend({
  toMatchSpanSnapshot(this: MatcherState, received: unknown, hint?: string) {
    return snapshots('toMatchSpanSnapshot').toMatchSnapshot.call(this, spansOf(received, 'toMatchSpanSnapshot').snapshot(), hint)
  },
  toMatchInlineSpanSnapshot(this: MatcherState, received: unknown, snapshot?: string) {
    return snapshots('toMatchInlineSpanSnapshot').toMatchInlineSnapshot.call(this, spansOf(received, 'toMatchInlineSpanSnapshot').snapshot(), snapshot)
  },
  toHaveSpan(received: unknown, name: string, options: { calls?: number; parent?: string } = {}) {
    const spans = spansOf(received, 'toHaveSpan')
    const places = placesOf(spans.tree(), name).filter((p) => options.parent === undefined || p.parent === options.parent)
    const calls = places.reduce((n, p) => n + p.node.calls, 0)
    const pass = places.length > 0 && (options.calls === undefined || calls === options.calls)
    const where = options.parent === undefined ? '' : ` under "${options.parent}"`
    return {
      pass,
      message: () =>
        pass
          ? `expected no span "${name}"${where}${options.calls === undefined ? '' : ` made ${options.calls} times`}, but there were ${calls}`
          : `expected span "${name}"${where}${options.calls === undefined ? '' : ` ${options.calls} times`}, but the test made ${calls}; its spans:\n${spans.snapshot()}` +
            (spans.leftOut(name) ? `\n${spans.leftOut(name)}` : ''),
    }
  },
  toHaveEvent(received: unknown, message: string | RegExp) {
    const spans = spansOf(received, 'toHaveEvent')
    const found = spans.events(message)
    const pass = found.length > 0
    return {
      pass,
      message: () =>
        pass
          ? `expected no event ${String(message)}, but there were ${found.reduce((n, e) => n + e.count, 0)}`
          : `expected an event ${typeof message === 'string' ? JSON.stringify(message) : String(message)}; the test's events: ${
              spans.events().map((e) => JSON.stringify(e.message)).join(', ') || 'none'
            }`,
    }
  },
})
