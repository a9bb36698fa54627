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
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import pc from 'picocolors'
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node'
import { filterEnabledNothing, misplacedInstrument, untracedFiles, type RanFile } from './report/checks.js'
import { compareReports, isRegression, readReport } from './report/compare.js'
import { keepLastRun, keptRuns, previousReport } from './report/history.js'
import { stateOf } from './data/states.js'
import { computeSpanReport, estimateTracing, runSetup, spanCount, type SpanReport, type TestResult } from './report/model.js'
import { writeReport } from './report/json.js'
import { formatSpanReport, plural, shownPath } from './report/terminal.js'
import { mergeTraces } from './trace/merge.js'
import { mergeShardTraces } from './trace/shards.js'
import { nameEntries, ofRun, startRun, STATS_SUFFIX, type StatsLine } from './data/worker-file.js'
import { messageOf } from '../src/errors.js'
import type { ResolvedFilter } from '../src/tracing.js'
import { linesFromMeta } from './data/meta.js'
import { shardFolder, type NapiTracingOptions } from './options.js'

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

/** What a trace merge tells of the trace.json it wrote. */
interface Merged {
  events: number
  /** Lines left out, cut short by a worker that stopped mid-write. */
  skipped: number
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

  async onTestRunEnd(all: ReadonlyArray<TestModule>, _errors?: unknown, reason?: string): Promise<void> {
    this.#stopWatchingSignals()
    const vitest = this.#vitest
    if (!vitest) return
    const ended = this.#report(vitest, all, reason === 'interrupted' ? 'the run was cancelled' : undefined)
    if (!ended) return
    const { report, lines, shards } = ended
    const tracePath = join(this.#options.outputDir, 'trace.json')
    const started = performance.now()
    const merged = vitest.config.mergeReports
      ? await this.#mergeShards(this.#blobless(shards, report), tracePath, report.problems)
      : this.#mergeWorkers(report, lines, tracePath, vitest.config.root)
    this.#publish(vitest, report, merged ? { ...merged, path: tracePath, started } : undefined)
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
    const tracePath = join(this.#options.outputDir, 'trace.json')
    const started = performance.now()
    const merged = this.#mergeWorkers(ended.report, ended.lines, tracePath, vitest.config.root)
    this.#publish(vitest, ended.report, merged ? { ...merged, path: tracePath, started } : undefined)
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
    // Projects without the plugin ran untraced: their tests are left out, and counted.
    const modules = ran.filter((m) => this.#tracedProjects.has(m.project.name))
    const untraced = untracedProjects(ran.filter((m) => !this.#tracedProjects.has(m.project.name)))
    const root = vitest.config.root
    const problems = [...this.#options.problems]
    // A --merge-reports run has no workers: the blob reports' per-test data holds the spans.
    const merging = Boolean(vitest.config.mergeReports)
    const { lines, shards } = this.#options.off
      ? { lines: [], shards: new Set<string>() }
      : merging
        ? linesFromMeta(modules, fileOf)
        : { lines: readStatsLines(this.#options.rawDir, this.#run, root, problems), shards: new Set<string>() }
    if (lines.length === 0) {
      for (const problem of problems) vitest.logger.warn(pc.yellow(`vitest-napi-tracing: ${problem}`))
      const files = kept(join(this.#options.outputDir, 'report.json'), join(this.#options.outputDir, 'trace.json'))
      vitest.logger.log(pc.dim(`vitest-napi-tracing: ${this.#nothingCollected(vitest, ran)}; ${files}`))
      return undefined
    }
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
    if (untraced.length > 0) report.untraced = untraced
    report.filter = this.#options.filter
    report.run = runSetup(vitest.version, process.version, lines)
    estimateTracing(report)
    const made = lines.flatMap((l) => (l.kind === 'made' ? [l.spans] : []))
    if (made.length > 0) report.spans = made.reduce((a, b) => a + b, 0)
    const allSpans = [...report.tests.flatMap((t) => t.spans), ...report.files.flatMap((f) => f.spans)]
    report.problems.push(...misplacedInstrument(allSpans))
    const hidden = [...new Set(lines.flatMap((l) => (l.kind === 'hidden' ? l.callsites : [])))]
    report.problems.push(...filterEnabledNothing(this.#options.filter, spanCount(allSpans), merging || lines.some((l) => l.kind === 'worker'), hidden))
    try {
      keepLastRun(this.#options.outputDir, this.#options.keep ?? 0)
    } catch (error) {
      report.problems.push(`could not keep the last run in ${join(this.#options.outputDir, 'history')}: ${messageOf(error)}`)
    }
    // An interrupted run is no measure of the code: it is not compared.
    if (!interrupted) this.#compare(report, root)
    return { report, lines, shards }
  }

  /** The workers' trace files merged into trace.json; a failure is a problem of the report, never thrown. */
  #mergeWorkers(report: SpanReport, lines: readonly StatsLine[], tracePath: string, root: string): Merged | undefined {
    try {
      return mergeTraces(this.#options.rawDir, this.#run, tracePath, nameEntries(lines), { root })
    } catch (error) {
      report.problems.push(unwritable(tracePath, error))
      return undefined
    }
  }

  /** Writes report.json (with the trace's figures, when it was written) and prints the report. */
  #publish(vitest: Vitest, report: SpanReport, trace: (Merged & { path: string; started: number }) | undefined): void {
    const reportPath = join(this.#options.outputDir, 'report.json')
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
    if (this.#options.report === 'none') {
      for (const problem of report.problems) vitest.logger.warn(pc.yellow(`vitest-napi-tracing: ${problem}`))
      return
    }
    // A reporter that writes its output to stdout (JSON, JUnit, TAP) must get it clean.
    const toStderr = stdoutTakenBy(vitest) !== undefined
    const stream = toStderr ? process.stderr : process.stdout
    const text = formatSpanReport(report, pc, {
      mode: this.#options.report ?? 'compact',
      top: this.#options.top ?? 3,
      slowest: 5,
      width: stream.isTTY ? stream.columns : 80,
      ...(wroteReport ? { reportPath: shownPath(reportPath, process.cwd()) } : {}),
      ...(trace ? { tracePath: shownPath(trace.path, process.cwd()) } : {}),
    })
    if (toStderr) vitest.logger.error(`\n${text}\n`)
    else vitest.logger.log(`\n${text}\n`)
  }

  /**
   * Compares the run with the baseline, if one was given; a baseline that
   * cannot be read is a problem, never a failed run.
   */
  #compare(report: SpanReport, root: string): void {
    const baseline = this.#options.baseline
    if (baseline === undefined) return
    const path = baseline === 'previous' ? previousReport(this.#options.outputDir) : resolve(root, baseline)
    const keep = this.#options.keep ?? 0
    if (path === undefined) {
      const history = shownPath(join(this.#options.outputDir, 'history'), process.cwd())
      report.problems.push(
        keep > 0
          ? `baseline 'previous': no earlier run is kept in ${history} yet (keep: ${keep} keeps the runs before this one); the next run is compared with this one`
          : `baseline 'previous': no earlier run is kept in ${history}; set napiTracing({ keep: 1 }) (or more) to keep runs`,
      )
      return
    }
    try {
      // The kept runs, the baseline among them, are each path's noise.
      const history = keptRuns(this.#options.outputDir).flatMap((dir) => {
        try {
          return [readReport(join(dir, 'report.json'))]
        } catch {
          return []
        }
      })
      report.comparison = compareReports(readReport(path), report, shownPath(path, process.cwd()), { threshold: this.#options.threshold ?? 2, history })
    } catch (error) {
      report.problems.push(`baseline: ${messageOf(error)}`)
      return
    }
    const regressions = report.comparison.changes.filter(isRegression).length
    if (this.#options.failOnRegression && regressions > 0) {
      process.exitCode = 1
      report.problems.push(`${plural(regressions, 'regression')} against ${report.comparison.baseline}: the run fails (failOnRegression)`)
    }
  }

  /**
   * Shards of the run whose blob report did not reach this job: the blobs
   * that did say how many shards there were. A missing shard's folder, if
   * it is here, still gives its tests' figures (its own report.json, added
   * to `report`) and its trace; either way the report says what is missing.
   * Returns every shard whose trace is to be merged.
   */
  #blobless(shards: ReadonlySet<string>, report: SpanReport): Set<string> {
    const counts = new Set([...shards].map((s) => Number(s.split('/')[1])))
    const all = new Set(shards)
    for (const count of counts) {
      for (let index = 1; index <= count; index++) {
        const shard = `${index}/${count}`
        if (shards.has(shard)) continue
        const folder = join(this.#options.mergeDir, shardFolder(index, count))
        const shown = shownPath(folder, process.cwd())
        const reportFile = join(folder, 'report.json')
        if (!existsSync(folder)) {
          report.problems.push(
            `shard ${index} of ${count}: no blob, no trace: neither its blob report nor its ${shardFolder(index, count)} folder reached this job, so its tests are missing from the run and the report; upload both from its job (see the CI recipe in vitest-napi-tracing's docs/across-runs.md)`,
          )
          continue
        }
        all.add(shard)
        let figures = 'its trace is merged'
        try {
          const own = readReport(reportFile)
          report.tests.push(...own.tests)
          report.files.push(...own.files)
          if (own.spans !== undefined) report.spans = (report.spans ?? 0) + own.spans
          figures = `its ${plural(own.tests.length, 'test')} and trace are taken from ${shown}`
        } catch (error) {
          figures = `its trace is merged, but its tests' figures are missing (${messageOf(error)})`
        }
        report.problems.push(`shard ${index} of ${count}: its blob report did not reach this job, so Vitest's summary leaves its tests out; ${figures}`)
      }
    }
    return all
  }

  /**
   * The shards' traces, found in their folders (`shard-i-of-n/`, copied into
   * this job), merged into one; a missing one is named, never fatal.
   * Undefined (trace.json left as it is) when none is here.
   */
  async #mergeShards(shards: ReadonlySet<string>, out: string, problems: string[]): Promise<Merged | undefined> {
    const found: Array<{ shard: string; path: string }> = []
    for (const shard of [...shards].sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))) {
      const [index, count] = shard.split('/').map(Number) as [number, number]
      const path = join(this.#options.mergeDir, shardFolder(index, count), 'trace.json')
      if (existsSync(path)) found.push({ shard, path })
      else {
        problems.push(
          `the trace of shard ${shard} is not here (${shownPath(path, process.cwd())}): copy that shard's ${shardFolder(index, count)} folder into this job's ${shownPath(this.#options.mergeDir, process.cwd())} to have it in trace.json`,
        )
      }
    }
    if (found.length === 0) return undefined
    let merged: Awaited<ReturnType<typeof mergeShardTraces>>
    try {
      merged = await mergeShardTraces(found, out)
    } catch (error) {
      problems.push(unwritable(out, error))
      return undefined
    }
    if (merged.unaligned.length > 0) {
      problems.push(`shard traces without a clock anchor (cut short?): ${merged.unaligned.join(', ')}; their times in trace.json are their machines' own, not aligned with the other shards'`)
    }
    return merged
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

/** A module of type tests: Vitest checks them with tsc, in no worker (its tasks' meta says `typecheck`). */
function isTypecheck(module: TestModule): boolean {
  const tests = [...module.children.allTests()]
  return tests.length > 0 && tests.every((t) => (t.meta() as { typecheck?: unknown }).typecheck === true)
}

function ranFile(module: TestModule): RanFile {
  const ran = [...module.children.allTests()].some((t) => ['passed', 'failed'].includes(t.result().state))
  return { path: module.moduleId, file: fileOf(module), ran }
}

/** A test file's path from its project's root (Vitest 3.2 has no `relativeModuleId`; it is this). */
function fileOf(module: TestModule): string {
  return (module as { relativeModuleId?: string }).relativeModuleId ?? relative(module.project.config.root, module.moduleId)
}

function testResults(module: TestModule, labelled: boolean): TestResult[] {
  const file = fileOf(module)
  return [...module.children.allTests()].map((test: TestCase) => ({
    id: test.id,
    file,
    name: test.fullName,
    state: stateOf(test.result().state),
    durationMs: test.diagnostic()?.duration ?? 0,
    ...(labelled ? { project: module.project.name } : {}),
  }))
}

/** The problem of a file of the run that could not be written. */
function unwritable(path: string, error: unknown): string {
  return `could not write ${path}: ${messageOf(error)}; set napiTracing({ outputDir }) to a writable folder`
}

/** Tests by project, of `modules`, in the order projects first appear. */
function untracedProjects(modules: readonly TestModule[]): Array<{ project: string; tests: number }> {
  const tests = new Map<string, number>()
  for (const m of modules) tests.set(m.project.name, (tests.get(m.project.name) ?? 0) + [...m.children.allTests()].length)
  return [...tests].filter(([, n]) => n > 0).map(([project, n]) => ({ project, tests: n }))
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

/**
 * Every line of every worker's stats file; unreadable lines become
 * problems. A panic line is told which worker and test file it happened in.
 */
function readStatsLines(dir: string, run: string, root: string, problems: string[]): StatsLine[] {
  let names: string[]
  try {
    names = readdirSync(dir).filter((f) => f.endsWith(STATS_SUFFIX) && ofRun(f, run))
  } catch {
    return []
  }
  const lines: StatsLine[] = []
  let broken = 0
  for (const name of names) {
    let worker: string | undefined
    let file: string | undefined
    /** Panics not yet followed by a line of the worker's own. */
    let panics: Array<Extract<StatsLine, { kind: 'panic' }>> = []
    for (const text of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!text) continue
      let line: StatsLine
      try {
        line = JSON.parse(text) as StatsLine
      } catch {
        broken++
        continue
      }
      if (line.kind === 'panic') {
        line = { ...line, ...(worker ? { worker } : {}), ...(file ? { file: relative(root, file) } : {}) }
        panics.push(line)
      } else {
        // The worker wrote on: its process outlived the panics before (they were caught).
        for (const panic of panics) panic.survived = true
        panics = []
        if (line.kind === 'worker') worker = line.label
        else if (line.kind === 'begin') file = line.path
      }
      lines.push(line)
    }
  }
  if (broken > 0) problems.push(`${broken} statistics lines were cut short (a worker stopped mid-write) and left out`)
  return lines
}
