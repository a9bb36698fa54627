/**
 * Span data in Vitest's own per-test and per-file data (`task.meta` and
 * `file.meta`, key `napiTracing`): Vitest's JSON reporter, its UI and blob
 * reports carry it without reading our files, and `--merge-reports` builds
 * the span report from it alone. JSON-safe; per test, its figures by span
 * name and path and its event counts.
 */
import { levelCount, spansByName, type SpanStats } from './stats.js'
import type { ProfileSummary } from './profile.js'
import type { StatsLine, Made, MemoryChange } from './worker-file.js'

/** A test's span data. */
export interface NapiTracingMeta extends Made {
  /** Spans the test made, and their native self time in ms. */
  spanCount: number
  selfMs: number
  /** Its ten biggest span names by total time (every path is in `tree`). */
  spans: SpanStats[]
  warnings: number
  errors: number
  /** Spans still open when the test ended. */
  open: number
  /** How much its memory grew, in bytes, when memory was followed (`profile`). */
  memory?: MemoryChange
}

/**
 * A test file's: what was made outside its tests, the shard (`i/n`) that
 * ran it, and with JavaScript samples what they say of each test (by id;
 * '' for the file outside its tests), known only once the file ends.
 */
export interface NapiTracingFileMeta {
  outside: Made
  shard?: string
  profiles?: Record<string, ProfileSummary>
}

declare module 'vitest' {
  interface TaskMeta {
    napiTracing?: NapiTracingMeta | NapiTracingFileMeta
  }
}

export function testMeta(made: Made, open: number, memory?: MemoryChange): NapiTracingMeta {
  return {
    ...(memory ? { memory } : {}),
    spanCount: made.tree.reduce((n, s) => n + s.calls, 0),
    selfMs: Math.round(made.tree.reduce((n, s) => n + s.selfNs, 0)) / 1e6,
    warnings: levelCount(made.events, 'WARN'),
    errors: levelCount(made.events, 'ERROR'),
    open,
    spans: spansByName(made.tree).slice(0, 10),
    ...made,
  }
}

/** What the reporter needs from a test or module for `linesFromMeta`. */
export interface WithMeta {
  meta(): { napiTracing?: NapiTracingMeta | NapiTracingFileMeta }
}

/**
 * Statistics lines rebuilt from the tests' and files' data, as the workers
 * would have written them: what a `--merge-reports` run reports, each file
 * named by `fileOf`. Also the shards (`i/n`) the files came from.
 */
export function linesFromMeta<M extends WithMeta & { moduleId: string; children: { allTests(): Iterable<WithMeta & { id: string; name: string; result(): { state: string } }> } }>(
  modules: readonly M[],
  fileOf: (module: M) => string,
): { lines: StatsLine[]; shards: Set<string> } {
  const lines: StatsLine[] = []
  const shards = new Set<string>()
  for (const module of modules) {
    const file = fileOf(module)
    const fileMeta = module.meta().napiTracing as NapiTracingFileMeta | undefined
    if (fileMeta?.shard) shards.add(fileMeta.shard)
    if (fileMeta?.outside && fileMeta.outside.tree.length + fileMeta.outside.events.length > 0) lines.push({ kind: 'file', file, ...fileMeta.outside })
    for (const [id, profile] of Object.entries(fileMeta?.profiles ?? {})) lines.push({ kind: 'profile', id, file, profile })
    for (const test of module.children.allTests()) {
      const meta = test.meta().napiTracing as NapiTracingMeta | undefined
      if (!meta) continue
      const memory = meta.memory ? { memory: meta.memory } : {}
      lines.push({ kind: 'test', id: test.id, file, name: test.name, state: test.result().state, open: meta.open, ...memory, tree: meta.tree, events: meta.events })
    }
  }
  return { lines, shards }
}
