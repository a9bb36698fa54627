/**
 * The run's report from the workers' lines and Vitest's results: the span
 * figures per test and file, what the run was, and the problems the checks
 * find (files no worker began, a filter that enabled nothing, misplaced
 * `#[instrument]`s).
 */
import type { TestModule } from 'vitest/node'
import type { ResolvedFilter } from '../../src/tracing.js'
import type { StatsLine } from '../data/worker-file.js'
import { filterEnabledNothing, misplacedInstrument, untracedFiles } from '../report/checks.js'
import { computeSpanReport, estimateTracing, runSetup, spanCount, type SpanReport } from '../report/model.js'
import { ranFile, testResults, untracedProjects } from './modules.js'

export interface RunInput {
  /** The run's test modules, type tests left out. */
  ran: readonly TestModule[]
  /** Which of them the plugin traced (their project has it). */
  traced: (module: TestModule) => boolean
  lines: readonly StatsLine[]
  /** Problems found so far (the main process's, reading the lines). */
  problems: string[]
  filter: ResolvedFilter
  vitestVersion: string
  /** A --merge-reports run: the lines come from the blob reports, no worker ran here. */
  merging: boolean
  /** Why the run stopped short, when it did (Ctrl+C, SIGTERM, a cancelled run). */
  interrupted?: string
}

/** The report of a run that collected lines (`lines` is not empty). */
export function buildReport(input: RunInput): SpanReport {
  const { ran, lines, problems, merging, interrupted } = input
  const modules = ran.filter(input.traced)
  if (!merging && !interrupted) {
    const begun = new Set(lines.flatMap((l) => (l.kind === 'begin' ? [l.path] : [])))
    problems.push(...untracedFiles(modules.map(ranFile), begun))
  }
  if (interrupted) {
    problems.unshift(`${interrupted}: these are the figures and trace the workers had written down (every 100 ms) by then; tests still running show their spans so far`)
  }
  const labelled = new Set(ran.map((m) => m.project.name)).size > 1
  const report = computeSpanReport(modules.flatMap((m) => testResults(m, labelled)), lines, problems)
  if (interrupted) report.interrupted = true
  // Projects without the plugin ran untraced: their tests are left out, and counted.
  const untraced = untracedProjects(ran.filter((m) => !input.traced(m)))
  if (untraced.length > 0) report.untraced = untraced
  report.filter = input.filter
  report.run = runSetup(input.vitestVersion, process.version, lines)
  estimateTracing(report)
  const made = lines.flatMap((l) => (l.kind === 'made' ? [l.spans] : []))
  if (made.length > 0) report.spans = made.reduce((a, b) => a + b, 0)
  const allSpans = [...report.tests.flatMap((t) => t.spans), ...report.files.flatMap((f) => f.spans)]
  report.problems.push(...misplacedInstrument(allSpans))
  const hidden = [...new Set(lines.flatMap((l) => (l.kind === 'hidden' ? l.callsites : [])))]
  report.problems.push(...filterEnabledNothing(input.filter, spanCount(allSpans), merging || lines.some((l) => l.kind === 'worker'), hidden))
  return report
}
