/**
 * The reporter the plugin adds: at the end of each run it reads the workers'
 * files, prints the span report through Vitest's logger, and writes
 * report.json and trace.json. It never changes the run's outcome: anything
 * that goes wrong here is printed and the run goes on.
 */
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import pc from 'picocolors'
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node'
import { computeSpanReport, type TestResult, type TestState } from '../src/report/model.js'
import { writeReport } from '../src/report/json.js'
import { formatSpanReport } from '../src/report/terminal.js'
import { mergeTraces } from '../src/trace/merge.js'
import { ofRun, startRun, STATS_SUFFIX, type StatsLine } from '../src/trace/worker-file.js'
import type { NapiTracingOptions } from './options.js'

export interface ReporterOptions extends NapiTracingOptions {
  outputDir: string
  rawDir: string
  /** Problems found in the main process (addons not found). */
  problems: string[]
}

export class NapiTracingReporter implements Reporter {
  readonly #options: ReporterOptions
  #vitest: Vitest | undefined
  #run = ''

  constructor(options: ReporterOptions) {
    this.#options = options
  }

  onInit(vitest: Vitest): void {
    this.#vitest = vitest
  }

  onTestRunStart(): void {
    // Each run (and watch-mode rerun) has worker files of its own; workers
    // that outlive a run follow the run file to the next one.
    this.#run = String(Date.now())
    try {
      rmSync(this.#options.rawDir, { recursive: true, force: true })
      startRun(this.#options.rawDir, this.#run)
    } catch {
      // Reported at the end, where writing the report fails the same way.
    }
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>): Promise<void> {
    const vitest = this.#vitest
    if (!vitest) return
    const root = vitest.config.root
    const reportPath = join(this.#options.outputDir, 'report.json')
    const tracePath = join(this.#options.outputDir, 'trace.json')
    const problems = [...this.#options.problems]
    const lines = readStatsLines(this.#options.rawDir, this.#run, problems)
    const report = computeSpanReport(modules.flatMap(testResults), lines, problems)
    let wroteReport = false
    let wroteTrace = false
    try {
      const started = performance.now()
      const merged = await mergeTraces(this.#options.rawDir, this.#run, tracePath, { root })
      wroteTrace = true
      report.trace = { path: tracePath, events: merged.events, bytes: statSync(tracePath).size, writeMs: Math.round(performance.now() - started) }
      if (merged.skipped > 0) {
        report.problems.push(`${merged.skipped} trace lines were cut short (a worker stopped mid-write) and left out of the trace`)
      }
    } catch (error) {
      report.problems.push(`could not write ${tracePath}: ${message(error)}; set napiTracing({ outputDir }) to a writable folder`)
    }
    try {
      writeReport(reportPath, report)
      wroteReport = true
    } catch (error) {
      report.problems.push(`could not write ${reportPath}: ${message(error)}; set napiTracing({ outputDir }) to a writable folder`)
    }
    if (this.#options.report === 'none') {
      for (const problem of report.problems) vitest.logger.warn(pc.yellow(`vitest-napi-tracing: ${problem}`))
      return
    }
    const text = formatSpanReport(report, pc, {
      mode: this.#options.report ?? 'compact',
      top: this.#options.top ?? 3,
      slowest: 5,
      ...(wroteReport ? { reportPath: relative(process.cwd(), reportPath) } : {}),
      ...(wroteTrace ? { tracePath: relative(process.cwd(), tracePath) } : {}),
    })
    vitest.logger.log(`\n${text}\n`)
  }
}

function testResults(module: TestModule): TestResult[] {
  const file = module.relativeModuleId ?? module.moduleId
  return [...module.children.allTests()].map((test: TestCase) => ({
    id: test.id,
    file,
    name: test.fullName,
    state: test.result().state as TestState,
    durationMs: test.diagnostic()?.duration ?? 0,
  }))
}

/** Every line of every worker's stats file; unreadable lines become problems. */
function readStatsLines(dir: string, run: string, problems: string[]): StatsLine[] {
  let names: string[]
  try {
    names = readdirSync(dir).filter((f) => f.endsWith(STATS_SUFFIX) && ofRun(f, run))
  } catch {
    return []
  }
  const lines: StatsLine[] = []
  let broken = 0
  for (const name of names) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line) continue
      try {
        lines.push(JSON.parse(line) as StatsLine)
      } catch {
        broken++
      }
    }
  }
  if (broken > 0) problems.push(`${broken} statistics lines were cut short (a worker stopped mid-write) and left out`)
  return lines
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
