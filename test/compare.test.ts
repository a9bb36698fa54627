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
    expect(compareReports(base, base, 'base.json')).toEqual({ baseline: 'base.json', threshold: 2, tests: 1, changes: [] })
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

  test('a change smaller than 0.02 ms per span is noise, however many times', () => {
    const tiny = run([node('parse', 1, 1, 1, [node('lex', 10, 0.05), node('build_tree', 3, 0.2)]), node('hash', 1, 0.001)])
    const tinyLater = run([node('parse', 1, 1, 1, [node('lex', 10, 0.05), node('build_tree', 3, 0.2)]), node('hash', 1, 0.01)])
    expect(compareReports(tiny, tinyLater, 'b').changes).toEqual([])
  })

  test('paths that appear or go away; skipped tests and tests in one run only are left out', () => {
    expect(changes(run([node('parse', 1, 1, 1, [node('lex', 10, 0.05)]), node('check', 2, 0.1)]))).toEqual(['new check (2×)', 'gone parse › build_tree (was 3×)'])
    expect(compareReports(base, run([], 'skipped'), 'b')).toMatchObject({ tests: 0, changes: [] })
    const other = run([])
    other.tests[0]!.name = 'another test'
    expect(compareReports(base, other, 'b')).toMatchObject({ tests: 0, changes: [] })
  })
})
