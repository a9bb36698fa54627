/** The report's own checks: what a run's data says went wrong, each with its fix. */
import { describe, expect, test } from 'vitest'
import { filterEnabledNothing, misplacedInstrument, untracedFiles } from '../plugin/report/checks.js'

describe('untracedFiles', () => {
  const files = [
    { path: '/p/a.test.ts', file: 'a.test.ts', ran: true },
    { path: '/p/b.test.ts', file: 'b.test.ts', ran: true },
    { path: '/p/c.test.ts', file: 'c.test.ts', ran: false },
  ]

  test('every file that ran was seen: nothing to say', () => {
    expect(untracedFiles(files, new Set(['/p/a.test.ts', '/p/b.test.ts']))).toEqual([])
  })

  test('a file that ran unseen is named; one whose tests were all skipped is not', () => {
    expect(untracedFiles(files, new Set(['/p/a.test.ts']))).toEqual([expect.stringMatching(/^1 test file ran without the tracer seeing it begin, so its spans are missing from this report: b\.test\.ts\. .*server\.deps\.inline/)])
  })
})

describe('filterEnabledNothing', () => {
  test('a traced run without a single span names the filter and where it came from', () => {
    expect(filterEnabledNothing({ directives: 'off', source: 'RUST_LOG' }, 0, true)).toEqual([
      "filter 'off' (from RUST_LOG) enabled no spans: the run has none. If the addon should have made some, widen it: napiTracing({ filter: 'trace' }) or RUST_LOG=trace.",
    ])
    expect(filterEnabledNothing({ directives: 'warn', source: 'option' }, 0, true)[0]).toContain("filter 'warn' (napiTracing({ filter }))")
  })

  test('spans, or nothing traced at all (reported elsewhere): nothing to say', () => {
    expect(filterEnabledNothing({ directives: 'info', source: 'default' }, 3, true)).toEqual([])
    expect(filterEnabledNothing({ directives: 'info', source: 'default' }, 0, false)).toEqual([])
  })
})

describe('misplacedInstrument', () => {
  test("napi's generated callback is named once, with the function and the fix", () => {
    const spans = [
      { name: 'parse_c_callback', target: 'my_addon' },
      { name: 'parse', target: 'my_addon' },
      { name: 'parse_c_callback', target: 'my_addon' },
    ]
    expect(misplacedInstrument(spans)).toEqual([
      'span "parse_c_callback" (my_addon) is napi\'s generated callback, not parse: #[tracing::instrument] stands below #[napi] on parse. Put it above #[napi] so that it wraps parse itself (its spans are then named "parse").',
    ])
    expect(misplacedInstrument([{ name: 'parse', target: 'my_addon' }])).toEqual([])
  })
})
