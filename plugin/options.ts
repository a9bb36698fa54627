/**
 * The plugin's options, their defaults, and what workers receive.
 */
import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { messageOf } from '../src/errors.js'
import { knownKeys, oneOf } from '../src/options.js'
import type { SubscriberMode } from '../src/tracing.js'
import { DEFAULT_OUTPUT_DIR } from './report/model.js'

/** An addon to trace, with how napi-tracing reaches its spans. */
export interface AddonOption {
  /** Its napi-rs loader, as in `addons`. */
  path: string
  /** @default the plugin's `subscriber` */
  subscriber?: SubscriberMode
}

export interface NapiTracingOptions {
  /**
   * The addons to trace: their napi-rs loaders (`napi build` writes
   * `index.js` at the package root), as paths relative to the Vitest root or
   * package names, resolved as Node's `require.resolve` does (`./index`
   * finds `./index.js`, a folder its `main`); or `{ path, subscriber }`.
   */
  addons: Array<string | AddonOption>
  /**
   * How napi-tracing reaches each addon's spans: `'global'` (it installs the
   * addon's global default: every thread's spans), `'scoped'` (the
   * JavaScript thread's only, for an addon that installs a subscriber of
   * its own), `'layer'` (through `napi_tracing::layer()` in the addon's own
   * subscriber), `'auto'` (chosen per addon; see docs/addon.md). An addon whose
   * subscriber is `napi_tracing::wrap(..)` is traced through it, whatever is set.
   * @default 'auto'
   */
  subscriber?: SubscriberMode
  /** EnvFilter directives. @default process.env.RUST_LOG when set and not blank, else 'info' */
  filter?: string
  /** Where report.json and trace.json go. @default '<root>/.vitest/napi-tracing' */
  outputDir?: string
  /**
   * The span report printed after the run: `compact`, the hottest span
   * paths and the failed and slowest tests; `full`, every span name of every
   * test; `tree`, every test's call tree; `none`. @default 'compact'
   */
  report?: 'compact' | 'full' | 'tree' | 'none'
  /** Span rows per test in the compact report. @default 3 */
  top?: number
  /**
   * A report.json to compare this run with (resolved from the root), or
   * `'previous'`: the newest run kept in `outputDir` (see `keep`). Changed
   * span counts and spans slower or faster beyond `threshold` are printed
   * and recorded in report.json's `comparison`. @default none
   */
  baseline?: string
  /** How many times slower both the shortest and the mean span of a path must be to count. @default 2 */
  threshold?: number
  /** Fail the run (exit code 1) when the comparison finds a regression. @default false */
  failOnRegression?: boolean
  /** Earlier runs' report.json and trace.json kept in `<outputDir>/history/`. @default 0 */
  keep?: number
  /**
   * Bytes of records a worker's addon may hold between flushes (its sums:
   * 78 bytes per span path and anchor between flushes, not per span); beyond it records are
   * dropped and counted. @default 16 MiB
   */
  queueCapacity?: number
  /**
   * The JavaScript side of each test, in the same trace as the native
   * spans: `'js'` takes a V8 CPU profile in every worker (samples every
   * 1,000 µs, drawn under the test slices, each test's top JavaScript
   * functions in the report) and samples the worker's JS heap and RSS
   * (counter tracks, each test's change in report.json). An object picks:
   * `{ js?: boolean, intervalUs?: number, memory?: boolean }` (`js` and
   * `memory` default to true, `intervalUs` to 1000, at least 50). Off by
   * default: without it the trace has no samples and the workers take none.
   */
  profile?: 'js' | ProfileOption
}

/** `profile`'s object form (see `NapiTracingOptions.profile`). */
export interface ProfileOption {
  /** V8 CPU samples of each worker's JavaScript thread. @default true */
  js?: boolean
  /** Microseconds between samples (50 or more). @default 1000 */
  intervalUs?: number
  /** JS heap used and RSS as counter tracks, and each test's change. @default true */
  memory?: boolean
}

/** What the workers profile, resolved from `profile`. */
export interface ProfileConfig {
  js: boolean
  intervalUs: number
  memory: boolean
}

export const OPTION_KEYS = ['addons', 'subscriber', 'filter', 'outputDir', 'report', 'top', 'baseline', 'threshold', 'failOnRegression', 'keep', 'queueCapacity', 'profile'] as const
/** V8's sampler cannot keep a shorter interval, and each sample costs the worker. */
const MIN_INTERVAL_US = 50
const DEFAULT_INTERVAL_US = 1000
const SUBSCRIBERS = ['auto', 'global', 'scoped', 'layer'] as const

/** What every worker needs, through Vitest's provide/inject (JSON-safe: Vitest 3 serializes it as JSON). */
export interface WorkerConfig {
  addons: Array<{ label: string; path: string }>
  /** Each addon's `subscriber` (null: auto), by position in `addons`. */
  subscribers: Array<SubscriberMode | null>
  /** The filter's directives, resolved once in the main process. */
  filter: string
  rawDir: string
  root: string
  queueCapacity: number | undefined
  /** `i/n` when the run is a shard (`--shard`), for the blob reports' per-file data. */
  shard: string | undefined
  /** What to profile beside the spans; undefined: nothing. */
  profile: ProfileConfig | undefined
}

export const PROVIDE_KEY = 'napiTracing' as const

/** `VITEST_NAPI_TRACING=0` (or `false`, `off`) turns the plugin off. */
export function isDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['VITEST_NAPI_TRACING']?.trim().toLowerCase()
  return value === '0' || value === 'false' || value === 'off'
}

/**
 * Where report.json and trace.json go: `outputDir` under the root, and for
 * a shard (`--shard=i/n`) its own folder in it, `shard-i-of-n/`, so that
 * CI jobs' folders copied into one merge job do not overwrite each other.
 */
export function outputDirOf(options: NapiTracingOptions, root: string, shard?: { index: number; count: number }): string {
  const dir = resolve(root, options.outputDir ?? DEFAULT_OUTPUT_DIR)
  return shard ? join(dir, shardFolder(shard.index, shard.count)) : dir
}

/** A shard's folder in the output folder. */
export function shardFolder(index: number, count: number): string {
  return `shard-${index}-of-${count}`
}

/** Throws a TypeError naming the first option that is wrong, and what it accepts. */
export function checkOptions(options: NapiTracingOptions): void {
  if (!options || !Array.isArray(options.addons) || options.addons.some((a) => typeof a !== 'string' && typeof a?.path !== 'string')) {
    throw new TypeError(
      `vitest-napi-tracing: napiTracing() needs { addons: ['./index.js', ...] }: the napi-rs addons' loaders to trace, resolved from the Vitest root (each a path, or { path, subscriber })`,
    )
  }
  knownKeys('napiTracing()', options, OPTION_KEYS)
  if (options.subscriber !== undefined) oneOf('napiTracing()', 'subscriber', options.subscriber, SUBSCRIBERS)
  for (const addon of options.addons) {
    if (typeof addon === 'string') continue
    knownKeys(`napiTracing() addon ${JSON.stringify(addon.path)}`, addon, ['path', 'subscriber'])
    if (addon.subscriber !== undefined) oneOf(`napiTracing() addon ${JSON.stringify(addon.path)}`, 'subscriber', addon.subscriber, SUBSCRIBERS)
  }
  if (options.report !== undefined) oneOf('napiTracing()', 'report', options.report, ['compact', 'full', 'tree', 'none'])
  if (options.threshold !== undefined && !(typeof options.threshold === 'number' && options.threshold > 1)) {
    throw new TypeError(`vitest-napi-tracing: napiTracing() threshold must be a number above 1 (how many times slower), got ${JSON.stringify(options.threshold)}`)
  }
  if (options.baseline !== undefined && !(typeof options.baseline === 'string' && options.baseline.trim() !== '')) {
    throw new TypeError(`vitest-napi-tracing: napiTracing() baseline must be the path of a report.json or 'previous', got ${JSON.stringify(options.baseline)}`)
  }
  if (options.failOnRegression !== undefined && typeof options.failOnRegression !== 'boolean') {
    throw new TypeError(`vitest-napi-tracing: napiTracing() failOnRegression must be true or false, got ${JSON.stringify(options.failOnRegression)}`)
  }
  if (options.keep !== undefined && !(Number.isInteger(options.keep) && options.keep >= 0)) {
    throw new TypeError(`vitest-napi-tracing: napiTracing() keep must be a whole number of runs (0 or more), got ${JSON.stringify(options.keep)}`)
  }
  profileConfig(options.profile)
}

/**
 * What `profile` asks the workers for (undefined: nothing). Throws a
 * TypeError naming what is wrong with it and what it accepts.
 */
export function profileConfig(profile: NapiTracingOptions['profile']): ProfileConfig | undefined {
  if (profile === undefined) return undefined
  if (profile === 'js') return { js: true, intervalUs: DEFAULT_INTERVAL_US, memory: true }
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) {
    throw new TypeError(`vitest-napi-tracing: napiTracing() profile must be 'js' or { js?, intervalUs?, memory? }, got ${JSON.stringify(profile)}`)
  }
  knownKeys('napiTracing() profile', profile, ['js', 'intervalUs', 'memory'])
  for (const key of ['js', 'memory'] as const) {
    if (profile[key] !== undefined && typeof profile[key] !== 'boolean') {
      throw new TypeError(`vitest-napi-tracing: napiTracing() profile.${key} must be true or false, got ${JSON.stringify(profile[key])}`)
    }
  }
  const intervalUs = profile.intervalUs ?? DEFAULT_INTERVAL_US
  if (!(Number.isInteger(intervalUs) && intervalUs >= MIN_INTERVAL_US)) {
    throw new TypeError(
      `vitest-napi-tracing: napiTracing() profile.intervalUs must be a whole number of microseconds between samples, ${MIN_INTERVAL_US} or more, got ${JSON.stringify(profile.intervalUs)}`,
    )
  }
  const config = { js: profile.js ?? true, intervalUs, memory: profile.memory ?? true }
  return config.js || config.memory ? config : undefined
}

export interface ResolvedAddon {
  label: string
  path?: string
  problem?: string
  subscriber?: SubscriberMode | undefined
}

/** Resolves each addon from the root as Node would; a missing one becomes a problem, not an exception. */
export function resolveAddons(addons: NapiTracingOptions['addons'], root: string, subscriber?: SubscriberMode): ResolvedAddon[] {
  const require = createRequire(join(root, 'package.json'))
  return addons.map((addon) => {
    const label = typeof addon === 'string' ? addon : addon.path
    const chosen = (typeof addon === 'string' ? undefined : addon.subscriber) ?? subscriber
    return { ...resolveOne(require, label, root), subscriber: chosen }
  })
}

function resolveOne(require: NodeJS.Require, label: string, root: string): ResolvedAddon {
  try {
    // Relative to the root, not to where this package is installed.
    const request = label.startsWith('.') && !isAbsolute(label) ? resolve(root, label) : label
    return { label, path: require.resolve(request) }
  } catch (error) {
    return {
      label,
      problem:
        `addon ${JSON.stringify(label)} could not be found from ${root} (${messageOf(error).split('\n')[0]}); ` +
        `it is not traced. Fix the path in napiTracing({ addons }) (napi build writes the loader as index.js at the addon's package root), or build the addon.`,
    }
  }
}
