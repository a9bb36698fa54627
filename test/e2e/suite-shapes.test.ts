/**
 * Shapes real suites take, as installed: test.extend fixtures (with and
 * without addon calls in their setup and teardown, used by concurrent
 * tests); a long-lived object made in beforeAll whose methods' spans hang
 * off its root span, and a guard a test leaves entered; panics the addon
 * catches; a test file that throws while it loads. Each keeps the run's outcome (the same tests pass and fail as
 * without the plugin) and puts every span in the test whose code made it.
 */
import { describe, expect, test } from 'vitest'
import { classicCalls } from '../support/counts.js'
import type { Major } from './support/paths.js'
import { calls, placed, runBoth, testNamed } from './support/report.js'
import { runVitest, type Pool } from './support/run-vitest.js'

const UNTRACED = { FIXTURE_UNTRACED: '1' }
/** A fixture's setup (fibonacci 5, then 3) and teardown (fibonacci 2). */
const FIXTURE = classicCalls(5) + classicCalls(3) + classicCalls(2)

/** Every pool with Vitest 4.1; forks with Vitest 4.0 and 5. */
const MATRIX: Array<[Major, Pool]> = [
  ...(['forks', 'threads', 'vmForks', 'vmThreads'] as Pool[]).map((pool): [Major, Pool] => [4, pool]),
  [40, 'forks'],
  [5, 'forks'],
]

describe.each(MATRIX)('test.extend fixtures: Vitest %s, pool %s', (major, pool) => {
  test("the tests pass as without the plugin; a fixture's setup and teardown spans are its test's", () => {
    const { traced, plain } = runBoth({ project: 'extend', major, pool }, UNTRACED)
    expect(plain.exitCode, plain.stdout + plain.stderr).toBe(0)
    expect(traced.exitCode, traced.stdout + traced.stderr).toBe(0)
    expect(traced.states()).toEqual(plain.states())
    const report = traced.report()
    expect(report.problems).toEqual([])
    expect(calls(testNamed(report, 'a fixture that calls no addon'))).toBe(0)
    expect(calls(testNamed(report, 'a fixture whose setup and teardown call the addon'), 'fibonacci')).toBe(FIXTURE + classicCalls(4))
    // The fixture's teardown and a span made in onTestFinished are inside the test (Vitest 4.0 included).
    expect(calls(testNamed(report, 'both fixtures, and a span made in onTestFinished'), 'fibonacci')).toBe(FIXTURE + classicCalls(1))
    expect(report.files.flatMap((f) => f.spans)).toEqual([])
    const first = testNamed(report, 'concurrent tests with fixtures > first')
    const second = testNamed(report, 'concurrent tests with fixtures > second')
    if (major === 40) {
      // Without aroundEach, the calls of overlapping tests cannot be told apart: shared, never given to one.
      expect(placed(first.tree, 'fibonacci').shared).toBeGreaterThanOrEqual(FIXTURE)
      expect(placed(first.tree, 'fibonacci').caused).toBe(0)
    } else {
      expect(placed(first.tree, 'fibonacci')).toEqual({ caused: FIXTURE + classicCalls(6), timed: 0, shared: 0 })
      expect(placed(second.tree, 'fibonacci')).toEqual({ caused: FIXTURE + classicCalls(7), timed: 0, shared: 0 })
      expect(calls(testNamed(report, 'concurrent tests with fixtures > third'))).toBe(0)
    }
  })
})

describe.each([
  [4, 'forks'],
  [4, 'threads'],
  [40, 'forks'],
] as Array<[Major, Pool]>)('long-lived parents: Vitest %s, pool %s', (major, pool) => {
  test("a span made on the JavaScript thread is the test's whose call made it, whatever its parent", () => {
    const run = runVitest({ project: 'long-lived', major, pool })
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const report = run.report()
    expect(report.problems).toEqual([])
    const one = testNamed(report, 'one query')
    expect([calls(one, 'query'), calls(one, 'fibonacci')]).toEqual([1, classicCalls(5)])
    // Under the connection's root span, made in beforeAll: the path keeps the nesting.
    expect(one.tree.map((n) => n.name)).toEqual(['connection'])
    expect(one.tree[0]!.children.map((n) => [n.name, n.calls])).toEqual([['query', 1]])
    const two = testNamed(report, 'two queries')
    expect([calls(two, 'query'), calls(two, 'fibonacci')]).toEqual([2, classicCalls(3) + classicCalls(4)])
    if (major !== 40) {
      expect(placed(testNamed(report, 'overlapping queries > first').tree, 'query')).toEqual({ caused: 1, timed: 0, shared: 0 })
      expect(placed(testNamed(report, 'overlapping queries > second').tree, 'fibonacci')).toEqual({ caused: classicCalls(7), timed: 0, shared: 0 })
    }
    // The leaked guard keeps `forgotten` entered: the next test's spans are still its own.
    expect(calls(testNamed(report, 'a guard left entered'), 'fibonacci')).toBe(classicCalls(2))
    expect(calls(testNamed(report, 'the test after it'), 'fibonacci')).toBe(classicCalls(3))
    expect(report.files.flatMap((f) => f.spans.filter((s) => s.name !== 'connection'))).toEqual([])
  })
})

describe.each(['forks', 'threads'] as Pool[])('panics the addon catches (%s)', (pool) => {
  test('are no crash: the same tests pass as without the plugin, and no problem is reported', () => {
    const { traced, plain } = runBoth({ project: 'panics', pool }, UNTRACED)
    expect(plain.exitCode, plain.stdout + plain.stderr).toBe(0)
    expect(traced.exitCode, traced.stdout + traced.stderr).toBe(0)
    expect(traced.states()).toEqual(plain.states())
    const report = traced.report()
    expect(report.problems).toEqual([])
    expect(calls(testNamed(report, 'the worker goes on'), 'fibonacci')).toBe(classicCalls(4))
  })
})

test('a panic nobody catches, at napi\'s boundary: the report says it aborted the worker, and names no caught one', () => {
  const run = runVitest({ project: 'panics', pool: 'forks', env: { FIXTURE_UNCAUGHT: '1' } })
  expect(run.exitCode).not.toBe(0)
  const problems = run.report().problems
  expect(problems).toContainEqual(
    expect.stringMatching(/^the addon panicked in vitest worker \S+ \(pid \d+\), running uncaught\.test\.ts \(thread "JavaScript \(main\)", at \S+suites\.rs:\d+\): nobody catches this\. A panic inside a napi call aborts the process/),
  )
  expect(problems.filter((p) => p.includes('panicked'))).toHaveLength(1)
})

describe.each([
  ['forks', true],
  ['threads', true],
  ['forks', false],
  ['vmThreads', true],
] as Array<[Pool, boolean]>)('a test file that throws while loading (%s, isolate %s)', (pool, isolate) => {
  test('its module-load spans are reported for it, by name; the outcome is as without the plugin', () => {
    const { traced, plain } = runBoth({ project: 'load-error', pool, isolate, args: ['--maxWorkers=1'] }, UNTRACED)
    expect(plain.exitCode).toBe(1)
    expect(traced.exitCode).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    const report = traced.report()
    expect(report.problems).toEqual([])
    const outside = Object.fromEntries(report.files.map((f) => [f.file, f.spans.map((sp) => [sp.name, sp.calls])]))
    expect(outside).toEqual({ 'broken.test.ts': [['fibonacci', classicCalls(3)]], 'fine.test.ts': [['fibonacci', classicCalls(2)]] })
    expect(calls(testNamed(report, 'runs'), 'fibonacci')).toBe(classicCalls(4))
  })
})
