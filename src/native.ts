/**
 * The entry points `napi_tracing::export_tracing_api!()` adds to an addon,
 * the check that an addon really has them, at the version we speak, and
 * how a session is started through them.
 */
import { readFileSync } from 'node:fs'
import { PROTOCOL_VERSION, type NapiTracingEntryPoints, type NapiTracingFlushed, type NapiTracingStats } from './protocol.generated.js'

/**
 * \`process.hrtime.bigint\` as it was when this module loaded: fake timers
 * installed later (Vitest's fake \`hrtime\` and \`performance\` by default)
 * replace the global, not this. It calibrates the addon's clock where that
 * is not already the same clock (everywhere but Linux).
 */
const realHrtime = process.hrtime.bigint

/** Counters of one addon's tracing session on one thread (the shape the crate's entry point returns). */
export type NativeStats = NapiTracingStats

/** What a flush drained from the collect layer. */
export type NativeFlushed = NapiTracingFlushed

/** How napi-tracing was built into an addon. */
export interface TracingBuild {
  /** The Cargo profile's opt-level for the napi-tracing crate (per-package overrides applied): `'0'`–`'3'`, `'s'`, `'z'`. */
  optLevel: string
  debugAssertions: boolean
  /** The napi-tracing crate's version, in lockstep with this package's. */
  version: string
}

/** What `export_tracing_api!()` exports, as napi-derive types it in an addon's index.d.ts. */
export type TracingAddon = NapiTracingEntryPoints

const ENTRY_POINTS = [
  'napiTracingProtocol',
  'napiTracingBuild',
  'napiTracingStart',
  'napiTracingCaller',
  'napiTracingOpenSpans',
  'napiTracingFlush',
  'napiTracingStats',
  'napiTracingStop',
] as const

/**
 * Returns `addon` as a TracingAddon, or throws an error that says what is
 * missing and how to fix it. Accepts the module namespace or its default.
 * `label` names the addon in messages; `given` says where it was passed
 * (the plugin's `napiTracing({ addons })`, or `Tracing.start()`).
 */
export function asTracingAddon(addon: unknown, label = 'the addon', given = 'Tracing.start()'): TracingAddon {
  const candidates = [addon, (addon as { default?: unknown } | null)?.default]
  const found = candidates.find(
    (c): c is Record<string, unknown> =>
      typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>)['napiTracingStart'] === 'function',
  )
  if (!found) {
    const kind = addon === null ? 'null' : typeof addon
    throw new TypeError(
      `vitest-napi-tracing: ${label} does not export the tracing entry points (got ${kind}` +
        `${kind === 'object' ? ` with keys ${describeKeys(addon as object)}` : ''}). ` +
        `If it is your napi-rs addon, add \`napi_tracing::export_tracing_api!();\` to its lib.rs and rebuild it ` +
        `(with the crate's feature on, if you made it optional); otherwise give ${given} the addon's loader, ` +
        `the index.js that napi build writes.`,
    )
  }
  const missing = ENTRY_POINTS.filter((name) => typeof found[name] !== 'function')
  const version = typeof found['napiTracingProtocol'] === 'function' ? (found['napiTracingProtocol'] as () => unknown)() : undefined
  if (missing.length > 0 || version !== PROTOCOL_VERSION) {
    throw new TypeError(
      `vitest-napi-tracing: ${label} was built with napi-tracing protocol ${String(version ?? 'unknown')}, ` +
        `but this package speaks protocol ${PROTOCOL_VERSION}` +
        `${missing.length > 0 ? ` (missing: ${missing.join(', ')})` : ''}. ` +
        `Rebuild the addon against the napi-tracing crate that ships with this package version ` +
        `(node_modules/vitest-napi-tracing/native/napi-tracing).`,
    )
  }
  return found as unknown as TracingAddon
}

/** A layer as the addon's `napiTracingStart` takes it: its kind, and what the addon builds it from. */
export interface NativeLayer {
  readonly kind: string
  readonly [option: string]: unknown
}

/** What a session starts with (the addon checks how its layers combine). */
export interface NativeStart {
  /** EnvFilter directives, resolved (`resolveFilter`). */
  filter: string
  layers: readonly NativeLayer[]
  queueCapacity?: number | undefined
  subscriber?: string | undefined
  /** The calling JavaScript thread's name in traces. */
  threadName?: string | undefined
  /** A file the addon appends a line to when the process panics. */
  panicFile?: string | undefined
}

/**
 * Starts a session of `addon` on this JavaScript thread; `sink` receives
 * the callback layers' records (the lifecycle stream). Throws what the
 * addon refuses, in its words.
 */
export function startNative(addon: TracingAddon, start: NativeStart, sink?: (batch: Buffer) => void): void {
  const config = {
    filter: start.filter,
    layers: start.layers,
    ...(start.queueCapacity !== undefined ? { queueCapacity: start.queueCapacity } : {}),
    ...(start.subscriber !== undefined ? { subscriber: start.subscriber } : {}),
    ...(start.threadName !== undefined ? { threadName: start.threadName } : {}),
    ...(start.panicFile !== undefined ? { panicFile: start.panicFile } : {}),
    clockNs: String(realHrtime()),
  }
  addon.napiTracingStart(JSON.stringify(config), sink)
}

/**
 * Prints what a closed session says went wrong (its outputs' warnings) and
 * what it lost, once, on stderr.
 */
export function warnClosed(stats: { readonly warnings: readonly string[]; readonly dropped: number }): void {
  for (const warning of stats.warnings) console.warn(`vitest-napi-tracing: ${warning}`)
  if (stats.dropped > 0) {
    console.warn(
      `vitest-napi-tracing: ${stats.dropped} records were dropped before reaching their layer` +
        (stats.warnings.length > 0
          ? ' (see above)'
          : ' because the queue was full while the JavaScript thread was busy; raise queueCapacity or trace less (filter).'),
    )
  }
}

function describeKeys(o: object): string {
  const keys = Object.keys(o)
  if (keys.length === 0) return 'none'
  return keys.slice(0, 8).join(', ') + (keys.length > 8 ? ', ...' : '')
}

/**
 * Why the times of an addon's spans would mislead, or undefined when they
 * would not: napi-tracing built at opt-level 0 (a debug build without the
 * profile lines of docs/install.md) makes every span cost several times more, and
 * that cost lands in the self time of the user's own functions.
 */
export function unoptimised(label: string, build: TracingBuild): string | undefined {
  if (build.optLevel !== '0') return undefined
  return (
    `${label} was built with napi-tracing unoptimised (opt-level 0), so every span costs several times more than it would, ` +
    `and the report's times count that against your functions. Add to the workspace's Cargo.toml ` +
    `[profile.dev.package.napi-tracing] opt-level = 3 and the same for sharded-slab, tracing, tracing-core, rustc-hash, itoa and memchr ` +
    `(\`npx vitest-napi-tracing init\` adds them; see the profile lines in vitest-napi-tracing's docs/install.md: only these, not "*", which slows the whole build), ` +
    `or build the addon with --release`
  )
}

/** This package's version (the napi-tracing crate's is the same, in lockstep). */
export const PACKAGE_VERSION: string = readPackageVersion()

function readPackageVersion(): string {
  // From the package's own package.json, wherever this module was compiled to.
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string }
      if (manifest.name === 'vitest-napi-tracing' && manifest.version) return manifest.version
    } catch {
      // Not this folder: go up.
    }
    if (dir.pathname === '/' || dir.pathname === new URL('..', dir).pathname) return 'unknown'
  }
}

/**
 * Why an addon's napi-tracing and this package disagree, or undefined when
 * they do not: both speak the same protocol (else the addon is refused),
 * but a crate of another version behaves as that version does.
 */
export function versionSkew(label: string, build: TracingBuild, ours: string = PACKAGE_VERSION): string | undefined {
  if (build.version === ours) return undefined
  return (
    `${label} was built with napi-tracing ${build.version}, but this is vitest-napi-tracing ${ours}: ` +
    `they speak one protocol, but fixes and reports of one version may be missing from the other. ` +
    `Depend on napi-tracing = "${ours}" (or the crate in node_modules/vitest-napi-tracing) and rebuild the addon`
  )
}
