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
  test('a traced run without a single span names the filter, where it came from, what it hid and the level to widen it to', () => {
    const hidden = ['DEBUG resolver_addon::resolve', 'DEBUG resolver_addon::lookup', 'TRACE resolver_addon::step']
    expect(filterEnabledNothing({ directives: 'info', source: 'default' }, 0, true, hidden)).toEqual([
      "filter 'info' (the default) enabled no spans: the run has none, and the addons met 3 span callsites it turned off " +
        '(DEBUG resolver_addon::resolve, DEBUG resolver_addon::lookup, TRACE resolver_addon::step). ' +
        "Widen it to their level: napiTracing({ filter: 'trace' }) or RUST_LOG=trace.",
    ])
    const one = filterEnabledNothing({ directives: 'warn', source: 'option' }, 0, true, ['INFO a::b'])[0]
    expect(one).toContain("filter 'warn' (napiTracing({ filter })) enabled no spans")
    expect(one).toContain('1 span callsite it turned off (INFO a::b)')
    expect(one).toContain("napiTracing({ filter: 'info' })")
  })

  test('spans, nothing traced at all, or nothing the filter hid (another cause, reported as itself): nothing to say', () => {
    expect(filterEnabledNothing({ directives: 'info', source: 'default' }, 3, true, ['DEBUG a::b'])).toEqual([])
    expect(filterEnabledNothing({ directives: 'info', source: 'default' }, 0, false, ['DEBUG a::b'])).toEqual([])
    // The case: every worker died, so no span at all, though 'trace' hides nothing.
    expect(filterEnabledNothing({ directives: 'trace', source: 'option' }, 0, true, [])).toEqual([])
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
