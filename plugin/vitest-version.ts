/**
 * Which Vitest the plugin runs with, checked when the config loads: one
 * clear error for a Vitest too old to run it, instead of a TypeError in
 * every test file.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { addDevCommand, packageManagerOf } from './package-manager.js'

/**
 * The oldest Vitest the plugin runs with (the peer range in package.json
 * says the same): 3.2 has the plugin hook (`configureVitest`, 3.1) and the
 * reporter's `onTestRunEnd` (3.0) the plugin is built on.
 */
export const OLDEST_VITEST = '3.2.0'
/** The oldest Node the newest Vitest (5) runs on. */
const NODE_FOR_LATEST = '22.12.0'

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
  const parts = (v: string) => v.replace(/^v/, '').split(/[.+-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0)
  const [a, b] = [parts(version), parts(oldest)]
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

/**
 * The Vitest to move to from `found`: the last 3.x for a 3.x (the smallest
 * step), else the newest that runs on `node`.
 */
export function vitestToInstall(found: string, node: string): string {
  if (found.startsWith('3.')) return 'vitest@^3.2'
  return atLeast(node, NODE_FOR_LATEST) ? 'vitest@latest' : 'vitest@^4'
}

/**
 * Throws one clear error when the Vitest found is older than the plugin
 * supports, with the command that updates it in the package manager of the
 * project in `cwd`.
 */
export function checkVitest(found: { version: string; path: string } | undefined, cwd: string = process.cwd(), node: string = process.version): void {
  if (!found || atLeast(found.version)) return
  const command = addDevCommand(packageManagerOf(cwd).name, vitestToInstall(found.version, node))
  throw new Error(
    `vitest-napi-tracing: this plugin needs Vitest ${OLDEST_VITEST} or newer (3.2 and 4.x on Node 20+, 5.x on Node ${NODE_FOR_LATEST}+), ` +
      `but found Vitest ${found.version} (${found.path}). Update Vitest (${command}), ` +
      `or remove napiTracing() from the config to run without tracing.`,
  )
}
