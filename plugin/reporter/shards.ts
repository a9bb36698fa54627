/**
 * A `--merge-reports` job's shards: the ones whose blob report is missing
 * (their folder, if copied here, still gives their figures and trace), and
 * the shards' traces merged into one trace.json.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { messageOf } from '../../src/errors.js'
import { shardFolder } from '../options.js'
import { readReport } from '../report/compare.js'
import type { SpanReport } from '../report/model.js'
import { plural, shownPath } from '../report/terminal.js'
import { mergeShardTraces } from '../trace/shards.js'
import { unwritable, type Merged } from './publish.js'

/**
 * Shards of the run whose blob report did not reach this job: the blobs
 * that did (`shards`, as `index/count`) say how many shards there were. A
 * missing shard's folder under `mergeDir`, if it is here, still gives its
 * tests' figures (its own report.json, added to `report`) and its trace;
 * either way the report says what is missing. Returns every shard whose
 * trace is to be merged.
 */
export function shardsToMerge(shards: ReadonlySet<string>, report: SpanReport, mergeDir: string): Set<string> {
  const counts = new Set([...shards].map((s) => Number(s.split('/')[1])))
  const all = new Set(shards)
  for (const count of counts) {
    for (let index = 1; index <= count; index++) {
      const shard = `${index}/${count}`
      if (shards.has(shard)) continue
      const folder = join(mergeDir, shardFolder(index, count))
      const shown = shownPath(folder, process.cwd())
      if (!existsSync(folder)) {
        report.problems.push(
          `shard ${index} of ${count}: no blob, no trace: neither its blob report nor its ${shardFolder(index, count)} folder reached this job, so its tests are missing from the run and the report; upload both from its job (see the CI recipe in vitest-napi-tracing's docs/across-runs.md)`,
        )
        continue
      }
      all.add(shard)
      let figures = 'its trace is merged'
      try {
        const own = readReport(join(folder, 'report.json'))
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
 * The shards' traces, found in their folders (`shard-i-of-n/` under
 * `mergeDir`, copied into this job), merged into `out`; a missing one is
 * named in `problems`, never fatal. Undefined (trace.json left as it is)
 * when none is here or `out` cannot be written.
 */
export async function mergeShardFolders(shards: ReadonlySet<string>, mergeDir: string, out: string, problems: string[]): Promise<Merged | undefined> {
  const found: Array<{ shard: string; path: string }> = []
  for (const shard of [...shards].sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))) {
    const [index, count] = shard.split('/').map(Number) as [number, number]
    const path = join(mergeDir, shardFolder(index, count), 'trace.json')
    if (existsSync(path)) found.push({ shard, path })
    else {
      problems.push(
        `the trace of shard ${shard} is not here (${shownPath(path, process.cwd())}): copy that shard's ${shardFolder(index, count)} folder into this job's ${shownPath(mergeDir, process.cwd())} to have it in trace.json`,
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
