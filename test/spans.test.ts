/** A test's spans as data: counts, tree, paths, events, and the snapshot text that never holds a time. */
import { describe, expect, test } from 'vitest'
import { NapiSpans } from '../plugin/spans.js'
import type { PathStats } from '../plugin/data/stats.js'
import type { Made } from '../plugin/data/worker-file.js'

function path(names: string[], calls: number, extra: Partial<PathStats> = {}): PathStats {
  return { path: names.map((n) => ['my_addon', n] as const), calls, entered: calls, totalNs: calls * 1000, selfNs: calls * 500, minNs: 100, maxNs: 2000, lifetimeNs: 0, ...extra }
}

const made: Made = {
  tree: [
    path(['parse'], 1),
    path(['parse', 'parse_text'], 1),
    path(['parse', 'parse_text', 'build_tree'], 3),
    path(['parse', 'lex'], 2),
    { ...path(['parse', 'lex'], 5), shared: true },
    { path: [['my_addon', 'parse'], ['salsa', 'executing query']], calls: 1, entered: 1, totalNs: 10, selfNs: 10, minNs: 10, maxNs: 10, lifetimeNs: 0 },
  ],
  events: [
    { message: 'cache miss', target: 'salsa', level: 'DEBUG', count: 1 },
    { message: 'slow', target: 'my_addon', level: 'WARN', count: 2 },
    { message: 'shared', target: 'my_addon', level: 'WARN', count: 2, shared: true },
  ],
}
const spans = new NapiSpans(made)

describe('NapiSpans', () => {
  test('counts by name over every path; a name with spans not known to be this test’s is never miscounted', () => {
    expect(spans.count('build_tree')).toBe(3)
    expect(spans.count('executing query')).toBe(1)
    // 5 `lex` spans may be a concurrent test's: a count of 2 would be a guess.
    expect(() => spans.count('lex')).toThrow(/count\("lex"\): 5 spans named "lex" are not known to be this test's: 5 may belong to a concurrent test as well.*napi_tracing::caller\(\).*include: 'all'/)
    expect(() => spans.count()).toThrow(/5 spans are not known/)
    expect(spans.leftOut('build_tree')).toBeUndefined()
    // Asked for, they are counted.
    const all = new NapiSpans(made, { include: 'all' })
    expect(all.count('lex')).toBe(7)
    expect(all.count()).toBe(1 + 1 + 3 + 2 + 5 + 1)
  })

  test('spans placed by time are left out, and said so', () => {
    const timed = new NapiSpans({ tree: [path(['resolve'], 1, { timed: true }), path(['resolve_sync'], 2)], events: [] })
    expect(timed.count('resolve_sync')).toBe(2)
    expect(() => timed.count('resolve')).toThrow(/1 span named "resolve" is not known to be this test's: 1 was placed in this test by time only/)
    expect(timed.tree().map((n) => n.name)).toEqual(['resolve_sync'])
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
