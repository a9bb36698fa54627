/**
 * Reading a run's statistics lines back: every line of every worker's stats
 * file of the run (`worker-file.ts` writes them), in each worker's order.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ofRun, STATS_SUFFIX, type StatsLine } from './worker-file.js'

/**
 * Every line of every worker's stats file of `run` in `dir`; unreadable
 * lines become one problem pushed on `problems`. A panic line is told which
 * worker and test file (relative to `root`) it happened in, and whether the
 * worker wrote on after it (`survived`: the addon caught it). No folder, no
 * lines.
 */
export function readStatsLines(dir: string, run: string, root: string, problems: string[]): StatsLine[] {
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
