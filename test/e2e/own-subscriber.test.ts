/**
 * Addons that own a subscriber, as installed: the resolver fixture sets up a
 * global fmt subscriber of its own the first time its constructor runs
 * (RESOLVER_LOG_SETUP picks init(), try_init(), init() with
 * napi_tracing::layer(), or init() when the module loads), makes
 * debug_span!s only, and works on libuv threads and threads of its own. The
 * tracer never changes the run's outcome: the same tests pass and fail with
 * the plugin as without it (not even loaded), in every pool and Vitest.
 */
import { describe, expect, test } from 'vitest'
import type { Major } from './support/paths.js'
import { calls, placed, runBoth, testNamed } from './support/report.js'
import { runVitest, type Pool } from './support/run-vitest.js'

const UNTRACED = { FIXTURE_UNTRACED: '1' }
/** Every pool with Vitest 4.1; forks and threads with Vitest 4.0 and 5. */
const MATRIX: Array<[Major, Pool]> = [
  ...(['forks', 'threads', 'vmForks', 'vmThreads'] as Pool[]).map((pool): [Major, Pool] => [4, pool]),
  ...([40, 5] as Major[]).flatMap((major) => (['forks', 'threads'] as Pool[]).map((pool): [Major, Pool] => [major, pool])),
]
const JS_THREAD = 'resolver > resolves on the JavaScript thread, then from its cache'
const LIBUV = 'resolver > resolves on the libuv pool'
const OWN_THREAD = 'resolver > resolves on a thread of its own'

describe.each(MATRIX)('Vitest %s, pool %s', (major, pool) => {
  test("init() in the constructor: the run's outcome stands; the JavaScript thread is traced until the addon's subscriber takes over, and the report says so with the fix", () => {
    const { traced, plain } = runBoth({ project: 'resolver', major, pool, env: { RESOLVER_LOG_SETUP: 'init' } }, UNTRACED)
    expect(traced.exitCode).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    expect(Object.values(plain.states()).filter((s) => s === 'failed')).toHaveLength(1)
    const report = traced.report()
    // 'auto' found init() in the addon's binary: napi-tracing stayed scoped, so init() could take the global default.
    expect(report.problems).toContainEqual(expect.stringMatching(/subscriber: 'scoped'\): this addon calls tracing-subscriber's init\(\).*wrap the subscriber in its init line: napi_tracing::wrap\(/))
    expect(report.problems).toContainEqual(expect.stringMatching(/installed a global tracing subscriber of its own without napi-tracing.*napi_tracing::wrap\(/))
    // Never blamed on the filter, which let spans through.
    expect(report.problems.join('\n')).not.toMatch(/enabled no spans/)
    expect(report.tests.reduce((n, t) => n + calls(t), 0)).toBeGreaterThan(0)
  })

  test("init() with napi_tracing::layer(): every thread's spans counted per test, the addon's own output kept", () => {
    const { traced, plain } = runBoth({ project: 'resolver', major, pool, env: { RESOLVER_LOG_SETUP: 'layer' } }, UNTRACED)
    expect(traced.exitCode).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    const report = traced.report()
    expect(report.problems.filter((p) => !/subscriber: 'scoped'\): this addon calls tracing-subscriber's init/.test(p))).toEqual([])
    // The JavaScript thread: two resolves, one from the cache.
    expect(calls(testNamed(report, JS_THREAD), 'resolve_sync')).toBe(2)
    expect(calls(testNamed(report, JS_THREAD), 'lookup')).toBe(1)
    // libuv: the carried resolve is the test's call's; the other was placed by time (or, when
    // worker threads share the process, belongs to no test and is counted as unattributed).
    const libuv = placed(testNamed(report, LIBUV).tree, 'resolve')
    expect(libuv.caused).toBe(1)
    if (pool === 'forks' || pool === 'vmForks') expect(libuv.timed).toBe(1)
    // A thread of the addon's own: the carried one is the call's.
    expect(placed(testNamed(report, OWN_THREAD).tree, 'resolve_on_thread').caused).toBe(1)
    // The addon's own fmt layer still prints its warnings.
    expect(`${traced.stdout}${traced.stderr}`).toMatch(/WARN.*cache miss/)
  })

  test("try_init() in the constructor: the run's outcome stands", () => {
    const { traced, plain } = runBoth({ project: 'resolver', major, pool, env: { RESOLVER_LOG_SETUP: 'try_init' } }, UNTRACED)
    expect(traced.exitCode).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    expect(traced.report().problems).toContainEqual(expect.stringMatching(/installed a global tracing subscriber of its own without napi-tracing/))
  })

  test("a subscriber set up when the module loads, before tracing starts: not traced, the outcome stands, the fix named", () => {
    const { traced, plain } = runBoth({ project: 'resolver', major, pool, env: { RESOLVER_LOG_SETUP: 'load' } }, UNTRACED)
    expect(traced.exitCode).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    expect(traced.report().problems).toContainEqual(
      expect.stringMatching(/^addon "\.\.\/\.\.\/addons\/resolver\/index\.js" could not be traced: this addon already runs a global tracing subscriber of its own.*napi_tracing::wrap\(/),
    )
  })
})

describe('choosing how napi-tracing reaches the addon', () => {
  test("subscriber 'global' with try_init(): the addon's subscriber is refused, every thread traced, the outcome stands", () => {
    const { traced, plain } = runBoth({ project: 'resolver', env: { RESOLVER_LOG_SETUP: 'try_init', FIXTURE_SUBSCRIBER: 'global' } }, UNTRACED)
    expect(traced.states()).toEqual(plain.states())
    const report = traced.report()
    expect(placed(testNamed(report, LIBUV).tree, 'resolve')).toEqual({ caused: 1, timed: 1, shared: 0 })
  })

  test.each(['forks', 'vmForks'] as Pool[])(
    "subscriber 'global' with init() later (%s): the worker dies in the addon's init, and the report names the worker, the file, the cause and the fix",
    (pool) => {
      const run = runVitest({ project: 'resolver', pool, json: true, env: { RESOLVER_LOG_SETUP: 'init', FIXTURE_SUBSCRIBER: 'global' } })
      expect(run.exitCode).not.toBe(0)
      const problems = run.report().problems
      expect(problems).toContainEqual(
        expect.stringMatching(
          /^the addon panicked in vitest worker \S+ \(pid \d+\), running \S*(resolve|concurrent)\.test\.ts \(thread "JavaScript \(main\)", at \S+\): .*global default.*napi_tracing::wrap\(.*subscriber: 'scoped'/,
        ),
      )
      expect(problems.join('\n')).not.toMatch(/enabled no spans|filter/)
    },
  )

  test("debug spans only and the default filter: the report says the filter is the cause, naming the spans' level", () => {
    const run = runVitest({ project: 'resolver', env: { RESOLVER_LOG_SETUP: 'layer', FIXTURE_FILTER: 'default', RUST_LOG: '' } })
    const report = run.report()
    expect(report.filter?.source).toBe('default')
    expect(report.problems).toContainEqual(expect.stringMatching(/^filter 'info' \(the default\) enabled no spans: .*DEBUG.*resolve.*napiTracing\(\{ filter: 'debug' \}\)/))
  })
})
