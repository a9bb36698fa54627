/** The span report as text: fits the width it is given, says "1 span", collapses recursion, and picks what to show. */
import pc from 'picocolors'
import { describe, expect, test } from 'vitest'
import { computeSpanReport, estimateTracing, runSetup } from '../plugin/report/model.js'
import stringWidth from 'string-width'
import { collapse, fit, formatSpanReport, plural, shownPath, widthOf, wrap } from '../plugin/report/terminal.js'
import type { PathStats } from '../plugin/data/stats.js'
import type { StatsLine } from '../plugin/data/worker-file.js'
import { stdoutTakenBy } from '../plugin/reporter/publish.js'

const c = pc.createColors(false)

function path(names: string[], calls: number, selfNs: number): PathStats {
  return { path: names.map((n) => ['my_addon', n] as const), calls, entered: calls, totalNs: selfNs * 2, selfNs, minNs: selfNs, maxNs: selfNs, lifetimeNs: 0 }
}

function made(paths: PathStats[]) {
  return { tree: paths, events: [] }
}

const results = [
  { id: 'a', file: 'a.test.ts', name: 'parses a very long source file with a name that goes on and on', state: 'passed' as const, durationMs: 1 },
  { id: 'b', file: 'a.test.ts', name: 'fails', state: 'failed' as const, durationMs: 1 },
  { id: 'c', file: 'b.test.ts', name: 'quick', state: 'passed' as const, durationMs: 1 },
]
const lines: StatsLine[] = [
  { kind: 'test', id: 'a', file: 'a.test.ts', name: results[0]!.name, state: 'passed', open: 0, ...made([path(['parse'], 1, 5e6), path(['parse', 'lex'], 1, 1e6), path(['parse', 'lex', 'lex', 'lex'], 4, 9e6)]) },
  { kind: 'test', id: 'b', file: 'a.test.ts', name: 'fails', state: 'failed', open: 0, ...made([path(['parse'], 1, 1e5)]) },
  { kind: 'test', id: 'c', file: 'b.test.ts', name: 'quick', state: 'passed', open: 0, ...made([path(['lex'], 1, 1e3)]) },
]
const report = computeSpanReport(results, lines)

describe('formatSpanReport', () => {
  test.each([40, 60, 100])('every line fits %i columns, but the command that opens the trace, which stays whole', (width) => {
    const command = 'npx vitest-napi-tracing open some/where/trace.json'
    for (const mode of ['compact', 'full', 'tree'] as const) {
      const text = formatSpanReport(report, c, { mode, top: 3, slowest: 5, width, reportPath: 'some/where/report.json', tracePath: 'some/where/trace.json' })
      expect(text).toContain(command)
      for (const line of text.split('\n')) if (line !== command) expect(widthOf(line), `${mode}: ${line}`).toBeLessThanOrEqual(width)
    }
  })

  test.each([40, 60, 100])('wide characters: CJK and emoji test and span names fit %i terminal columns, in every mode', (width) => {
    const wide = [
      { id: 'w', file: 'ユニコード.test.ts', name: '日本語のテスト名はとても長くて端末の幅を超えてしまうことがあります 🚀🚀🚀', state: 'passed' as const, durationMs: 1 },
      { id: 'e', file: 'ユニコード.test.ts', name: 'émojis 👩‍👩‍👧‍👦 and combining e\u0301 marks 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉', state: 'failed' as const, durationMs: 1 },
    ]
    const wideLines: StatsLine[] = [
      { kind: 'test', id: 'w', file: wide[0]!.file, name: wide[0]!.name, state: 'passed', open: 0, ...made([path(['解析する関数'], 3, 5e6), path(['解析する関数', '字句解析🔍🔍🔍🔍🔍🔍🔍🔍🔍🔍🔍🔍'], 2, 1e6)]) },
      { kind: 'test', id: 'e', file: wide[1]!.file, name: wide[1]!.name, state: 'failed', open: 0, ...made([path(['🎯'], 1, 1e5)]) },
    ]
    const wideReport = computeSpanReport(wide, wideLines)
    for (const mode of ['compact', 'full', 'tree'] as const) {
      const text = formatSpanReport(wideReport, c, { mode, top: 3, slowest: 5, width })
      expect(text).toContain('解析する関数')
      for (const line of text.split('\n')) expect(stringWidth(line), `${mode}: ${line}`).toBeLessThanOrEqual(width)
    }
  })

  test.each([40, 80])('the legend of spans placed by time is wrapped whole at %i columns, its fix included', (width) => {
    const timed = { ...path(['resolve'], 1, 2e5), timed: true }
    const placed = computeSpanReport([{ id: 't', file: 'a.test.ts', name: 'resolves', state: 'passed', durationMs: 1 }], [
      { kind: 'test', id: 't', file: 'a.test.ts', name: 'resolves', state: 'passed', open: 0, ...made([timed]) },
    ])
    const text = formatSpanReport(placed, c, { mode: 'compact', top: 3, slowest: 5, width })
    expect(text.replace(/\n /g, ' ')).toContain('~ placed by time: no call of the test is known to have made them (carry its caller: napi_tracing::caller())')
    for (const line of text.split('\n')) expect(stringWidth(line), line).toBeLessThanOrEqual(width)
  })

  test('fit cuts by display columns, never inside a character', () => {
    expect(fit('日本語テキスト', 7)).toBe('日本語…')
    expect(widthOf(fit('日本語テキスト', 7))).toBe(7)
    expect(fit('a/b/日本語', 6, 'start')).toBe('…本語')
    expect(fit('👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦', 5)).toBe('👩‍👩‍👧‍👦👩‍👩‍👧‍👦…')
    expect(fit('short', 10)).toBe('short')
  })

  test("the report states tracing's own cost, and flags a test that spent 10% or more of its native time on it", () => {
    const worker = (pid: number, spanCostNs: number): StatsLine => ({ kind: 'worker', pid, label: `w${pid}`, addon: 'fib', build: { optLevel: '3', version: '0.1.0' }, spanCostNs })
    const costly = computeSpanReport(results, lines)
    // Three workers measured 400, 500 and 9,000 ns: the median, not the outlier.
    costly.run = runSetup('4.1.12', 'v20', [worker(1, 400), worker(2, 9000), worker(3, 500)])
    expect(costly.run.addons).toEqual([{ label: 'fib', optLevel: '3', version: '0.1.0', spanCostNs: 500 }])
    estimateTracing(costly)
    // 'quick': one span of 1 µs self, 0.5 µs of it tracing: flagged. 'parses': 6 spans, 15 ms self: not.
    expect(costly.tests.map((t) => t.tracingMs)).toEqual([0.003, 0.0005, 0.0005])
    const text = formatSpanReport(costly, c, { mode: 'full', top: 3, slowest: 5, width: 120 })
    expect(text).toMatch(/✓ quick — 1 span · 1.0 µs self · ≈ 50% of it tracing/)
    expect(text).not.toMatch(/parses a very long .*of it tracing/)
    expect(text).toContain(' ≈ tracing cost 500 ns per span here; 1 test spent 10% or more of its native time on it (report.json: tests[].tracingMs)')
    // Not measured: nothing said.
    const plain = computeSpanReport(results, lines)
    estimateTracing(plain)
    expect(formatSpanReport(plain, c, { mode: 'full', top: 3, slowest: 5, width: 120 })).not.toContain('tracing')
  })

  test('a trace where `open` looks by default needs no argument', () => {
    const text = formatSpanReport(report, c, { mode: 'compact', top: 3, slowest: 5, width: 80, tracePath: '.vitest/napi-tracing/trace.json' })
    expect(text).toMatch(/\n {8}open it: npx vitest-napi-tracing open$/)
  })

  test('compact: the hottest paths with their test counts, recursion collapsed; failed tests first, then the slowest', () => {
    const text = formatSpanReport(report, c, { mode: 'compact', top: 3, slowest: 1, width: 100 })
    expect(text).toMatch(/^ NAPI TRACING  8 spans in 3 of 3 tests · /)
    // lex at depth 2 and its recursion below are one path.
    expect(text).toMatch(/ 10.00 ms {2}66% {2}parse › lex\^n +1 test\n/)
    expect(text).toMatch(/ 5.10 ms {2}34% {2}parse +2 tests\n/)
    expect(text.indexOf('Failed tests')).toBeLessThan(text.indexOf('Slowest tests'))
    expect(text).toMatch(/× a\.test\.ts > fails — 1 span · 100\.0 µs self/)
    // The slowest one that did not fail (slowest: 1); "quick" is not it.
    expect(text).toContain('✓ a.test.ts > parses a very long source file')
    expect(text).not.toContain('quick')
  })

  test('with JavaScript samples, full and tree give each test its thread split and its functions by self time, file and line; compact does not', () => {
    const profile = (functions: Array<[string, string, number, number]>, nativeMs: number) => ({
      samples: 40,
      nativeMs,
      jsMs: 7.5,
      idleMs: 0.25,
      functions: functions.map(([name, file, line, selfMs]) => ({ name, file, line, selfMs })),
      native: [{ name: 'parse', target: 'my_addon', selfMs: nativeMs }],
    })
    const sampled: StatsLine[] = [
      ...lines,
      { kind: 'profile', id: 'a', file: 'a.test.ts', profile: profile([['tokenize', 'src/lexer.ts', 42, 5], ['(anonymous)', 'a.test.ts', 3, 1.5]], 2) },
      // A retry's samples add up with the first attempt's.
      { kind: 'profile', id: 'a', file: 'a.test.ts', profile: profile([['tokenize', 'src/lexer.ts', 42, 1]], 1) },
      { kind: 'profile', id: '', file: 'a.test.ts', profile: profile([['load', 'node_modules/some/very/deep/path/to/a/module/that/goes/on/index.js', 10, 3]], 0) },
    ]
    const withJs = computeSpanReport(results, sampled)
    expect(withJs.tests[0]!.js).toEqual({
      samples: 80,
      nativeMs: 3,
      jsMs: 15,
      idleMs: 0.5,
      functions: [
        { name: 'tokenize', file: 'src/lexer.ts', line: 42, selfMs: 6 },
        { name: '(anonymous)', file: 'a.test.ts', line: 3, selfMs: 1.5 },
      ],
      native: [{ name: 'parse', target: 'my_addon', selfMs: 3 }],
    })
    expect(withJs.tests[1]!.js).toBeUndefined()
    expect(withJs.files.find((f) => f.file === 'a.test.ts')?.js?.functions[0]?.name).toBe('load')
    for (const mode of ['full', 'tree'] as const) {
      const text = formatSpanReport(withJs, c, { mode, top: 3, slowest: 5, width: 100 })
      expect(text).toContain('JavaScript thread: 15.00 ms JS · 3.00 ms in native calls · 500.0 µs idle (80 samples)')
      expect(text).toMatch(/\n {7}ƒ tokenize +src\/lexer\.ts:42 +self +6\.00 ms\n {7}ƒ \(anonymous\) +a\.test\.ts:3 +self +1\.50 ms\n/)
      for (const width of [40, 60, 100]) {
        for (const line of formatSpanReport(withJs, c, { mode, top: 3, slowest: 5, width }).split('\n')) expect(widthOf(line), `${mode} ${width}: ${line}`).toBeLessThanOrEqual(width)
      }
    }
    expect(formatSpanReport(withJs, c, { mode: 'compact', top: 3, slowest: 5, width: 100 })).not.toContain('ƒ tokenize')
  })

  test("each test's memory growth, attempts added up", () => {
    const grown = computeSpanReport(results, [
      { ...lines[0]!, memory: { heapUsed: 1_000, rss: 4_096 } } as StatsLine,
      { ...lines[0]!, memory: { heapUsed: -200, rss: 0 } } as StatsLine,
      lines[1]!,
    ])
    expect(grown.tests[0]!.memory).toEqual({ heapUsed: 800, rss: 4_096 })
    expect(grown.tests[1]!.memory).toBeUndefined()
  })

  test("tree: each node with its share of the test's time", () => {
    const text = formatSpanReport(report, c, { mode: 'tree', top: 3, slowest: 5, width: 120 })
    expect(text).toMatch(/\n {7}parse +1× +total +10\.00 ms +self +5\.00 ms +100\.0%\n {9}lex +1× +total +2\.00 ms +self +1\.00 ms +20\.0%\n/)
  })
})

test('plural, collapse, fit and wrap', () => {
  expect([plural(1, 'span'), plural(2, 'span'), plural(1000, 'test')]).toEqual(['1 span', '2 spans', '1,000 tests'])
  expect(collapse(['fan_out', 'worker', 'fibonacci', 'fibonacci', 'fibonacci', 'lex'])).toBe('fan_out › worker › fibonacci^3 › lex')
  expect(fit('abcdefgh', 5)).toBe('abcd…')
  expect(fit('abcdefgh', 5, 'start')).toBe('…efgh')
  expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four'])
  // A path longer than the width stays whole, to be copied.
  expect(wrap('see /a/long/path/report.json now', 9)).toEqual(['see', '/a/long/path/report.json', 'now'])
  expect(shownPath('/work/app/.vitest/napi-tracing/trace.json', '/work/app')).toBe('.vitest/napi-tracing/trace.json')
  expect(shownPath('/tmp/out/trace.json', '/work/app')).toBe('/tmp/out/trace.json')
})

describe('a machine-readable reporter on stdout sends the span report to stderr', () => {
  const vitest = (version: string, reporters: unknown[], outputFile?: unknown) => ({ version, config: { reporters, outputFile } }) as never
  test.each([
    ['4.1.12', [['json', {}]], undefined, 'json'],
    ['4.1.12', [['json', {}]], { json: 'out.json' }, undefined],
    ['4.1.12', [['json', {}]], 'out.json', undefined],
    ['4.1.12', [['default', {}], ['junit', {}]], undefined, 'junit'],
    ['5.1.1', [['json', {}]], undefined, undefined],
    ['5.1.1', [['json', { stdout: true }]], undefined, 'json'],
    ['5.1.1', [['tap', {}]], undefined, 'tap'],
    ['4.1.12', [['default', {}], { onInit() {} }], undefined, undefined],
  ])('Vitest %s, reporters %j, outputFile %j: %s', (version, reporters, outputFile, taken) => {
    expect(stdoutTakenBy(vitest(version, reporters, outputFile))).toBe(taken)
  })
})
