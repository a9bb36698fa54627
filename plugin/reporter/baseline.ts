/**
 * The run against its baseline: a report file or the previous kept run,
 * compared path by path with the kept runs as each path's noise; with
 * `failOnRegression`, a regression fails the run.
 */
import { join, resolve } from 'node:path'
import { messageOf } from '../../src/errors.js'
import { compareReports, isRegression, readReport } from '../report/compare.js'
import { keptRuns, previousReport } from '../report/history.js'
import type { SpanReport } from '../report/model.js'
import { plural, shownPath } from '../report/terminal.js'
import type { NapiTracingOptions } from '../options.js'

/**
 * Sets `report.comparison` when a baseline is given; a baseline that cannot
 * be read, or none kept yet, is a problem of the report, never a failed run.
 * A regression under `failOnRegression` sets `process.exitCode` to 1.
 */
export function compareWithBaseline(report: SpanReport, options: Pick<NapiTracingOptions, 'baseline' | 'keep' | 'threshold' | 'failOnRegression'>, outputDir: string, root: string): void {
  const baseline = options.baseline
  if (baseline === undefined) return
  const path = baseline === 'previous' ? previousReport(outputDir) : resolve(root, baseline)
  const keep = options.keep ?? 0
  if (path === undefined) {
    const history = shownPath(join(outputDir, 'history'), process.cwd())
    report.problems.push(
      keep > 0
        ? `baseline 'previous': no earlier run is kept in ${history} yet (keep: ${keep} keeps the runs before this one); the next run is compared with this one`
        : `baseline 'previous': no earlier run is kept in ${history}; set napiTracing({ keep: 1 }) (or more) to keep runs`,
    )
    return
  }
  try {
    // The kept runs, the baseline among them, are each path's noise.
    const history = keptRuns(outputDir).flatMap((dir) => {
      try {
        return [readReport(join(dir, 'report.json'))]
      } catch {
        return []
      }
    })
    report.comparison = compareReports(readReport(path), report, shownPath(path, process.cwd()), { threshold: options.threshold ?? 2, history })
  } catch (error) {
    report.problems.push(`baseline: ${messageOf(error)}`)
    return
  }
  const regressions = report.comparison.changes.filter(isRegression).length
  if (options.failOnRegression && regressions > 0) {
    process.exitCode = 1
    report.problems.push(`${plural(regressions, 'regression')} against ${report.comparison.baseline}: the run fails (failOnRegression)`)
  }
}
