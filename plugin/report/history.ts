/**
 * Earlier runs kept in the output folder (`napiTracing({ keep })`):
 * `<outputDir>/history/<time of the run>/{report.json,trace.json}`, newest
 * last, at most `keep` of them, so that a baseline is at hand without
 * copying files.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'

const FILES = ['report.json', 'trace.json']

function historyDir(outputDir: string): string {
  return join(outputDir, 'history')
}

/** Kept runs' folders, oldest first. */
export function keptRuns(outputDir: string): string[] {
  const dir = historyDir(outputDir)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'report.json')))
    .sort()
    .map((name) => join(dir, name))
}

/**
 * Moves the last run's files into the history before a new run writes its
 * own, and lets go of the oldest beyond `keep`. Nothing happens with
 * `keep` 0 or without a last run.
 */
export function keepLastRun(outputDir: string, keep: number): void {
  const report = join(outputDir, 'report.json')
  if (keep <= 0 || !existsSync(report)) return
  // Named by the time the run wrote its report: sortable, and one folder per run.
  const stamp = new Date(statSync(report).mtimeMs).toISOString().replace(/[:.]/g, '-')
  const dest = join(historyDir(outputDir), stamp)
  mkdirSync(dest, { recursive: true })
  for (const file of FILES) if (existsSync(join(outputDir, file))) renameSync(join(outputDir, file), join(dest, file))
  const runs = keptRuns(outputDir)
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(old, { recursive: true, force: true })
}

/** The newest kept run's report.json, if any. */
export function previousReport(outputDir: string): string | undefined {
  const newest = keptRuns(outputDir).at(-1)
  return newest ? join(newest, 'report.json') : undefined
}
