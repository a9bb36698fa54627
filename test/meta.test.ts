/** The span data the worker puts in Vitest's task meta, and the statistics lines a merged run rebuilds from it. */
import { describe, expect, test } from 'vitest'
import { linesFromMeta, testMeta, type NapiTracingFileMeta, type NapiTracingMeta } from '../plugin/data/meta.js'
import type { Made } from '../plugin/data/worker-file.js'
import type { PathStats } from '../plugin/data/stats.js'

function path(names: string[], calls: number, selfNs: number, extra: Partial<PathStats> = {}): PathStats {
  return { path: names.map((n) => ['fib', n]), calls, entered: calls, totalNs: selfNs * 2, selfNs, minNs: 10, maxNs: selfNs, lifetimeNs: 0, ...extra }
}

const made: Made = {
  tree: [path(['parse'], 2, 4_000_000), path(['parse', 'token'], 30, 1_500_000), path(['token'], 5, 500_000, { timed: true })],
  events: [
    { message: 'slow', target: 'fib', level: 'WARN', count: 3 },
    { message: 'bad', target: 'fib', level: 'ERROR', count: 1 },
    { message: 'fine', target: 'fib', level: 'INFO', count: 9 },
  ],
}

describe('testMeta', () => {
  test('counts every path once, sums self time in ms, counts warnings and errors, keeps the tree and events whole', () => {
    const meta = testMeta(made, 1)
    expect(meta).toMatchObject({ spanCount: 37, selfMs: 6, warnings: 3, errors: 1, open: 1 })
    expect(meta.tree).toEqual(made.tree)
    expect(meta.events).toEqual(made.events)
    // By name: `token` under `parse` and alone sum together, but one placed by time stays apart.
    expect(meta.spans.map((s) => [s.name, s.calls, s.timed ?? false])).toEqual([
      ['parse', 2, false],
      ['token', 30, false],
      ['token', 5, true],
    ])
    // JSON-safe: what Vitest sends from the worker and writes into blob reports.
    expect(JSON.parse(JSON.stringify(meta))).toEqual(meta)
  })

  test('keeps the ten biggest names only in `spans`, every path in `tree`', () => {
    const wide: Made = { tree: Array.from({ length: 14 }, (_, i) => path([`span${i}`], 1, (i + 1) * 1000)), events: [] }
    const meta = testMeta(wide, 0)
    expect(meta.spans).toHaveLength(10)
    expect(meta.tree).toHaveLength(14)
  })
})

describe('linesFromMeta', () => {
  const task = (id: string, name: string, state: string, meta?: NapiTracingMeta) => ({ id, name, meta: () => (meta ? { napiTracing: meta } : {}), result: () => ({ state }) })
  const module = (file: string, fileMeta: NapiTracingFileMeta | undefined, tests: ReturnType<typeof task>[]) => ({
    moduleId: `/abs/${file}`,
    relativeModuleId: file,
    meta: () => (fileMeta ? { napiTracing: fileMeta } : {}),
    children: { allTests: () => tests },
  })

  test('rebuilds the lines a worker writes: each traced test, the file when it made something, the shards', () => {
    const outside: Made = { tree: [path(['load'], 1, 100)], events: [] }
    const { lines, shards } = linesFromMeta([
      module('a.test.ts', { outside, shard: '1/2' }, [task('a1', 'parses', 'passed', testMeta(made, 0)), task('a2', 'untraced', 'skipped')]),
      module('b.test.ts', { outside: { tree: [], events: [] }, shard: '1/2' }, [task('b1', 'fails', 'failed', testMeta(made, 2))]),
    ], (m) => m.relativeModuleId)
    expect([...shards]).toEqual(['1/2'])
    expect(lines).toEqual([
      { kind: 'file', file: 'a.test.ts', ...outside },
      { kind: 'test', id: 'a1', file: 'a.test.ts', name: 'parses', state: 'passed', open: 0, ...made },
      { kind: 'test', id: 'b1', file: 'b.test.ts', name: 'fails', state: 'failed', open: 2, ...made },
    ])
  })
})
