/** Two runs compared: counts exactly, times only beyond the threshold in both the shortest and the mean span. */
import { describe, expect, test } from 'vitest'
import { compareReports, describeChange, isRegression } from '../plugin/report/compare.js'
import type { ReportNode, ReportTest, SpanReport } from '../plugin/report/model.js'

/** A node with `calls` spans of `meanMs` each, the shortest `minMs`. */
function node(name: string, calls: number, meanMs: number, minMs = meanMs, children: ReportNode[] = []): ReportNode {
  return { name, target: 'addon', calls, totalMs: calls * meanMs, selfMs: calls * meanMs, minMs, maxMs: meanMs * 2 - minMs, children }
}

function run(tree: ReportNode[], state: ReportTest['state'] = 'passed'): SpanReport {
  const test: ReportTest = { file: 'a.test.ts', name: 'parses', state, durationMs: 1, spans: [], openSpans: 0, tree, events: [], warnings: 0, errors: 0 }
  return { version: 2, tests: [test], files: [], droppedRecords: 0, problems: [] }
}

const base = run([node('parse', 1, 1, 1, [node('lex', 10, 0.05), node('build_tree', 3, 0.2)])])
const changes = (next: SpanReport, threshold?: number) => compareReports(base, next, 'base.json', threshold ? { threshold } : {}).changes.map(describeChange)

describe('compareReports', () => {
  test('the same figures: no change', () => {
    expect(compareReports(base, base, 'base.json')).toMatchObject({ baseline: 'base.json', threshold: 2, tests: 1, setup: [], changes: [] })
  })

  test('any change in calls is shown, and more calls are a regression', () => {
    const next = run([node('parse', 1, 1, 1, [node('lex', 10, 0.05), node('build_tree', 4, 0.2)])])
    expect(changes(next)).toEqual(['+1 call parse › build_tree'])
    expect(isRegression(compareReports(base, next, 'b').changes[0]!)).toBe(true)
    const fewer = run([node('parse', 1, 1, 1, [node('lex', 8, 0.05), node('build_tree', 3, 0.2)])])
    expect(changes(fewer)).toEqual(['−2 calls parse › lex'])
    expect(isRegression(compareReports(base, fewer, 'b').changes[0]!)).toBe(false)
  })

  test('slower only when both the shortest and the mean span moved beyond the threshold', () => {
    // One slow outlier: the mean doubles, the shortest span does not move.
    expect(changes(run([node('parse', 1, 1, 1, [node('lex', 10, 0.11, 0.05), node('build_tree', 3, 0.2)])]))).toEqual([])
    // Everything 3× slower; parse, called once, is one sample: not judged.
    expect(changes(run([node('parse', 1, 3, 3, [node('lex', 10, 0.15), node('build_tree', 3, 0.6)])]))).toEqual(['↑ 3.0× parse › lex', '↑ 3.0× parse › build_tree'])
    // 3× slower is not beyond a threshold of 4.
    expect(changes(run([node('parse', 1, 3, 3, [node('lex', 10, 0.15), node('build_tree', 3, 0.6)])]), 4)).toEqual([])
    // Faster is shown, and is not a regression.
    const faster = compareReports(base, run([node('parse', 1, 1, 1, [node('lex', 10, 0.05), node('build_tree', 3, 0.06)])]), 'b').changes
    expect(faster.map(describeChange)).toEqual(['↓ 3.3× faster parse › build_tree'])
    expect(isRegression(faster[0]!)).toBe(false)
  })

  test('noise seen on a loaded 2-core machine is not a change: two cold calls, or a few µs in all', () => {
    const at = (calls: number, meanMs: number) => run([node('parse', 1, 1, 1, [node('lex', 10, 0.05), node('build_tree', 3, 0.2)]), node('resolve', calls, meanMs)])
    // Two calls of 8.6 µs, then of 33 µs (3.8×, both cold in a fresh worker): too few calls to judge.
    expect(compareReports(at(2, 0.0086), at(2, 0.033), 'b').changes).toEqual([])
    // Four calls 3.8× slower, 0.1 ms lost in all: within what one preemption costs.
    expect(compareReports(at(4, 0.0086), at(4, 0.0336), 'b').changes).toEqual([])
    // Forty of them, 1 ms lost: slower.
    expect(compareReports(at(40, 0.0086), at(40, 0.0336), 'b').changes.map(describeChange)).toEqual(['↑ 3.9× resolve'])
  })

  test('paths that appear or go away; skipped tests and tests in one run only are left out', () => {
    expect(changes(run([node('parse', 1, 1, 1, [node('lex', 10, 0.05)]), node('check', 2, 0.1)]))).toEqual(['new check (2×)', 'gone parse › build_tree (was 3×)'])
    expect(compareReports(base, run([], 'skipped'), 'b')).toMatchObject({ tests: 0, changes: [] })
    const other = run([])
    other.tests[0]!.name = 'another test'
    expect(compareReports(base, other, 'b')).toMatchObject({ tests: 0, changes: [] })
  })
})

/** A run of `tests` tests, each making one `work` span of `ms` (and `timed` ones of `resolve`, placed by time). */
function suite(tests: number, ms: (i: number) => number, timedCalls = 0): SpanReport {
  const report = run([])
  report.tests = Array.from({ length: tests }, (_, i): ReportTest => ({
    file: 'once.test.ts',
    name: `test ${i}`,
    state: 'passed',
    durationMs: 1,
    spans: [],
    openSpans: 0,
    tree: [node('work', 1, ms(i)), ...(timedCalls > 0 ? [{ ...node('resolve', timedCalls, 0.1), timed: true }] : [])],
    events: [],
    warnings: 0,
    errors: 0,
  }))
  return report
}

describe('times over the run: one sample per test', () => {
  const jitter = (i: number) => 0.2 * (1 + ((i * 7919) % 13) / 100)

  test('a path called once in each of 20 tests, 3× slower: flagged over the run, and said how it was judged', () => {
    const comparison = compareReports(suite(20, jitter), suite(20, (i) => 3 * jitter(i)), 'b')
    expect(comparison.changes.map(describeChange)).toEqual(['↑ 3.0× work (median over the run)'])
    expect(comparison.changes[0]).toMatchObject({ test: '(all tests)', over: 'run' })
    expect(isRegression(comparison.changes[0]!)).toBe(true)
    expect(comparison.paths).toEqual([expect.objectContaining({ path: 'work', judged: true, samples: [20, 20], why: expect.stringMatching(/^over 20 and 20 tests: median 0\.\d+ → 0\.\d+ ms \(3\.00×\), threshold 2×$/) })])
  })

  test('a path 20 tests make three times each, every call of one test 5.8× slower (a burst of load): judged over the run only, not flagged', () => {
    const spins = (slowTest: number) => {
      const report = suite(20, jitter)
      report.tests.forEach((t, i) => (t.tree = [node('spin', 3, i === slowTest ? 5.8 * 0.2 : 0.2)]))
      return report
    }
    const comparison = compareReports(spins(-1), spins(11), 'b')
    expect(comparison.changes).toEqual([])
    expect(comparison.paths).toEqual([expect.objectContaining({ path: 'spin', judged: true })])
  })

  test('identical code: nothing flagged; too few tests: not judged, and said why', () => {
    expect(compareReports(suite(20, jitter), suite(20, (i) => jitter(19 - i)), 'b').changes).toEqual([])
    const few = compareReports(suite(3, jitter), suite(3, (i) => 5 * jitter(i)), 'b')
    expect(few.changes).toEqual([])
    expect(few.paths).toEqual([expect.objectContaining({ judged: false, why: 'made in 3 and 3 tests: fewer than 5 samples in a run' })])
  })

  test('kept runs widen a path’s threshold to the spread they showed', () => {
    // Earlier runs were up to 2.8× apart: a 2.5× change is within that noise.
    const history = [suite(10, jitter), suite(10, (i) => 2.8 * jitter(i))]
    const comparison = compareReports(suite(10, jitter), suite(10, (i) => 2.5 * jitter(i)), 'b', { history })
    expect(comparison.changes).toEqual([])
    expect(comparison.paths[0]).toMatchObject({ judged: true, threshold: expect.closeTo(3.5, 1) })
    expect(comparison.paths[0]!.why).toMatch(/kept runs spread 2\.\d+×/)
  })
})

describe('what cannot be exact is never a regression', () => {
  test('calls of spans placed by time are shown, marked, and never a regression', () => {
    const comparison = compareReports(suite(5, () => 0.2, 1), suite(5, () => 0.2, 2), 'b')
    expect(comparison.changes).toHaveLength(5)
    expect(comparison.changes.map(describeChange)).toEqual(Array(5).fill('+1 call resolve ~ placed by time'))
    expect(comparison.changes.filter(isRegression)).toEqual([])
  })

  test('runs made differently say so first: filters, Vitest, Node, the addons’ builds', () => {
    const before = { ...suite(1, () => 1), filter: { directives: 'info', source: 'option' as const }, run: { vitest: '4.1.12', node: 'v20.20.2', addons: [{ label: './index.js', optLevel: '0', version: '0.1.0' }] } }
    const after = { ...suite(1, () => 1), filter: { directives: 'trace', source: 'option' as const }, run: { vitest: '5.1.2', node: 'v24.21.0', addons: [{ label: './index.js', optLevel: '3', version: '0.1.0' }] } }
    expect(compareReports(before, after, 'b').setup).toEqual([
      "the runs used different filters ('info' and 'trace'): paths one of them hides are new or gone for that alone",
      'the runs used different Vitest versions (4.1.12 and 5.1.2)',
      'the runs used different Node versions (v20.20.2 and v24.21.0)',
      'addon "./index.js" was built at opt-level 0 and now at 3: its times compare builds, not changes',
    ])
  })
})

describe('counts that vary between identical runs: learnt from kept runs', () => {
  /** A test whose `poll_io` span is called `ops` times, each polled: `polls` `poll` spans in all. */
  const polled = (polls: number, ops = 1) => run([node('poll_io', ops, 1, 1, [node('poll', polls, 0.01)])])
  const gated = (history: SpanReport[], base: SpanReport, next: SpanReport) => compareReports(base, next, 'b', { history })

  test('a path whose count varied across kept runs is judged by the range they showed; far outside it, flagged', () => {
    const history = [1293, 1297, 1295, 1294].map((n) => polled(n))
    // Identical code: 1,298 polls this time, just past what was seen.
    const same = gated(history, history.at(-1)!, polled(1298))
    expect(same.changes).toEqual([])
    expect(same.paths.find((p) => p.path === 'poll_io › poll')).toMatchObject({ counts: 'range', countsWhy: 'counts vary across 4 kept runs in 1 test: judged by the range they showed' })
    expect(same.paths.find((p) => p.path === 'poll_io')).toMatchObject({ counts: 'exact', countsWhy: 'counts gated exactly (the same in 4 kept runs)' })
    expect(same.varying).toEqual([{ test: 'a.test.ts > parses', path: 'poll_io › poll', range: [1293, 1297] }])
    // The addon called twice as often: the exact parent and the varying path are both regressions.
    const doubled = gated(history, history.at(-1)!, polled(2590, 2))
    expect(doubled.changes.map(describeChange)).toEqual(['+1 call poll_io', '+1,296 calls poll_io › poll (kept runs: 1,293–1,297)'])
    expect(doubled.changes.every(isRegression)).toBe(true)
  })

  test('a range once learnt outlives the kept runs that showed it: a later comparison keeps it from report.json', () => {
    const older = gated([polled(1293), polled(1297)], polled(1297), polled(1295))
    const kept = { ...polled(1295), comparison: older }
    // Three later kept runs happened to agree: the range learnt earlier still applies.
    const history = [kept, polled(1295), polled(1295)]
    const next = gated(history, history.at(-1)!, polled(1297))
    expect(next.changes).toEqual([])
    expect(next.varying).toEqual([{ test: 'a.test.ts > parses', path: 'poll_io › poll', range: [1293, 1297] }])
  })

  test('a count is gated exactly once 3 kept runs agree; until then a change is shown, learning, never a regression', () => {
    const two = gated([polled(40), polled(40)], polled(40), polled(41))
    expect(two.changes.map(describeChange)).toEqual(['+1 call poll_io › poll ~ learning (too few kept runs agree to gate it)'])
    expect(two.changes.filter(isRegression)).toEqual([])
    expect(two.paths.find((p) => p.path === 'poll_io › poll')).toMatchObject({ counts: 'learning' })
    const three = gated([polled(40), polled(40), polled(40)], polled(40), polled(41))
    expect(three.changes.map(describeChange)).toEqual(['+1 call poll_io › poll'])
    expect(three.changes.every(isRegression)).toBe(true)
    // A baseline that is not among the kept runs counts as one more.
    expect(gated([polled(40), polled(40)], run([node('poll_io', 1, 1, 1, [node('poll', 40, 0.02)])]), polled(41)).changes.every(isRegression)).toBe(true)
  })

  test('without kept runs every count is gated exactly, and the comparison says so', () => {
    const plain = compareReports(polled(40), polled(41), 'b')
    expect(plain.changes.map(describeChange)).toEqual(['+1 call poll_io › poll'])
    expect(plain).toMatchObject({ keptRuns: 0 })
    expect(plain.paths[0]).toMatchObject({ counts: 'exact', countsWhy: 'counts gated exactly (no kept runs to learn which vary)' })
  })
})

describe('times in a test: a cold first call is not a slowdown', () => {
  /** `calls` calls of 10 µs, the slowest `slowMs`, the shortest `minMs`. */
  const calls = (count: number, minMs: number, slowMs: number, restMs = minMs) =>
    run([{ name: 'connect', target: 'addon', calls: count, totalMs: minMs + slowMs + restMs * (count - 2), selfMs: 0, minMs, maxMs: slowMs, children: [] }])

  test('three calls, one of them cold (33× the others) and the shortest 2.1× from jitter: not slower', () => {
    const base = calls(3, 0.01, 0.012, 0.011)
    const next = calls(3, 0.021, 1.1, 0.022)
    expect(compareReports(base, next, 'b').changes).toEqual([])
  })

  test('every call 3× slower is still flagged, the ratio from the warm calls', () => {
    const base = calls(3, 0.3, 0.31)
    const next = calls(3, 0.9, 0.93)
    expect(compareReports(base, next, 'b').changes.map(describeChange)).toEqual(['↑ 3.0× connect'])
  })

  test("kept runs widen a test's path's threshold to the spread they showed there", () => {
    const history = [calls(5, 0.1, 0.1), calls(5, 0.3, 0.3)]
    expect(compareReports(history[0]!, calls(5, 0.25, 0.25), 'b', { history }).changes).toEqual([])
    expect(compareReports(history[0]!, calls(5, 0.5, 0.5), 'b', { history }).changes.map(describeChange)).toEqual(['↑ 5.0× connect'])
  })
})
