/**
 * `#[napi] async fn`s on tokio, as installed: the store addon, built with
 * napi-tracing's `async-runtime` feature on napi 3.11 or later, carries no
 * caller in its async fns. napi hands each future to napi-tracing's runtime
 * on the JavaScript thread, and every span the future makes on tokio's
 * threads is its test's, in `test.concurrent` tests too, run after run.
 */
import { describe, expect, test } from 'vitest'
import { loadTrace } from '../support/trace-engine.js'
import { placed, runBoth, testNamed } from './support/report.js'
import { runVitest, watchReruns, type Pool } from './support/run-vitest.js'

/** What one concurrent test's calls make, by span name: `rounds` round trips. */
function made(rounds: number): Record<string, number> {
  return { set: 2, get: 5, get_many: 1, compact: 1, rewrite: 1, round_trip: rounds }
}

const CONCURRENT = ['one', 'two', 'three'].map((name) => `side by side > store ${name}`)

describe('three test.concurrent tests calling async fns at once, run 50 times', () => {
  test.each(['forks', 'threads'] as Pool[])(
    '%s: every span in its own test in every run, none placed by time or shared, nothing outside the tests',
    (pool) => {
      const runs = watchReruns({ project: 'store', files: ['concurrent.test.ts'], runs: 50, pool })
      const exact = Object.fromEntries(CONCURRENT.map((name, at) => [name, made(at + 1)]))
      const timed = Object.fromEntries(CONCURRENT.map((name) => [name, {}]))
      for (const run of runs) {
        expect({ run: run.run, exact: run.exact, timed: run.timed, files: run.files, problems: run.problems }).toEqual({
          run: run.run,
          exact,
          timed,
          files: {},
          problems: [],
        })
      }
    },
    600_000,
  )
})

describe('the rest of the store suite (forks)', () => {
  test('the same outcome with the plugin as without it; the trace loads whole', async () => {
    const { traced, plain } = runBoth({ project: 'store', pool: 'forks' }, { FIXTURE_UNTRACED: '1' })
    expect(plain.exitCode, plain.stdout + plain.stderr).toBe(0)
    expect(traced.exitCode, traced.stdout + traced.stderr).toBe(0)
    expect(traced.states()).toEqual(plain.states())
    expect(Object.values(traced.states())).toEqual(Array(5).fill('passed'))
    await loadTrace(traced.tracePath)
  })

  test("tasks an async fn spawns: spans they make with no parent are placed by time; with the caller carried into them, the test's", () => {
    const run = runVitest({ project: 'store', pool: 'forks', args: ['spawned.test.ts'] })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([])
    const plain = testNamed(report, 'loads keys on tokio tasks it spawns without its span')
    expect(placed(plain.tree, 'warm')).toEqual({ caused: 1, timed: 0, shared: 0 })
    expect(placed(plain.tree, 'get')).toEqual({ caused: 0, timed: 2, shared: 0 })
    const carried = testNamed(report, 'loads keys on tokio tasks that carry its caller')
    expect(placed(carried.tree, 'warm')).toEqual({ caused: 1, timed: 0, shared: 0 })
    expect(placed(carried.tree, 'get')).toEqual({ caused: 2, timed: 0, shared: 0 })
  })

  test('an addon that registers an async runtime of its own keeps it: its tests pass, and the report says why its async fns are placed by time', () => {
    const run = runVitest({ project: 'store', pool: 'forks', args: ['concurrent.test.ts'], env: { STORE_RUNTIME: 'own' } })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^addon "\.\.\/\.\.\/addons\/store\/index\.js" \(subscriber: 'global'\): napi refused napi-tracing's async runtime \("register_async_runtime was called more than once for the same addon image"\): the addon registers an AsyncRuntime of its own, which napi keeps, .*carry the caller in that runtime's spawn instead \(napi_tracing::caller\(\)\.carry\(task\)\)$/,
      ),
    ])
    for (const name of CONCURRENT) expect(testNamed(report, name).spans.filter((s) => !s.timed && !s.shared), name).toEqual([])
  })
})
