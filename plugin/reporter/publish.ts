/**
 * The run's report made public: report.json written (with the trace's
 * figures), the span report printed through Vitest's logger, on stderr when
 * another reporter writes machine-readable output to stdout.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import pc from 'picocolors'
import type { Vitest } from 'vitest/node'
import { messageOf } from '../../src/errors.js'
import type { NapiTracingOptions } from '../options.js'
import { writeReport } from '../report/json.js'
import type { SpanReport } from '../report/model.js'
import { formatSpanReport, shownPath } from '../report/terminal.js'

/** What a trace merge tells of the trace.json it wrote. */
export interface Merged {
  events: number
  /** Lines left out, cut short by a worker that stopped mid-write. */
  skipped: number
}

/** A written trace: the merge's figures, its path and when the merge began (`performance.now()`, ms). */
export type WrittenTrace = Merged & { path: string; started: number }

/** The problem of a file of the run that could not be written. */
export function unwritable(path: string, error: unknown): string {
  return `could not write ${path}: ${messageOf(error)}; set napiTracing({ outputDir }) to a writable folder`
}

/**
 * Writes `outputDir`/report.json (with the trace's figures, when it was
 * written) and prints the report in the `report` mode; with `report:
 * 'none'`, only its problems. A file that cannot be written is a problem
 * printed with the report, never thrown.
 */
export function publish(vitest: Vitest, report: SpanReport, trace: WrittenTrace | undefined, outputDir: string, options: Pick<NapiTracingOptions, 'report' | 'top'>): void {
  const reportPath = join(outputDir, 'report.json')
  if (trace) {
    report.trace = { path: trace.path, events: trace.events, bytes: statSync(trace.path).size, writeMs: Math.round(performance.now() - trace.started) }
    if (trace.skipped > 0) report.problems.push(`${trace.skipped} trace lines were cut short (a worker stopped mid-write) and left out of the trace`)
  }
  let wroteReport = false
  try {
    writeReport(reportPath, report)
    wroteReport = true
  } catch (error) {
    report.problems.push(unwritable(reportPath, error))
  }
  if (options.report === 'none') {
    warnAll(vitest, report.problems)
    return
  }
  // A reporter that writes its output to stdout (JSON, JUnit, TAP) must get it clean.
  const toStderr = stdoutTakenBy(vitest) !== undefined
  const stream = toStderr ? process.stderr : process.stdout
  const text = formatSpanReport(report, pc, {
    mode: options.report ?? 'compact',
    top: options.top ?? 3,
    slowest: 5,
    width: stream.isTTY ? stream.columns : 80,
    ...(wroteReport ? { reportPath: shownPath(reportPath, process.cwd()) } : {}),
    ...(trace ? { tracePath: shownPath(trace.path, process.cwd()) } : {}),
  })
  if (toStderr) vitest.logger.error(`\n${text}\n`)
  else vitest.logger.log(`\n${text}\n`)
}

/** Each problem as a warning line of its own. */
export function warnAll(vitest: Vitest, problems: readonly string[]): void {
  for (const problem of problems) vitest.logger.warn(pc.yellow(`vitest-napi-tracing: ${problem}`))
}

/** Reporters that write machine-readable output to stdout unless given a file. */
const STDOUT_REPORTERS = ['json', 'junit', 'tap', 'tap-flat']

/**
 * The name of a reporter of this run that writes machine-readable output to
 * stdout, if any: TAP always; JSON and JUnit in Vitest 4 unless an
 * `outputFile` is set for them, in Vitest 5 only with `stdout: true`.
 */
export function stdoutTakenBy(vitest: Pick<Vitest, 'config' | 'version'>): string | undefined {
  const major = Number.parseInt(vitest.version, 10)
  const outputFile = vitest.config.outputFile as string | Record<string, string> | undefined
  for (const entry of vitest.config.reporters as unknown[]) {
    const [name, options] = Array.isArray(entry) ? (entry as [unknown, Record<string, unknown> | undefined]) : [entry, undefined]
    if (typeof name !== 'string' || !STDOUT_REPORTERS.includes(name)) continue
    if (name.startsWith('tap')) return name
    const toFile = typeof outputFile === 'string' || (outputFile !== undefined && outputFile[name] !== undefined) || options?.['outputFile'] !== undefined
    if (major >= 5 ? options?.['stdout'] === true && !toFile : !toFile) return name
  }
  return undefined
}
