/**
 * A new user's first run, as the README's five-minute path says: in an
 * empty folder, a napi-rs addon of its own, the packed tarball installed
 * with npm, the addon built against the crate from a registry (the local one
 * the suite builds, with the crate as `cargo package` makes it), the
 * README's Cargo and Vitest configuration and the profile lines of
 * docs/install.md as written, then a Vitest suite with the plugin and a
 * plain Node script with `Tracing.start()`.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, expect, inject, test } from 'vitest'
import type { SpanReport } from 'vitest-napi-tracing/plugin'
import { docBlock } from '../support/doc-blocks.js'
import { loadTrace } from '../support/trace-engine.js'
import { REPO } from './support/paths.js'
import { sourceConfig } from '../../scripts/e2e/registry.mjs'

const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-consumer-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`)
  }
}

test('an outside addon builds against the crate from the tarball; the plugin and Tracing.start() trace it', async () => {
  const { tarball } = inject('installed')
  const vitestVersion = (JSON.parse(readFileSync(join(REPO, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version
  // A napi-rs package, as `napi new` makes one: CommonJS, the loader at the root.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'outside', private: true, napi: { binaryName: 'outside-addon' } }, null, 2))
  // The README's install command, with this run's tarball.
  const install = docBlock('install').trim()
  expect(install).toMatch(/^npm install --save-dev \S+vitest-napi-tracing-0\.1\.0\.tgz$/)
  run('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', tarball, `vitest@${vitestVersion}`])
  const installed = join(dir, 'node_modules/vitest-napi-tracing')
  // Compiled JavaScript and types, and the crate; no TypeScript sources, no scripts run.
  expect(existsSync(join(installed, 'dist/plugin/index.js')) && existsSync(join(installed, 'dist/plugin/index.d.ts'))).toBe(true)
  expect(existsSync(join(installed, 'native/napi-tracing/Cargo.toml'))).toBe(true)

  writeFileSync(
    join(dir, 'Cargo.toml'),
    `[package]
name = "outside-addon"
version = "0.0.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[build-dependencies]
napi-build = "2"

${docBlock('cargo-feature')}
${docBlock('profile')}`,
  )
  // The plain form is the same, the crate always on.
  expect(docBlock('cargo-feature').replace(/napi-tracing = \{ version = ("[^"]+"), optional = true \}/, 'napi-tracing = $1')).toBe(docBlock('cargo'))
  // crates.io's place taken by the local registry, as a registry of one's own would be.
  mkdirSync(join(dir, '.cargo'))
  writeFileSync(join(dir, '.cargo/config.toml'), sourceConfig(inject('installed').registry.vendor))
  writeFileSync(join(dir, 'build.rs'), 'fn main() {\n    napi_build::setup();\n}\n')
  mkdirSync(join(dir, 'src'))
  writeFileSync(
    join(dir, 'src/lib.rs'),
    `use napi_derive::napi;

${docBlock('lib-feature')}
#[tracing::instrument]
#[napi]
pub fn greet(name: String) -> String {
    tracing::info!(length = name.len() as u64, "greeting");
    format!("hello {name}")
}
`,
  )
  // The repository's lock file and the registry's target folder: the same dependency builds, reused.
  copyFileSync(join(REPO, 'Cargo.lock'), join(dir, 'Cargo.lock'))
  const build = docBlock('build').trim()
  expect(build).toBe('napi build --platform --features napi-tracing')
  run(join(REPO, 'node_modules/.bin/napi'), build.split(' ').slice(1), { CARGO_TARGET_DIR: inject('installed').registry.target })
  // napi writes the loader at the package root, where the README's config looks for it.
  expect(existsSync(join(dir, 'index.js'))).toBe(true)

  // The README's Vitest config, as written.
  writeFileSync(join(dir, 'vitest.config.ts'), docBlock('plugin'))
  writeFileSync(
    join(dir, 'greet.test.ts'),
    `import { expect, test } from 'vitest'
import addon from './index.js'

test('greets twice', () => {
  expect(addon.greet('world')).toBe('hello world')
  expect(addon.greet('you')).toBe('hello you')
})
`,
  )
  const out = run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'])
  expect(out).toMatch(/✓ greet\.test\.ts > greets twice\s+— 2 spans · /)
  const outputDir = join(dir, '.vitest/napi-tracing')
  const report = JSON.parse(readFileSync(join(outputDir, 'report.json'), 'utf8')) as SpanReport
  expect(report.problems).toEqual([])
  expect(report.tests).toEqual([expect.objectContaining({ file: 'greet.test.ts', name: 'greets twice', state: 'passed' })])
  expect(report.tests[0]!.spans.map((s) => [s.target, s.name, s.calls])).toEqual([['outside_addon', 'greet', 2]])
  const trace = await loadTrace(join(outputDir, 'trace.json'))
  expect(trace.slices.filter((s) => s.name === 'greet')).toHaveLength(2)
  expect(out).toContain(`Report ${relative(dir, join(outputDir, 'report.json'))}`)

  // Without Vitest: Tracing.start() with a TypeScript layer, in plain JavaScript.
  writeFileSync(
    join(dir, 'main.mjs'),
    `import { createRequire } from 'node:module'
import { Tracing, callbackLayer } from 'vitest-napi-tracing'
const addon = createRequire(import.meta.url)('./index.js')
const seen = []
// Plain JavaScript on Node 20 has no \`using\`; this is what it compiles to.
const tracing = Tracing.start(addon, {
  filter: 'trace',
  layers: [callbackLayer({
    onNewSpan: (s) => { seen.push(['span', s.name, s.fields]); return s.name },
    onEvent: (e, state) => seen.push(['event', e.message, e.fields, state]),
    onClose: (s, state) => seen.push(['close', state]),
  })],
})
try {
  seen.push(['result', addon.greet('world')])
} finally {
  tracing[Symbol.dispose]()
}
console.log(JSON.stringify(seen))
`,
  )
  expect(JSON.parse(run(process.execPath, ['main.mjs']))).toEqual([
    ['span', 'greet', { name: 'world' }],
    ['event', 'greeting', { message: 'greeting', length: 5 }, 'greet'],
    ['close', 'greet'],
    ['result', 'hello world'],
  ])

  // A later plain `npm install` keeps the installed copy: a tarball, not a link to the clone.
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
  expect(manifest.devDependencies['vitest-napi-tracing']).toMatch(/^file:.*\.tgz$/)
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'])
  expect(lstatSync(installed).isSymbolicLink()).toBe(false)
  expect(existsSync(join(installed, 'dist/plugin/index.js'))).toBe(true)
})
