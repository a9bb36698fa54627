#!/usr/bin/env node
/**
 * The package's command, `vitest-napi-tracing`:
 *
 *   vitest-napi-tracing compare <base report.json> <new report.json> [--threshold 2] [--fail-on-regression] [--paths] [--history <dir>]
 *   vitest-napi-tracing open [trace.json] [--no-browser] [--port 9001]
 *   vitest-napi-tracing init [--registry] [--dry-run]
 *
 * Exit codes: 0 done; 1 `compare --fail-on-regression` found a regression,
 * or `init` left a step to do by hand; 2 bad input (the message names the
 * file and the fix), or `init` found no addon to set up.
 */
import { existsSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { DEFAULT_OUTPUT_DIR, type SpanReport } from '../report/model.js'
import { messageOf } from '../../src/errors.js'
import pc from 'picocolors'
import { compareReports, isRegression, readReport } from '../report/compare.js'
import { comparisonLines, judgementLines } from '../report/terminal.js'
import { keptRuns } from '../report/history.js'
import { init } from './init.js'
import { openBrowser, PERFETTO_PORT, serveTrace } from './open.js'

const USAGE = `usage:
  vitest-napi-tracing compare <base report.json> <new report.json> [--threshold 2] [--fail-on-regression] [--paths] [--history <dir>]
  vitest-napi-tracing open [trace.json] [--no-browser] [--port ${PERFETTO_PORT}]
  vitest-napi-tracing init [--registry] [--dry-run]`

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name)
  if (at === -1) return undefined
  const value = args[at + 1]
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value\n${USAGE}`)
  args.splice(at, 2)
  return value
}

function flag(args: string[], name: string): boolean {
  const at = args.indexOf(name)
  if (at !== -1) args.splice(at, 1)
  return at !== -1
}

/**
 * The output folder whose kept runs (`history/`) tell which counts vary:
 * the one a report given is in (as `<dir>/report.json` or a kept
 * `<dir>/history/<run>/report.json`), the new report's first.
 */
function historyBeside(...reports: string[]): string | undefined {
  for (const report of [...reports].reverse()) {
    const dir = dirname(resolve(report))
    const outputDir = basename(dirname(dir)) === 'history' ? dirname(dirname(dir)) : dir
    if (existsSync(join(outputDir, 'history'))) return outputDir
  }
  return undefined
}

/** The kept runs' reports of the output folder `dir` (or of a `history` folder), oldest first. */
function readHistory(dir: string | undefined): SpanReport[] {
  if (dir === undefined) return []
  const outputDir = basename(resolve(dir)) === 'history' ? dirname(resolve(dir)) : dir
  const runs = keptRuns(outputDir)
  if (runs.length === 0 && !existsSync(join(outputDir, 'history'))) throw new Error(`--history ${dir}: no kept runs there (an output folder with a history/ folder, as napiTracing({ keep }) writes)`)
  return runs.map((run) => readReport(join(run, 'report.json')))
}

/** A unified diff with added lines green and removed ones red. */
function colorDiff(diff: string): string {
  return diff
    .split('\n')
    .filter((line) => !/^={3,}$/.test(line) && !line.startsWith('Index: '))
    .map((line) => (line.startsWith('+') && !line.startsWith('+++') ? pc.green(line) : line.startsWith('-') && !line.startsWith('---') ? pc.red(line) : line))
    .join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  if (command === 'compare') {
    const threshold = Number(option(args, '--threshold') ?? 2)
    const fail = flag(args, '--fail-on-regression')
    const paths = flag(args, '--paths')
    const historyDir = option(args, '--history')
    if (!(threshold > 1)) throw new Error(`--threshold must be a number above 1 (how many times slower), got ${threshold}`)
    const [basePath, nextPath, ...rest] = args
    if (!basePath || !nextPath || rest.length > 0) throw new Error(USAGE)
    const history = readHistory(historyDir ?? historyBeside(basePath, nextPath))
    const comparison = compareReports(readReport(basePath), readReport(nextPath), basePath, { threshold, history })
    const width = process.stdout.columns ?? 100
    const hints = { paths: paths ? 'below' : '--paths lists each', more: '', changes: Infinity }
    const lines = comparisonLines(comparison, pc, width, hints).slice(1)
    if (paths) lines.push(...judgementLines(comparison, pc, width))
    console.log(lines.join('\n'))
    return fail && comparison.changes.some(isRegression) ? 1 : 0
  }
  if (command === 'open') {
    const port = Number(option(args, '--port') ?? PERFETTO_PORT)
    if (!(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error(`--port must be a port number (1-65535), got ${port}`)
    const noBrowser = flag(args, '--no-browser')
    const [path = `${DEFAULT_OUTPUT_DIR}/trace.json`, ...rest] = args
    if (rest.length > 0) throw new Error(USAGE)
    const served = await serveTrace(path, port)
    if (served.port !== port) {
      console.log(`port ${port} is taken, so the trace is served on ${served.port}; ui.perfetto.dev may fetch only from ${PERFETTO_PORT}: free it, or use Open trace file in the UI`)
    }
    const opened = !noBrowser && openBrowser(served.link)
    console.log(`${opened ? 'Opening' : 'Open'} ${served.link}\n(serving ${path} once on ${served.url}; Ctrl-C to stop)`)
    process.once('SIGINT', () => {
      served.close()
      process.exit(0)
    })
    await served.fetched
    console.log('The trace was fetched.')
    return 0
  }
  if (command === 'init') {
    const registry = flag(args, '--registry')
    const dryRun = flag(args, '--dry-run')
    if (args.length > 0) throw new Error(USAGE)
    const result = init({ cwd: process.cwd(), registry, dryRun })
    for (const diff of result.diffs) console.log(colorDiff(diff))
    if (result.diffs.length === 0) console.log(`nothing to change: it is set up (${result.unchanged.length} steps in place)`)
    else console.log(`${dryRun ? 'would change' : 'changed'} ${result.diffs.length} file${result.diffs.length === 1 ? '' : 's'}; ${result.unchanged.length} steps were in place already`)
    if (result.manual.length > 0) {
      console.log(pc.yellow(`\nleft to do by hand (the file's shape is not one init edits safely):`))
      for (const step of result.manual) console.log(pc.yellow(`  ${step.replaceAll('\n', '\n  ')}`))
    }
    console.log(`\nthen:\n${result.next.map((line) => `  ${line}`).join('\n')}`)
    return result.manual.length > 0 ? 1 : 0
  }
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE)
    return 0
  }
  throw new Error(`unknown command ${JSON.stringify(command)}\n${USAGE}`)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`vitest-napi-tracing: ${messageOf(error)}`)
    process.exit(2)
  },
)
