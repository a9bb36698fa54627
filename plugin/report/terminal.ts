/**
 * The span report as text, beside Vitest's own output. Pure: colours come in
 * as a picocolors `Colors` and the width as a number, so tests compare plain
 * text. Every line fits `width` columns, but for paths and commands, which
 * are printed whole to be copied.
 *
 * - `compact` (the default): the run in one line, the hottest span paths by
 *   self time across the run, then detail only for failed tests and the
 *   slowest few;
 * - `full`: every test of every file with every span name;
 * - `tree`: every test's call tree, indented, with each node's share of the
 *   test's time.
 *
 * With JavaScript samples (`profile`), `full` and `tree` also give each
 * test's JavaScript thread: its time in native calls, JavaScript and idle,
 * and its JavaScript functions by self time, beside the native spans.
 */
import { isAbsolute, relative } from 'node:path'
import type { Colors } from 'picocolors/types.js'
import stringWidth from 'string-width'
import { describeChange, isRegression } from './compare.js'
import { DEFAULT_OUTPUT_DIR, nativeMs, spanCostNs, spanCount, TRACING_SHARE_FLAGGED, type ReportBenchmark, type ReportNode, type Comparison, type ReportProfile, type ReportSpan, type ReportTest, type SpanReport, type TestState } from './model.js'

export interface TerminalOptions {
  mode: 'compact' | 'full' | 'tree'
  /** Span rows per test shown in compact mode. */
  top: number
  /** Tests shown in detail for being the slowest (compact). */
  slowest: number
  /** Columns each line may take. */
  width: number
  /** Paths to print at the end, relative to the working directory. */
  reportPath?: string
  tracePath?: string
}

/** Span paths in the compact summary. */
const HOTTEST = 5
/** JavaScript functions shown per test (`full`, `tree`); report.json has 10. */
const FUNCTIONS = 5

const MARK: Record<TestState, string> = { passed: '✓', failed: '×', skipped: '↓', pending: '…' }

/**
 * A path as the report shows it: relative to `cwd` when it is inside it
 * (short, and copyable from there), else as given.
 */
export function shownPath(path: string, cwd: string): string {
  const inside = relative(cwd, path)
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path
}

/** `1 span`, `2 spans`, `1,000 spans`. */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`
}

/** 1.23 s, 12.3 ms, 45.6 µs, 789 ns. */
export function time(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 1) return `${ms.toFixed(2)} ms`
  if (ms >= 0.001) return `${(ms * 1000).toFixed(1)} µs`
  return `${Math.round(ms * 1e6)} ns`
}

/** Columns `text` takes in a terminal: East Asian wide characters and emoji take 2, combining marks 0. */
export function widthOf(text: string): number {
  return stringWidth(text)
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** Cuts `text` to `width` columns, marking the cut with `…` (at the start for paths, whose end matters); never splits a character. */
export function fit(text: string, width: number, from: 'end' | 'start' = 'end'): string {
  if (widthOf(text) <= width) return text
  if (width <= 1) return '…'.slice(0, width)
  const parts = [...graphemes.segment(text)].map((g) => g.segment)
  if (from === 'start') parts.reverse()
  let kept = ''
  let used = 1
  for (const part of parts) {
    const w = widthOf(part)
    if (used + w > width) break
    kept = from === 'end' ? kept + part : part + kept
    used += w
  }
  return from === 'end' ? `${kept}…` : `…${kept}`
}

/** `text` padded with spaces to `width` columns. */
export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - widthOf(text)))
}

export function formatSpanReport(report: SpanReport, c: Colors, options: TerminalOptions): string {
  const width = Math.max(40, options.width)
  const out: string[] = []
  const traced = report.tests.filter((t) => t.spans.length > 0)
  const allSpans = [...report.tests.flatMap((t) => t.spans), ...report.files.flatMap((f) => f.spans)]
  const filter = report.filter ? ` · filter ${report.filter.directives}` : ''
  // Each span once: a span shared by concurrent tests is in each of their figures.
  const headline = `${plural(report.spans ?? spanCount(allSpans), 'span')} in ${traced.length} of ${plural(report.tests.length, 'test')} · ${time(nativeMs(allSpans))} self${filter}`
  out.push(`${c.bold(c.inverse(' NAPI TRACING '))} ${fit(headline, width - 15)}`)
  if (report.comparison) out.push(...comparisonLines(report.comparison, c, width))
  if (options.mode === 'compact') out.push(...compact(report, c, options, width))
  else out.push(...byFile(report, c, options, width))
  for (const { project, tests } of report.untraced ?? []) {
    out.push(c.dim(` ${wrap(`[${project}] ${plural(tests, 'test')} ran untraced: the plugin is not in that project's config`, width - 1).join('\n ')}`))
  }
  if (report.tests.some((t) => t.spans.some((s) => s.timed))) {
    // Wrapped, not cut: the fix is at its end.
    const line = '~ placed by time: no call of the test is known to have made them (carry its caller: napi_tracing::caller())'
    out.push(c.dim(` ${wrap(line, width - 1).join('\n ')}`))
  }
  const costNs = spanCostNs(report)
  if (costNs !== undefined) {
    const flagged = report.tests.filter((t) => tracingShare(t) >= TRACING_SHARE_FLAGGED).length
    const each = `${Math.round(costNs)} ns`
    const line = `≈ tracing cost ${each} per span here${flagged > 0 ? `; ${plural(flagged, 'test')} spent ${TRACING_SHARE_FLAGGED * 100}% or more of ${flagged === 1 ? 'its' : 'their'} native time on it` : ''} (report.json: tests[].tracingMs)`
    out.push((flagged > 0 ? c.yellow : c.dim)(` ${wrap(line, width - 1).join('\n ')}`))
  }
  if (report.droppedRecords > 0) {
    out.push(
      '',
      c.yellow(
        wrap(
          `${report.droppedRecords.toLocaleString('en-US')} records or trace entries were dropped because a worker could not keep up (a full buffer, a stalled disk); the figures above or the trace undercount.`,
          width - 1,
        ).join('\n '),
      ),
    )
  }
  for (const problem of report.problems) out.push(c.yellow(` ! ${wrap(problem, width - 3).join('\n   ')}`))
  if (options.reportPath || options.tracePath) out.push('')
  if (options.reportPath) out.push(` ${c.dim('Report')} ${options.reportPath}`)
  if (options.tracePath) {
    out.push(` ${c.dim('Trace ')} ${options.tracePath}`)
    out.push(...openLines(options.tracePath, c, width))
  }
  return out.join('\n')
}

/**
 * The command that opens the trace in Perfetto, whole: a command cut to fit
 * is no use, so one that does not fit the width gets a line of its own (and
 * may wrap). The argument is left out where `open` looks by default.
 */
function openLines(tracePath: string, c: Colors, width: number): string[] {
  const command = `npx vitest-napi-tracing open${tracePath === `${DEFAULT_OUTPUT_DIR}/trace.json` ? '' : ` ${tracePath}`}`
  const line = `        open it: ${command}`
  return widthOf(line) <= width ? [c.dim(line)] : [c.dim('        open it in Perfetto:'), command]
}

/** Changes shown at most, the rest in report.json. */
const CHANGES = 10

/** Where the full comparison is, for lines the comparison leaves out. */
export interface ComparisonHints {
  /** Said after the count of judged paths: where each path's judgement is. */
  paths: string
  /** Said after the changes shown: where the rest are. */
  more: string
  /** Changes shown at most. */
  changes: number
}

const IN_REPORT: ComparisonHints = { paths: 'report.json: comparison.paths', more: 'in report.json (comparison)', changes: CHANGES }

/**
 * What changed against the baseline, by test: how the runs differ first,
 * then counts exactly and times beyond the threshold. The report's block
 * and `vitest-napi-tracing compare` print these same lines.
 */
export function comparisonLines(comparison: Comparison, c: Colors, width: number, hints: ComparisonHints = IN_REPORT): string[] {
  const changes = comparison.changes
  const head = ` Compared with the baseline: ${changes.length === 0 ? 'no change' : plural(changes.length, 'change')} in ${plural(comparison.tests, 'test')}`
  const out = ['', c.bold(fit(head, width)), c.dim(`   ${comparison.baseline}`)]
  // How the runs differ comes first: it may explain every change below.
  for (const difference of comparison.setup ?? []) out.push(...wrap(difference, width - 5).map((line, i) => c.yellow(`   ${i === 0 ? '!' : ' '} ${line}`)))
  const paths = comparison.paths ?? []
  if (paths.length > 0) {
    const judged = paths.filter((p) => p.judged).length
    out.push(c.dim(fit(`   times over the run: ${plural(judged, 'path')} judged, ${paths.length - judged} with too few tests to judge (${hints.paths})`, width)))
    out.push(c.dim(fit(`   counts: ${countsLine(comparison)}`, width)))
  }
  let test: string | undefined
  for (const change of changes.slice(0, hints.changes)) {
    if (change.test !== test) out.push(`   ${fit((test = change.test), width - 3)}`)
    const tone = isRegression(change) ? c.yellow : c.green
    out.push(`     ${tone(fit(describeChange(change), Math.max(20, width - 5)))}`)
  }
  if (changes.length > hints.changes) out.push(c.dim(`   … ${changes.length - hints.changes} more ${hints.more}`))
  return out
}

/** How the paths' counts were gated, in one line: exactly, by a range kept runs showed, or still learning. */
function countsLine(comparison: Comparison): string {
  const runs = comparison.keptRuns ?? 0
  if (runs === 0) return 'gated exactly: no kept runs to tell which vary (napiTracing({ keep }), or --history)'
  const paths = comparison.paths ?? []
  const of = (gate: string) => paths.filter((p) => p.counts === gate).length
  return `learnt from ${plural(runs, 'kept run')}: ${of('exact')} gated exactly, ${of('range')} varying (judged by their range), ${of('learning')} learning`
}

/** Each path's time over the run (judged or not, and why) and how its counts were gated, one line each. */
export function judgementLines(comparison: Comparison, c: Colors, width: number): string[] {
  return (comparison.paths ?? []).flatMap((p) =>
    wrap(`${p.path}: ${p.why}; ${p.countsWhy ?? 'counts gated exactly'}`, width - 7).map((line, i) => `   ${i > 0 || p.judged ? ' ' : c.dim('·')} ${i > 0 ? '  ' : ''}${line}`),
  )
}

/** The compact report: hottest paths, then failed and slowest tests in detail. */
function compact(report: SpanReport, c: Colors, options: TerminalOptions, width: number): string[] {
  const out: string[] = []
  const hottest = hottestPaths(report).slice(0, HOTTEST)
  const totalSelf = nativeMs([...report.tests.flatMap((t) => t.spans), ...report.files.flatMap((f) => f.spans)])
  if (hottest.length > 0) {
    out.push('', c.bold(fit(' Hottest span paths (self time over all tests)', width)))
    for (const h of hottest) {
      const share = totalSelf > 0 ? `${Math.round((h.selfMs / totalSelf) * 100)}%` : ''
      const tests = plural(h.tests, 'test').padStart(9)
      const head = `   ${time(h.selfMs).padStart(9)} ${share.padStart(4)}  `
      const room = width - head.length - tests.length - 2
      out.push(`${head}${padEnd(fit(h.path, Math.max(10, room), 'start'), Math.max(10, room))}  ${c.dim(tests)}`)
    }
  }
  const failed = report.tests.filter((t) => t.state === 'failed' && (t.spans.length > 0 || t.openSpans > 0 || t.warnings + t.errors > 0))
  const slowest = report.tests
    .filter((t) => t.state !== 'failed' && t.spans.length > 0)
    .sort((a, b) => nativeMs(b.spans) - nativeMs(a.spans))
    .slice(0, options.slowest)
  if (failed.length > 0) {
    out.push('', c.bold(c.red(' Failed tests')))
    for (const test of failed) out.push(...testLines(test, c, options, width, true))
  }
  if (slowest.length > 0) {
    out.push('', c.bold(fit(' Slowest tests (native self time)', width)))
    for (const test of slowest) out.push(...testLines(test, c, options, width, true))
  }
  const benchmarks = report.tests.flatMap((test) => (test.benchmarks ?? []).map((bench) => ({ test, bench })))
  if (benchmarks.length > 0) {
    out.push('', c.bold(fit(' Benchmarks (per iteration)', width)))
    for (const { test, bench } of benchmarks) out.push(...benchmarkLines(test, bench, c, options.top, width))
  }
  const outside = report.files.filter((f) => f.spans.length > 0)
  if (outside.length > 0) {
    const spans = outside.flatMap((f) => f.spans)
    out.push('', c.dim(fit(` Outside tests (module load, hooks): ${plural(spanCount(spans), 'span')} in ${plural(outside.length, 'file')}`, width)))
  }
  if (report.tests.some((t) => t.spans.length > 0)) {
    out.push(c.dim(fit(" Every test's spans and call tree: report.json, or report: 'full' | 'tree'", width)))
  }
  return out
}

/** Every file and its tests: every span name (`full`) or the call tree (`tree`). */
function byFile(report: SpanReport, c: Colors, options: TerminalOptions, width: number): string[] {
  const out: string[] = []
  const files = new Map<string, ReportTest[]>()
  for (const test of report.tests) {
    const list = files.get(test.file)
    if (list) list.push(test)
    else files.set(test.file, [test])
  }
  for (const [file, tests] of files) {
    const fileEntry = report.files.find((f) => f.file === file)
    out.push('', ` ${c.cyan(fit(file, width - 1, 'start'))}`)
    for (const test of tests) out.push(...testLines(test, c, options, width, false))
    if (fileEntry && fileEntry.spans.length > 0) {
      out.push(`   ${c.dim('◦')} ${c.dim(fit(`outside tests (module load, hooks) — ${plural(spanCount(fileEntry.spans), 'span')}`, width - 5))}`)
      out.push(...(options.mode === 'tree' ? treeLines(fileEntry.tree, c, width) : spanLines(fileEntry.spans, fileEntry.spans.length, width, c)))
    }
  }
  return out
}

/** A test's headline and its detail: top span rows, all of them (`full`), or its tree. */
function testLines(test: ReportTest, c: Colors, options: TerminalOptions, width: number, withFile: boolean): string[] {
  const mark = test.state === 'passed' ? c.green(MARK.passed) : test.state === 'failed' ? c.red(MARK.failed) : c.yellow(MARK[test.state])
  const figures = [
    test.spans.length > 0 ? `${plural(spanCount(test.spans), 'span')} · ${time(nativeMs(test.spans))} self` : 'no spans',
    ...(test.openSpans > 0 ? [`${test.openSpans} still open at test end`] : []),
    ...(test.warnings > 0 ? [plural(test.warnings, 'warning')] : []),
    ...(test.errors > 0 ? [plural(test.errors, 'error')] : []),
    ...(tracingShare(test) >= TRACING_SHARE_FLAGGED ? [`≈ ${Math.round(tracingShare(test) * 100)}% of it tracing`] : []),
  ].join(' · ')
  const project = test.project !== undefined ? `[${test.project}] ` : ''
  const name = `${project}${withFile ? `${test.file} > ` : ''}${test.name}`
  // The name whole on the line with its figures, or the figures on a line of their own.
  const oneLine = widthOf(name) + 5 + 3 + figures.length <= width
  const tone = test.openSpans > 0 || test.warnings + test.errors > 0 || tracingShare(test) >= TRACING_SHARE_FLAGGED ? c.yellow : c.dim
  const lines = oneLine
    ? [`   ${mark} ${name} ${tone(`— ${figures}`)}`]
    : [`   ${mark} ${fit(name, width - 5)}`, `     ${tone(fit(`— ${figures}`, width - 5))}`]
  if (options.mode === 'tree') lines.push(...treeLines(test.tree, c, width))
  else lines.push(...spanLines(test.spans, options.mode === 'full' ? test.spans.length : options.top, width, c))
  if (test.js && options.mode !== 'compact') lines.push(...jsLines(test.js, c, width))
  if (options.mode !== 'compact') for (const bench of test.benchmarks ?? []) lines.push(...benchmarkLines(test, bench, c, Infinity, width).map((l) => `  ${l}`))
  return lines
}

/**
 * A benchmark's line: where it is, its spans and native self time per
 * iteration over how many, then its `top` span names per iteration.
 */
function benchmarkLines(test: ReportTest, bench: ReportBenchmark, c: Colors, top: number, width: number): string[] {
  // With `vitest bench` the benchmark is the test: its name once.
  const name = `${test.file} > ${test.name}${test.name.endsWith(bench.name) ? '' : ` › ${bench.name}`}`
  const figures = `— ${each(bench.spans)} ${bench.spans === 1 ? 'span' : 'spans'} · ${time(bench.selfMs)} self · ${plural(bench.iterations, 'iteration')}`
  return [
    `   ${fit(name, width - 3)}`,
    c.dim(`     ${fit(figures, width - 5)}`),
    ...bench.byName.slice(0, top).map((s) => `       ${padEnd(fit(s.name, 28), 28)} ${`${each(s.calls)}×`.padStart(9)}  ${c.dim('self')} ${time(s.selfMs).padStart(9)}`),
  ]
}

/** A count per iteration: whole when it is, else to two decimals. */
function each(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 })
}

/**
 * A test's JavaScript thread, from its samples: where its time went, then
 * its functions by self time, each with its file and line.
 */
function jsLines(js: ReportProfile, c: Colors, width: number): string[] {
  const split = `JavaScript thread: ${time(js.jsMs)} JS · ${time(js.nativeMs)} in native calls · ${time(js.idleMs)} idle (${plural(js.samples, 'sample')}${js.shared ? ', shared' : ''})`
  // Wrapped, not cut: every figure of it counts.
  const out = wrap(split, width - 7).map((line) => `       ${c.dim(line)}`)
  const shown = js.functions.slice(0, FUNCTIONS)
  if (shown.length === 0) return out
  // `ƒ name  file:line  self 1.23 ms`: the self cell (14) always, the name up to 28, the location what is left.
  const nameWidth = Math.max(4, Math.min(28, Math.max(...shown.map((f) => widthOf(f.name)))))
  const room = width - 7 - (2 + nameWidth) - 2 - 2 - 14
  for (const f of shown) {
    const where = f.line > 0 ? `${f.file}:${f.line}` : f.file
    const self = `${c.dim('self')} ${time(f.selfMs).padStart(9)}`
    const name = `${c.cyan('ƒ')} ${padEnd(fit(f.name, nameWidth), nameWidth)}`
    out.push(room >= 6 ? `       ${name}  ${c.dim(padEnd(fit(where, room, 'start'), room))}  ${self}` : `       ${fit(`ƒ ${f.name}`, width - 7 - 17)}  ${self}`)
  }
  return out
}

/** Span rows: name, calls, total, self, mean, max; as many columns as fit. */
function spanLines(spans: readonly ReportSpan[], count: number, width: number, c: Colors): string[] {
  const shown = [...spans].sort((a, b) => b.selfMs - a.selfMs || a.name.localeCompare(b.name)).slice(0, count)
  const columns = [
    (s: ReportSpan) => `${c.dim('self')} ${time(s.selfMs).padStart(9)}`,
    (s: ReportSpan) => `${c.dim('total')} ${time(s.totalMs).padStart(9)}`,
    (s: ReportSpan) => `${c.dim('mean')} ${time(s.meanMs).padStart(9)}`,
    (s: ReportSpan) => `${c.dim('max')} ${time(s.maxMs).padStart(9)}`,
  ]
  // self 15, total 16, mean 15, max 14 columns wide, plus two spaces each.
  const widths = [15, 16, 15, 14]
  // The name column takes what the indent (7), the calls (1 + 9) and the placement mark leave, 28 at most.
  const marks = Math.max(0, ...shown.map((s) => (s.shared ? 7 : s.timed ? 2 : 0)))
  const nameWidth = Math.max(4, Math.min(28, width - 17 - marks, Math.max(8, ...shown.map((s) => widthOf(s.name)))))
  let fitting = 0
  for (let used = 7 + nameWidth + 10 + marks; fitting < columns.length && used + widths[fitting]! + 2 <= width; fitting++) used += widths[fitting]! + 2
  return shown.map((s) => {
    const calls = `${s.calls.toLocaleString('en-US')}×`.padStart(9)
    const cells = columns.slice(0, fitting).map((col) => col(s))
    // Spans never entered have a lifetime, not a busy time: shown as the mean of one, since their
    // sum (10,000 handles alive at once) says nothing a reader can use.
    if (s.lifetimeMs !== undefined && s.totalMs === 0) cells.splice(0, cells.length, lifetimeCell(s, c))
    return `       ${padEnd(fit(s.name, nameWidth), nameWidth)} ${calls}${cells.map((cell) => `  ${cell}`).join('')}${placement(s, c)}`
  })
}

/** The share of a test's native time its tracing took, estimated (0 where not measured). */
function tracingShare(test: ReportTest): number {
  const native = nativeMs(test.spans)
  return test.tracingMs !== undefined && native > 0 ? test.tracingMs / native : 0
}

/** `lifetime  36.47 ms mean`: how long one span never entered lived, on average (24 columns). */
function lifetimeCell(s: { lifetimeMs?: number; calls: number }, c: Colors): string {
  return `${c.dim('lifetime')} ${time((s.lifetimeMs ?? 0) / Math.max(1, s.calls)).padStart(9)} ${c.dim('mean')}`
}

/** How spans were placed, after their row: ` shared` with concurrent tests, ` ~` by time only. */
function placement(s: { shared?: boolean; timed?: boolean }, c: Colors): string {
  return s.shared ? c.yellow(' shared') : s.timed ? c.dim(' ~') : ''
}

/** A call tree, indented, each node with its calls, total, self and share of its test's time. */
function treeLines(roots: readonly ReportNode[], c: Colors, width: number): string[] {
  const testTotal = roots.reduce((sum, r) => sum + r.totalMs, 0)
  const out: string[] = []
  // Calls and share always; self and total while they fit (columns of 17 and 16).
  const walk = (nodes: readonly ReportNode[], depth: number) => {
    for (const n of nodes) {
      const indent = '       ' + '  '.repeat(Math.min(depth, 12))
      const share = testTotal > 0 ? `${((n.totalMs / testTotal) * 100).toFixed(1)}%`.padStart(6) : ''.padStart(6)
      const cells = [`${n.calls.toLocaleString('en-US')}×`.padStart(8)]
      let used = indent.length + 8 + 1 + 8 + 2 + 6
      if (n.lifetimeMs !== undefined && n.totalMs === 0 && used + 24 <= width) {
        cells.push(lifetimeCell(n, c))
        used += 24
      } else if (used + 17 <= width) {
        cells.push(`${c.dim('total')} ${time(n.totalMs).padStart(9)}`)
        used += 17
      }
      if (used + 16 <= width) {
        cells.push(`${c.dim('self')} ${time(n.selfMs).padStart(9)}`)
        used += 16
      }
      cells.push(share)
      const room = Math.max(4, width - used + 8)
      out.push(`${indent}${padEnd(fit(n.name, room), room)} ${cells.join('  ')}${placement(n, c)}`)
      walk(n.children, depth + 1)
    }
  }
  walk(roots, 0)
  return out
}

/**
 * The run's span paths by self time, over every test, each with how many
 * tests made it. A recursion is one path whatever its depth:
 * `fan_out › worker › fibonacci^n` holds every `fibonacci` under `worker`.
 */
export function hottestPaths(report: SpanReport): Array<{ path: string; selfMs: number; tests: number }> {
  const paths = new Map<string, { selfMs: number; tests: Set<number>; recursive: boolean }>()
  report.tests.forEach((test, index) => {
    const walk = (nodes: readonly ReportNode[], prefix: readonly string[]) => {
      for (const n of nodes) {
        const names = [...prefix, n.name]
        const runs = collapse(names).split(' › ')
        const key = runs.map((r) => r.replace(/\^\d+$/, '')).join(' › ')
        const entry = paths.get(key) ?? { selfMs: 0, tests: new Set<number>(), recursive: false }
        entry.selfMs += n.selfMs
        entry.tests.add(index)
        entry.recursive ||= /\^\d+$/.test(runs.at(-1)!)
        paths.set(key, entry)
        walk(n.children, names)
      }
    }
    walk(test.tree, [])
  })
  return [...paths]
    .map(([path, e]) => ({ path: e.recursive ? `${path}^n` : path, selfMs: e.selfMs, tests: e.tests.size }))
    .filter((p) => p.selfMs > 0)
    .sort((a, b) => b.selfMs - a.selfMs || a.path.localeCompare(b.path))
}

/** A path's names joined with ` › `, runs of one name written once with their length: `fan_out › fibonacci^4`. */
export function collapse(names: readonly string[]): string {
  const parts: string[] = []
  for (let i = 0; i < names.length; ) {
    let run = 1
    while (names[i + run] === names[i]) run++
    parts.push(run > 1 ? `${names[i]}^${run}` : names[i]!)
    i += run
  }
  return parts.join(' › ')
}

/** Breaks `text` into lines of at most `width` columns, at spaces; a longer word (a path) keeps a line of its own, whole. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && widthOf(line) + 1 + widthOf(word) > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}
