/**
 * The crate as a user's Cargo workspace depends on it: crates.io-style
 * (`napi-tracing = "<version>"`), resolved offline from the local registry
 * the suite builds (cargo's own source replacement with a directory source
 * holding the crate as `cargo package` makes it). The workspace has a
 * pure-Rust library and the binding; there is no node_modules anywhere.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, inject, test } from 'vitest'
import { crateVersion, sourceConfig } from '../../scripts/e2e/registry.mjs'
import { REPO } from './support/paths.js'

function cargo(args: string[], cwd: string): string {
  try {
    return execFileSync('cargo', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CARGO_TARGET_DIR: inject('installed').registry.target } })
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(`cargo ${args.join(' ')}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`)
  }
}

/** The versions of `name` the lock file in `dir` holds. */
function locked(dir: string, name: string): string[] {
  const lock = readFileSync(join(dir, 'Cargo.lock'), 'utf8')
  return [...lock.matchAll(new RegExp(`\\[\\[package\\]\\]\\nname = "${name}"\\nversion = "([^"]+)"`, 'g'))].map((m) => m[1]!)
}

test("a workspace depending on napi-tracing from the registry: metadata and the pure-Rust crate's tests without node_modules, and its locked napi and tracing stack kept", () => {
  const { registry } = inject('installed')
  const version = crateVersion(REPO)
  expect(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version, 'the crate and the npm package move in lockstep').toBe(version)
  const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-workspace-'))
  cpSync(join(REPO, 'test-fixtures/cargo/workspace'), dir, { recursive: true })
  mkdirSync(join(dir, '.cargo'))
  writeFileSync(join(dir, '.cargo/config.toml'), sourceConfig(registry.vendor))
  const manifest = join(dir, 'binding/Cargo.toml')
  const withTracing = readFileSync(manifest, 'utf8')
  expect(withTracing).toContain(`napi-tracing = "${version}"`)

  // The user's lock before they add napi-tracing: napi and the tracing stack as they were months
  // ago. (Locked through exact requirements: `cargo update --precise` leaves a replaced source's
  // versions as they are; a crate the binding does not name, tracing-core, named for the lock only.)
  let pinned = withTracing.replace(/^napi-tracing = .*\n/m, '')
  for (const [name, at] of Object.entries(registry.userLock)) {
    const named = new RegExp(`^${name} = (\\{ version = )?"[^"]+"`, 'm')
    pinned = named.test(pinned)
      ? pinned.replace(named, (_m, table: string | undefined) => `${name} = ${table ?? ''}"=${at}"`)
      : pinned.replace(/^\[dependencies\]\n/m, `[dependencies]\n${name} = "=${at}"\n`)
  }
  writeFileSync(manifest, pinned)
  cargo(['generate-lockfile', '--offline'], dir)
  const lockedVersions = () => Object.fromEntries(Object.keys(registry.userLock).map((name) => [name, locked(dir, name)]))
  const userLock = Object.fromEntries(Object.entries(registry.userLock).map(([name, at]) => [name, [at]]))
  expect(lockedVersions()).toEqual(userLock)

  // They add the line; cargo resolves it and keeps their napi.
  writeFileSync(manifest, withTracing)
  const metadata = JSON.parse(cargo(['metadata', '--offline', '--format-version', '1'], dir)) as { packages: Array<{ name: string; version: string; source: string | null }> }
  const crate = metadata.packages.find((p) => p.name === 'napi-tracing')
  expect(crate?.version).toBe(version)
  expect(crate?.source).toMatch(/^registry\+/)
  // Nor its tracing, tracing-core and tracing-subscriber: no optional dependency of the crate
  // (OpenTelemetry's, in napi-tracing-otlp) asks for newer ones.
  expect(lockedVersions()).toEqual(userLock)
  expect(existsSync(join(dir, 'node_modules'))).toBe(false)

  // The pure-Rust crate's tests, and the binding against the registry's crate.
  expect(cargo(['test', '-p', 'text-core', '--offline', '--quiet'], dir)).toMatch(/test result: ok\. 1 passed/)
  cargo(['check', '-p', 'text-binding', '--offline', '--quiet'], dir)
})
