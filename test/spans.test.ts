/** A test's spans as data: counts, tree, paths, events, and the snapshot text that never holds a time. */
import { describe, expect, test } from 'vitest'
import { NapiSpans } from '../src/spans.js'
import type { PathStats } from '../src/stats.js'

function path(names: string[], calls: number, extra: Partial<PathStats> = {}): PathStats {
  return { path: names.map((n) => ['my_addon', n] as const), calls, totalNs: calls * 1000, selfNs: calls * 500, minNs: 100, maxNs: 2000, ...extra }
}

const spans = new NapiSpans({
  spans: [],
  tree: [
    path(['parse'], 1),
    path(['parse', 'parse_text'], 1),
    path(['parse', 'parse_text', 'build_tree'], 3),
    path(['parse', 'lex'], 2),
    { ...path(['parse', 'lex'], 5), shared: true },
    { path: [['my_addon', 'parse'], ['salsa', 'executing query']], calls: 1, totalNs: 10, selfNs: 10, minNs: 10, maxNs: 10 },
  ],
  events: [
    { message: 'cache miss', target: 'salsa', level: 'DEBUG', count: 1 },
    { message: 'slow', target: 'my_addon', level: 'WARN', count: 2 },
    { message: 'shared', target: 'my_addon', level: 'WARN', count: 2, shared: true },
  ],
})

describe('NapiSpans', () => {
  test('counts by name over every path; spans shared with concurrent tests are not this test’s', () => {
    expect(spans.count('lex')).toBe(2)
    expect(spans.count('build_tree')).toBe(3)
    expect(spans.count()).toBe(1 + 1 + 3 + 2 + 1)
  })

  test('find() walks a path from a root, written as an array or with › or >', () => {
    expect(spans.find('parse › parse_text › build_tree')?.calls).toBe(3)
    expect(spans.find('parse > lex')?.calls).toBe(2)
    expect(spans.find(['parse', 'executing query'])?.target).toBe('salsa')
    expect(spans.find('parse › build_tree')).toBeUndefined()
  })

  test('events by message, exact or matched', () => {
    expect(spans.events('slow')).toEqual([{ message: 'slow', target: 'my_addon', level: 'WARN', count: 2 }])
    expect(spans.events(/miss/).map((e) => e.message)).toEqual(['cache miss'])
    expect(spans.events()).toHaveLength(2)
  })

  test('the snapshot text: paths by name with their calls, targets where they change, events; no times', () => {
    expect(spans.snapshot()).toBe(
      [
        'my_addon::parse ×1',
        'my_addon::parse › salsa::executing query ×1',
        'my_addon::parse › lex ×2',
        'my_addon::parse › parse_text ×1',
        'my_addon::parse › parse_text › build_tree ×3',
        'event DEBUG "cache miss" ×1',
        'event WARN "slow" ×2',
      ].join('\n'),
    )
  })
})
