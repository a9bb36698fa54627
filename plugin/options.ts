/**
 * The plugin's options, their defaults, and what workers receive.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'

export interface NapiTracingOptions {
  /**
   * The addons to trace: module specifiers or paths (to the napi-rs loader,
   * e.g. `./native/index.js`), resolved from the Vitest root.
   */
  addons: string[]
  /** EnvFilter directives. @default process.env.RUST_LOG, else 'info' */
  filter?: string
  /** Where report.json and trace.json go. @default '<root>/.vitest/napi-tracing' */
  outputDir?: string
  /** The span report printed after the run. @default 'compact' */
  report?: 'compact' | 'full' | 'none'
  /** Spans listed per test in the compact report. @default 3 */
  top?: number
  /**
   * Bytes of records a worker's addon may hold between flushes (its sums:
   * 57 bytes per span name and caller between flushes, not per span); beyond it records are
   * dropped and counted. @default 16 MiB
   */
  queueCapacity?: number
}

/** What every worker needs, through Vitest's provide/inject (structured-cloneable). */
export interface WorkerConfig {
  addons: Array<{ label: string; path: string }>
  filter: string | undefined
  rawDir: string
  root: string
  queueCapacity: number | undefined
}

export const PROVIDE_KEY = 'napiTracing' as const

/** `VITEST_NAPI_TRACING=0` (or `false`, `off`) turns the plugin off. */
export function isDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['VITEST_NAPI_TRACING']?.trim().toLowerCase()
  return value === '0' || value === 'false' || value === 'off'
}

export function outputDirOf(options: NapiTracingOptions, root: string): string {
  return resolve(root, options.outputDir ?? join('.vitest', 'napi-tracing'))
}

export function checkOptions(options: NapiTracingOptions): void {
  if (!options || !Array.isArray(options.addons) || options.addons.some((a) => typeof a !== 'string')) {
    throw new TypeError(
      `vitest-napi-tracing: napiTracing() needs { addons: ['./path/to/addon/index.js', ...] }: the napi-rs addons to trace, resolved from the Vitest root`,
    )
  }
  if (options.report !== undefined && !['compact', 'full', 'none'].includes(options.report)) {
    throw new TypeError(`vitest-napi-tracing: report must be 'compact', 'full' or 'none', got ${JSON.stringify(options.report)}`)
  }
}

export interface ResolvedAddon {
  label: string
  path?: string
  problem?: string
}

/** Resolves each addon from the root; a missing one becomes a problem, not an exception. */
export function resolveAddons(addons: readonly string[], root: string): ResolvedAddon[] {
  const require = createRequire(join(root, 'package.json'))
  return addons.map((label) => {
    try {
      const path = label.startsWith('.') || isAbsolute(label) ? resolve(root, label) : require.resolve(label)
      if (!existsSync(path)) throw new Error(`${path} does not exist`)
      return { label, path }
    } catch (error) {
      return {
        label,
        problem:
          `addon ${JSON.stringify(label)} could not be found from ${root} (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); ` +
          `it is not traced. Fix the path in napiTracing({ addons }) or build the addon.`,
      }
    }
  })
}
