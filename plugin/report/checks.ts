/**
 * What a run's data says went wrong beyond what the workers reported, each a
 * sentence naming the fix: test files the workers' tracers never saw begin,
 * a filter that let no span through, spans of napi's generated callbacks.
 * Pure: the reporter gathers the inputs.
 */
import type { ResolvedFilter } from '../../src/tracing.js'
import type { StatsLine } from '../data/worker-file.js'

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

/**
 * A run that was traced but has no span at all, because the filter turned
 * off every span callsite the addons met (`hidden`, as `LEVEL
 * target::name`): say which filter, what it hid, and the level to widen it
 * to. When it hid nothing, the filter is not the cause (the problems that
 * are, a worker that died or a subscriber that kept spans away, say so
 * themselves): nothing is said of it.
 */
export function filterEnabledNothing(filter: ResolvedFilter, spans: number, traced: boolean, hidden: readonly string[]): string[] {
  if (!traced || spans > 0 || hidden.length === 0) return []
  const source = { option: 'napiTracing({ filter })', RUST_LOG: 'from RUST_LOG', default: 'the default' }[filter.source]
  const levels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']
  const lowest = levels.find((level) => hidden.some((h) => h.startsWith(`${level} `))) ?? 'TRACE'
  const shown = hidden.slice(0, 5).join(', ') + (hidden.length > 5 ? `, and ${hidden.length - 5} more` : '')
  const widen = lowest.toLowerCase()
  return [
    `filter '${filter.directives}' (${source}) enabled no spans: the run has none, and the addons met ${hidden.length} span callsite${hidden.length === 1 ? '' : 's'} it turned off (${shown}). ` +
      `Widen it to their level: napiTracing({ filter: '${widen}' }) or RUST_LOG=${widen}.`,
  ]
}

/** napi-derive names its generated callback `<function>_c_callback`. */
const CALLBACK = /^(.+)_c_callback$/

/** Spans of napi's generated callbacks: `#[tracing::instrument]` stands below `#[napi]`. */
export function misplacedInstrument(spans: ReadonlyArray<{ name: string; target: string }>): string[] {
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

/** What a worker's panic line says happened, with the likely cause and its fix. */
export function panicked(line: Extract<StatsLine, { kind: 'panic' }>): string {
  const where = [line.worker ?? `process ${line.pid}`, line.file ? `running ${line.file}` : undefined].filter(Boolean).join(', ')
  const head = `the addon panicked in ${where} (thread ${JSON.stringify(line.thread)}${line.location ? `, at ${line.location}` : ''}): ${line.message}`
  if (/set global default subscriber|global default trace dispatcher|install global subscriber/.test(line.message)) {
    return (
      `${head}. The addon installs a tracing subscriber of its own (its init()) while napi-tracing holds the global default, ` +
      `and a panic in a napi call aborts the process: wrap that subscriber in its init line, napi_tracing::wrap(tracing_subscriber::registry().with(...).with(...)).init(), ` +
      `which napi-tracing traces through, or set napiTracing({ subscriber: 'scoped' }) (what 'auto' picks when it finds init() in the addon's binary)`
    )
  }
  if (/tried to clone .* no span exists/.test(line.message)) {
    return (
      `${head}. A span napi-tracing made on the JavaScript thread (subscriber: 'scoped') reached the addon's own subscriber as a parent on another thread: ` +
      `wrap the addon's subscriber in its init line, napi_tracing::wrap(tracing_subscriber::registry().with(...).with(...)).init(), which napi-tracing traces through`
    )
  }
  return `${head}. A panic inside a napi call aborts the process (Node-API cannot unwind it): the tests of that worker after it did not run`
}

/** Spans of addons no session could claim, over every process of the run (counts by addon). */
export function unattributed(counts: ReadonlyMap<string, number>): string[] {
  return [...counts].map(
    ([addon, count]) =>
      `${count.toLocaleString('en-US')} span${count === 1 ? '' : 's'} and events of addon ${JSON.stringify(addon)} belong to no test: made on a thread with no parent span while several workers ` +
      `shared a process (the threads pool), they could be any worker's. Carry the caller into that work (napi_tracing::caller() in the #[napi] function, caller.in_scope(|| ...) where it runs), or run the tests in the forks pool`,
  )
}
