/**
 * What the packed tarball holds: compiled JavaScript and types (installing
 * it needs no TypeScript and runs no script), and the napi-tracing crate
 * exactly as `cargo package` ships it.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, inject, test } from 'vitest'
import { REPO } from './support/paths.js'

function tarEntries(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ''))
}

test('the tarball carries compiled JavaScript and types, no sources to compile and no install scripts', () => {
  const { tarball } = inject('installed')
  const entries = tarEntries(tarball)
  for (const entry of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/plugin/index.js', 'dist/plugin/index.d.ts', 'dist/plugin/setup.js']) {
    expect(entries).toContain(entry)
  }
  expect(entries.filter((e) => e.endsWith('.ts') && !e.endsWith('.d.ts'))).toEqual([])
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as { scripts?: Record<string, string> }
  const runOnInstall = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => manifest.scripts?.[s] !== undefined)
  expect(runOnInstall).toEqual([])
})

test('the crate in the tarball is the crate `cargo package` ships', () => {
  const { tarball } = inject('installed')
  const crate = 'native/napi-tracing/'
  const inTarball = tarEntries(tarball)
    .filter((e) => e.startsWith(crate))
    .map((e) => e.slice(crate.length))
    .sort()
  // Files cargo generates when packaging are not the crate's own.
  const generated = new Set(['.cargo_vcs_info.json', 'Cargo.lock', 'Cargo.toml.orig'])
  const packaged = execFileSync('cargo', ['package', '-p', 'napi-tracing', '--allow-dirty', '--offline', '--list'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')
    .filter((f) => f && !generated.has(f))
    .sort()
  expect(packaged.length).toBeGreaterThan(10)
  expect(inTarball).toEqual(packaged)
})

test("the end-to-end suites and the fixture projects load nothing from the checkout's src/ or plugin/", () => {
  const files = ['test/e2e', 'test-fixtures/projects'].flatMap((dir) =>
    readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.[mc]?[jt]s$/.test(f) && !f.includes('node_modules'))
      .map((f) => join(dir, f)),
  )
  expect(files.length).toBeGreaterThan(20)
  const fromCheckout = files.filter((f) => /from '(\.\.\/)+(src|plugin|dist)\//.test(readFileSync(join(REPO, f), 'utf8')))
  expect(fromCheckout).toEqual([])
})
