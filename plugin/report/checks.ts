/**
 * What a run's data says went wrong beyond what the workers reported, each a
 * sentence naming the fix: test files the workers' tracers never saw begin,
 * a filter that let no span through, spans of napi's generated callbacks.
 * Pure: the reporter gathers the inputs.
 */
import type { ResolvedFilter } from '../../src/tracing.js'
import type { ReportSpan } from './model.js'

/** A test file as Vitest ran it. */
export interface RanFile {
  /** Absolute path, as the worker's setup file sees it. */
  path: string
  /** For messages: relative to the root. */
  file: string
  /** Whether any of its tests ran (passed or failed); skipped-only files are not expected to be traced. */
  ran: boolean
}

/** Files whose tests ran but which no worker's tracer saw begin: their spans are missing, not zero. */
export function untracedFiles(files: readonly RanFile[], begun: ReadonlySet<string>): string[] {
  const missed = files.filter((f) => f.ran && !begun.has(f.path)).map((f) => f.file)
  if (missed.length === 0) return []
  return [
    `${missed.length} test file${missed.length > 1 ? 's' : ''} ran without the tracer seeing ${missed.length > 1 ? 'them' : 'it'} begin, ` +
      `so ${missed.length > 1 ? 'their' : 'its'} spans are missing from this report: ${missed.join(', ')}. ` +
      `The plugin's setup file must run before every test file: keep it inlined ` +
      `(test.server.deps.inline: [/vitest-napi-tracing\\/dist\\/plugin\\/setup\\.js$/]) and do not list it in server.deps.external.`,
  ]
}

/** A run that was traced but has no span at all: say which filter was in effect. */
export function filterEnabledNothing(filter: ResolvedFilter, spans: number, traced: boolean): string[] {
  if (!traced || spans > 0) return []
  const source = { option: 'napiTracing({ filter })', RUST_LOG: 'from RUST_LOG', default: 'the default' }[filter.source]
  return [
    `filter '${filter.directives}' (${source}) enabled no spans: the run has none. ` +
      `If the addon should have made some, widen it: napiTracing({ filter: 'trace' }) or RUST_LOG=trace.`,
  ]
}

/** napi-derive names its generated callback `<function>_c_callback`. */
const CALLBACK = /^(.+)_c_callback$/

/** Spans of napi's generated callbacks: `#[tracing::instrument]` stands below `#[napi]`. */
export function misplacedInstrument(spans: readonly Pick<ReportSpan, 'name' | 'target'>[]): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const span of spans) {
    const fn = CALLBACK.exec(span.name)?.[1]
    if (!fn || seen.has(span.name)) continue
    seen.add(span.name)
    out.push(
      `span "${span.name}" (${span.target}) is napi's generated callback, not ${fn}: #[tracing::instrument] stands below #[napi] on ${fn}. ` +
        `Put it above #[napi] so that it wraps ${fn} itself (its spans are then named "${fn}").`,
    )
  }
  return out
}
