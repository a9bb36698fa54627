/**
 * The reporter the plugin adds: at the end of each run it reads the workers'
 * files, prints the span report through Vitest's logger, and writes
 * report.json and trace.json. It never changes the run's outcome: anything
 * that goes wrong here is printed and the run goes on. A run that collected
 * nothing (tracing off, no worker traced, blob reports without span data)
 * leaves the files of an earlier run as they are and says why in one line.
 * A `--merge-reports` run rebuilds the report from the blob reports'
 * per-test data and merges the shards' traces it finds.
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import pc from 'picocolors'
import type { Reporter, TestModule, Vitest } from 'vitest/node'
import { messageOf } from '../../src/errors.js'
import type { ResolvedFilter } from '../../src/tracing.js'
import { linesFromMeta } from '../data/meta.js'
import { readStatsLines } from '../data/read-stats.js'
import { nameEntries, startRun, type StatsLine } from '../data/worker-file.js'
import type { NapiTracingOptions } from '../options.js'
import { keepLastRun } from '../report/history.js'
import type { SpanReport } from '../report/model.js'
import { shownPath } from '../report/terminal.js'
import { mergeTraces } from '../trace/merge.js'
import { compareWithBaseline } from './baseline.js'
import { buildReport } from './build.js'
import { fileOf, isTypecheck, ranFile } from './modules.js'
import { publish, unwritable, warnAll, type WrittenTrace } from './publish.js'
import { mergeShardFolders, shardsToMerge } from './shards.js'

export interface ReporterOptions extends Omit<NapiTracingOptions, 'filter'> {
  /** This run's output folder (a shard's own, under `mergeDir`). */
  outputDir: string
  /** The output folder a --merge-reports job finds the shards' folders in. */
  mergeDir: string
  rawDir: string
  /** Problems found in the main process (addons not found). */
  problems: string[]
  /** The filter the workers trace with. */
  filter: ResolvedFilter
  /** Why the plugin is off this run, when it is: nothing is traced or written. */
  off?: string
}

export class NapiTracingReporter implements Reporter {
  readonly #options: ReporterOptions
  #vitest: Vitest | undefined
  #run = ''
  /** Projects whose workers run the setup file. */
  readonly #tracedProjects = new Set<string>()
  /** Writes the run's files on SIGINT and SIGTERM while it runs (see `#interrupted`). */
  #onSignal: ((signal: NodeJS.Signals) => void) | undefined

  constructor(options: ReporterOptions) {
    this.#options = options
  }

  /** Called by the plugin for each project whose workers it traces. */
  traces(project: string): void {
    this.#tracedProjects.add(project)
  }

  onInit(vitest: Vitest): void {
    this.#vitest = vitest
  }

  onTestRunStart(): void {
    if (this.#options.off || this.#vitest?.config.mergeReports) return
    // Each run (and watch-mode rerun) has worker files of its own; workers
    // that outlive a run follow the run file to the next one.
    this.#run = String(Date.now())
    try {
      rmSync(this.#options.rawDir, { recursive: true, force: true })
      startRun(this.#options.rawDir, this.#run)
    } catch {
      // Reported at the end, where writing the report fails the same way.
    }
    this.#watchSignals()
  }

  /**
   * The run's end, in steps: the report (lines read, checked, kept,
   * compared), the trace merged (the workers' files, or the shards'
   * traces), then report.json written and the report printed.
   */
  async onTestRunEnd(all: ReadonlyArray<TestModule>, _errors?: unknown, reason?: string): Promise<void> {
    this.#stopWatchingSignals()
    const vitest = this.#vitest
    if (!vitest) return
    const ended = this.#report(vitest, all, reason === 'interrupted' ? 'the run was cancelled' : undefined)
    if (!ended) return
    const { report, lines, shards } = ended
    const trace = vitest.config.mergeReports ? await this.#mergeShards(report, shards) : this.#mergeWorkers(report, lines, vitest.config.root)
    publish(vitest, report, trace, this.#options.outputDir, this.#options)
  }

  /**
   * Ctrl+C (SIGINT) or SIGTERM: Vitest exits at once without calling any
   * reporter, so the run's report and trace are written here, synchronously,
   * from what the workers checkpointed (every 100 ms) before it: the point
   * of stopping a hanging test is to see where it hangs. An earlier run's
   * files are never left to pass for this one's.
   */
  #interrupted(signal: string): void {
    this.#stopWatchingSignals()
    const vitest = this.#vitest
    if (!vitest || vitest.config.mergeReports) return
    const ended = this.#report(vitest, vitest.state.getTestModules(), `the run was interrupted (${signal})`)
    if (!ended) return
    publish(vitest, ended.report, this.#mergeWorkers(ended.report, ended.lines, vitest.config.root), this.#options.outputDir, this.#options)
  }

  #watchSignals(): void {
    if (this.#onSignal) return
    this.#onSignal = (signal: NodeJS.Signals) => this.#interrupted(signal)
    process.once('SIGINT', this.#onSignal)
    process.once('SIGTERM', this.#onSignal)
  }

  #stopWatchingSignals(): void {
    if (!this.#onSignal) return
    process.off('SIGINT', this.#onSignal)
    process.off('SIGTERM', this.#onSignal)
    this.#onSignal = undefined
  }

  /**
   * The run's report from the workers' lines (or, merging, the blob
   * reports' data), checked, kept and compared; undefined, said in one line,
   * when nothing was collected. `interrupted` says why the run stopped short.
   */
  #report(vitest: Vitest, all: ReadonlyArray<TestModule>, interrupted?: string): { report: SpanReport; lines: StatsLine[]; shards: Set<string> } | undefined {
    // Type tests (--typecheck) never run in a worker: nothing to trace, nothing missed.
    const ran = all.filter((m) => !isTypecheck(m))
    const traced = (m: TestModule) => this.#tracedProjects.has(m.project.name)
    const root = vitest.config.root
    const problems = [...this.#options.problems]
    // A --merge-reports run has no workers: the blob reports' per-test data holds the spans.
    const merging = Boolean(vitest.config.mergeReports)
    const { lines, shards } = this.#options.off
      ? { lines: [], shards: new Set<string>() }
      : merging
        ? linesFromMeta(ran.filter(traced), fileOf)
        : { lines: readStatsLines(this.#options.rawDir, this.#run, root, problems), shards: new Set<string>() }
    if (lines.length === 0) {
      warnAll(vitest, problems)
      const files = kept(join(this.#options.outputDir, 'report.json'), this.#tracePath)
      vitest.logger.log(pc.dim(`vitest-napi-tracing: ${this.#nothingCollected(vitest, ran)}; ${files}`))
      return undefined
    }
    const report = buildReport({ ran, traced, lines, problems, filter: this.#options.filter, vitestVersion: vitest.version, merging, ...(interrupted ? { interrupted } : {}) })
    try {
      keepLastRun(this.#options.outputDir, this.#options.keep ?? 0)
    } catch (error) {
      report.problems.push(`could not keep the last run in ${join(this.#options.outputDir, 'history')}: ${messageOf(error)}`)
    }
    // An interrupted run is no measure of the code: it is not compared.
    if (!interrupted) compareWithBaseline(report, this.#options, this.#options.outputDir, root)
    return { report, lines, shards }
  }

  get #tracePath(): string {
    return join(this.#options.outputDir, 'trace.json')
  }

  /** The workers' trace files merged into trace.json; a failure is a problem of the report, never thrown. */
  #mergeWorkers(report: SpanReport, lines: readonly StatsLine[], root: string): WrittenTrace | undefined {
    const path = this.#tracePath
    const started = performance.now()
    try {
      return { ...mergeTraces(this.#options.rawDir, this.#run, path, nameEntries(lines), { root }), path, started }
    } catch (error) {
      report.problems.push(unwritable(path, error))
      return undefined
    }
  }

  /** The shards' traces merged into trace.json (a --merge-reports run); what is missing is a problem of the report. */
  async #mergeShards(report: SpanReport, shards: ReadonlySet<string>): Promise<WrittenTrace | undefined> {
    const path = this.#tracePath
    const started = performance.now()
    const merged = await mergeShardFolders(shardsToMerge(shards, report, this.#options.mergeDir), this.#options.mergeDir, path, report.problems)
    return merged && { ...merged, path, started }
  }

  /** Why this run has no span data, in a few words. */
  #nothingCollected(vitest: Vitest, modules: ReadonlyArray<TestModule>): string {
    if (this.#options.off) return `off (${this.#options.off}), nothing traced`
    if (vitest.config.mergeReports) return 'the blob reports carry no span data (their shards ran without the plugin)'
    const ran = modules.filter((m) => ranFile(m).ran).length
    return ran === 0 ? 'no test ran, nothing traced' : `no worker traced anything (${ran} test file${ran === 1 ? '' : 's'} ran)`
  }
}

/** The files an earlier run left, now kept. */
function kept(...paths: string[]): string {
  const existing = paths.filter((p) => existsSync(p)).map((p) => shownPath(p, process.cwd()))
  return existing.length > 0 ? `${existing.join(' and ')} left as they were` : 'no report written'
}

