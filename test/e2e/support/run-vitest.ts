/**
 * Runs Vitest in a child process on a fixture project of an installed
 * environment (see `installed.ts`), as a user would, and returns what came
 * out: exit code, output, report.json and the trace path.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import type { SpanReport } from 'vitest-napi-tracing/plugin'
import type { InstalledEnv, Major } from './paths.js'

export type Pool = 'forks' | 'threads' | 'vmForks' | 'vmThreads'

export interface RunOptions {
  project: string
  /** Vitest's command. @default 'run' */
  command?: 'run' | 'bench'
  major?: Major
  pool?: Pool
  isolate?: boolean
  args?: string[]
  env?: Record<string, string>
  /** Also run Vitest's JSON reporter, for `states()`. */
  json?: boolean
  /** Where report.json and trace.json go (FIXTURE_OUTPUT_DIR); a fresh folder by default. */
  outputDir?: string
  /** The child's working directory. @default a fresh folder */
  cwd?: string
  /** The Node binary that runs Vitest. @default the environment's */
  node?: string
}

export interface RunResult {
  /** The child's working directory: a fresh folder unless given, also for files it writes. */
  cwd: string
  exitCode: number | null
  stdout: string
  stderr: string
  outputDir: string
  reportPath: string
  tracePath: string
  report: () => SpanReport
  /** Test states by full name, from Vitest's own JSON reporter (with `json: true`). */
  states: () => Record<string, string>
}

/** The installed environment of a Vitest major. */
export function installedEnv(major: Major = 4): InstalledEnv {
  return inject('installed').envs[major]
}

export function runVitest(options: RunOptions): RunResult {
  const env = installedEnv(options.major)
  const outputDir = options.outputDir ?? mkdtempSync(join(tmpdir(), `napi-tracing-${options.project}-`))
  const args = [env.vitest, ...(options.command === 'bench' ? ['bench', '--run'] : ['run']), '--root', join(env.projects, options.project)]
  if (options.pool) args.push('--pool', options.pool)
  if (options.isolate === false) args.push('--no-isolate')
  args.push(...(options.args ?? []))
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'napi-tracing-cwd-'))
  const vitestJson = join(cwd, 'vitest.json')
  if (options.json) args.push('--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`)
  const child = spawnSync(options.node ?? env.node, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, FIXTURE_OUTPUT_DIR: outputDir, NO_COLOR: '1', ...options.env },
  })
  const reportPath = join(outputDir, 'report.json')
  return {
    cwd,
    exitCode: child.status,
    stdout: child.stdout,
    stderr: child.stderr,
    outputDir,
    reportPath,
    tracePath: join(outputDir, 'trace.json'),
    report: () => {
      if (!existsSync(reportPath)) throw new Error(`no report.json; vitest said:\n${child.stdout}\n${child.stderr}`)
      return JSON.parse(readFileSync(reportPath, 'utf8')) as SpanReport
    },
    states: () => {
      const json = JSON.parse(readFileSync(vitestJson, 'utf8')) as {
        testResults: Array<{ assertionResults: Array<{ fullName: string; status: string }> }>
      }
      return Object.fromEntries(json.testResults.flatMap((f) => f.assertionResults.map((a) => [a.fullName, a.status])))
    },
  }
}

/** One run of `watchReruns`, as `support/watch-reruns.mjs` prints it from report.json. */
export interface Rerun {
  run: number
  /** Each test's spans, all counted. */
  tests: Array<[string, number]>
  /** Each test's calls by span name, of spans known to be its own. */
  exact: Record<string, Record<string, number>>
  /** Each test's calls by span name, of spans placed by time or shared. */
  timed: Record<string, Record<string, number>>
  /** Each file's calls by span name outside tests, of spans known to be there. */
  files: Record<string, Record<string, number>>
  problems: string[]
  comparison?: SpanReport['comparison']
  heapUsed: number
  rss: number
}

/**
 * Vitest in watch mode in a child process, running `files` of a fixture
 * project once and then again until `runs` runs are done; one `Rerun` each.
 */
export function watchReruns(options: { project: string; files: string[]; runs: number; pool?: Pool; env?: Record<string, string> }): Rerun[] {
  const env = installedEnv()
  const script = join(import.meta.dirname, 'watch-reruns.mjs')
  const args = ['--expose-gc', script, join(env.dir, 'node_modules/vitest'), join(env.projects, options.project), options.files.join(','), String(options.runs)]
  if (options.pool) args.push(options.pool)
  const child = spawnSync(env.node, args, {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, FIXTURE_OUTPUT_DIR: mkdtempSync(join(tmpdir(), `napi-tracing-watch-${options.project}-`)), NO_COLOR: '1', ...options.env },
  })
  const runs = child.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Rerun)
  if (runs.length !== options.runs) throw new Error(`${runs.length} of ${options.runs} runs came out; the child said:\n${child.stdout}\n${child.stderr}`)
  return runs
}
