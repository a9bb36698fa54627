/**
 * Which Vitest the plugin runs with, checked when the config loads: one
 * clear error for a Vitest too old to run it, instead of a TypeError in
 * every test file.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

/** The oldest Vitest the plugin runs with (the peer range in package.json says the same). */
export const OLDEST_VITEST = '4.0.0'

/** The Vitest installed where `root` (a folder) resolves it, else where this package does. */
export function installedVitest(root: string): { version: string; path: string } | undefined {
  for (const from of [join(root, 'package.json'), import.meta.url]) {
    try {
      const path = createRequire(from).resolve('vitest/package.json')
      const version = (JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown }).version
      if (typeof version === 'string') return { version, path }
    } catch {
      // Not resolvable from there.
    }
  }
  return undefined
}

/** Whether `version` (semver, a pre-release counting as its release) is at least `oldest`. */
export function atLeast(version: string, oldest: string = OLDEST_VITEST): boolean {
  const parts = (v: string) => v.split(/[.+-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0)
  const [a, b] = [parts(version), parts(oldest)]
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

/** Throws one clear error when the Vitest found is older than the plugin supports. */
export function checkVitest(found: { version: string; path: string } | undefined): void {
  if (!found || atLeast(found.version)) return
  throw new Error(
    `vitest-napi-tracing: this plugin needs Vitest ${OLDEST_VITEST} or newer (4.x on Node 20+, 5.x on Node 22.12+), ` +
      `but found Vitest ${found.version} (${found.path}). Update Vitest (npm install --save-dev vitest@latest), ` +
      `or remove napiTracing() from the config to run without tracing.`,
  )
}
