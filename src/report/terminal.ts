/**
 * The per-test span report as text, beside Vitest's own output. Pure:
 * colours come in as a picocolors `Colors`, so tests compare plain text.
 */
import type { Colors } from 'picocolors/types.js'
import { nativeMs, spanCount, type ReportSpan, type ReportTest, type SpanReport, type TestState } from './model.js'

export interface TerminalOptions {
  /** compact: the top spans of each test with spans; full: every span of every test. */
  mode: 'compact' | 'full'
  /** Spans per test in compact mode. */
  top: number
  /** Overall slowest spans listed at the end. */
  slowest: number
  /** Paths to print at the end, relative to the root. */
  reportPath?: string
  tracePath?: string
}

const MARK: Record<TestState, string> = { passed: '✓', failed: '×', skipped: '↓', pending: '…' }

export function formatSpanReport(report: SpanReport, c: Colors, options: TerminalOptions): string {
  const out: string[] = []
  const traced = report.tests.filter((t) => t.spans.length > 0)
  const allSpans = [...report.tests.flatMap((t) => t.spans), ...report.files.flatMap((f) => f.spans)]
  out.push(
    `${c.bold(c.inverse(' NAPI TRACING '))} ${spanCount(allSpans).toLocaleString('en-US')} spans in ${traced.length} of ${report.tests.length} tests · ${time(nativeMs(allSpans))} native self time`,
  )
  const files = new Map<string, ReportTest[]>()
  for (const test of report.tests) {
    const list = files.get(test.file)
    if (list) list.push(test)
    else files.set(test.file, [test])
  }
  const width = Math.max(12, ...allSpans.map((s) => s.name.length))
  for (const [file, tests] of files) {
    const fileSpans = report.files.find((f) => f.file === file)?.spans ?? []
    const shown = options.mode === 'full' ? tests : tests.filter((t) => t.spans.length > 0 || t.openSpans > 0)
    if (shown.length === 0 && fileSpans.length === 0) continue
    out.push('', ` ${c.cyan(file)}`)
    for (const test of shown) {
      const mark = test.state === 'passed' ? c.green(MARK.passed) : test.state === 'failed' ? c.red(MARK.failed) : c.yellow(MARK[test.state])
      const summary = test.spans.length > 0 ? `${spanCount(test.spans).toLocaleString('en-US')} spans · ${time(nativeMs(test.spans))} self` : 'no spans'
      const open = test.openSpans > 0 ? c.yellow(` · ${test.openSpans} still open at test end`) : ''
      out.push(`   ${mark} ${test.name} ${c.dim(summary)}${open}`)
      out.push(...spanLines(test.spans, options, width, c))
    }
    if (fileSpans.length > 0) {
      out.push(`   ${c.dim('◦')} ${c.dim('outside tests (module load, hooks)')} ${c.dim(`${spanCount(fileSpans)} spans`)}`)
      out.push(...spanLines(fileSpans, options, width, c))
    }
  }
  const slowest = report.tests
    .flatMap((t) => t.spans.map((s) => ({ test: t, span: s })))
    .sort((a, b) => b.span.maxMs - a.span.maxMs)
    .slice(0, options.slowest)
  if (slowest.length > 0) {
    out.push('', ` ${c.bold('Slowest spans')}`)
    for (const { test, span } of slowest) {
      out.push(`   ${time(span.maxMs).padStart(9)}  ${span.name.padEnd(width)}  ${c.dim(`${test.file} > ${test.name}`)}`)
    }
  }
  if (report.droppedRecords > 0) {
    out.push('', c.yellow(` ${report.droppedRecords.toLocaleString('en-US')} records or trace entries were dropped because a worker could not keep up (a full buffer, a stalled disk); the figures above or the trace undercount.`))
  }
  for (const problem of report.problems) out.push(c.yellow(` ! ${problem}`))
  if (options.reportPath || options.tracePath) out.push('')
  if (options.reportPath) out.push(` ${c.dim('Report')} ${options.reportPath}`)
  if (options.tracePath) {
    out.push(` ${c.dim('Trace ')} ${options.tracePath}  ${c.dim('open it at https://ui.perfetto.dev (Open trace file) or in Chrome DevTools › Performance')}`)
  }
  return out.join('\n')
}

function spanLines(spans: readonly ReportSpan[], options: TerminalOptions, width: number, c: Colors): string[] {
  const shown = options.mode === 'full' ? spans : spans.slice(0, options.top)
  const lines = shown.map(
    (s) =>
      `       ${s.name.padEnd(width)} ${`${s.calls.toLocaleString('en-US')}×`.padStart(8)}  ` +
      `${c.dim('total')} ${time(s.totalMs).padStart(9)}  ${c.dim('self')} ${time(s.selfMs).padStart(9)}  ` +
      `${c.dim('mean')} ${time(s.meanMs).padStart(9)}  ${c.dim('max')} ${time(s.maxMs).padStart(9)}` +
      (s.shared ? c.yellow('  shared by concurrent tests') : ''),
  )
  if (shown.length < spans.length) lines.push(c.dim(`       … ${spans.length - shown.length} more (report.json has them all)`))
  return lines
}

/** 1.23 s, 12.3 ms, 45.6 µs, 789 ns. */
export function time(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 1) return `${ms.toFixed(2)} ms`
  if (ms >= 0.001) return `${(ms * 1000).toFixed(1)} µs`
  return `${Math.round(ms * 1e6)} ns`
}
