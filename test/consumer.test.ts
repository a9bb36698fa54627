/**
 * A project outside the repository consumes the package before it is
 * published: its own napi-rs addon depends on native/napi-tracing by path,
 * and `npm install --install-links <package folder>` installs (and prepares)
 * the TypeScript package.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, expect, test } from 'vitest'

const REPO = resolve(import.meta.dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-consumer-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(cmd, args, { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/**
 * The package's sources as a clone would have them, beside the repository:
 * installing runs its `prepare` (tsc) there, so the repository's own dist/,
 * which other tests are using at the same time, is never rewritten.
 */
function packageSource(): string {
  const source = join(dir, 'vitest-napi-tracing')
  for (const path of ['package.json', 'tsconfig.base.json', 'tsconfig.build.json', 'README.md', 'src', 'plugin', 'native/napi-tracing/Cargo.toml', 'native/napi-tracing/src']) {
    cpSync(join(REPO, path), join(source, path), { recursive: true })
  }
  // Its build tools (typescript) as `npm ci` in a clone would install them.
  symlinkSync(join(REPO, 'node_modules'), join(source, 'node_modules'))
  return source
}

test('an outside project builds its own addon against the crate and installs the package', () => {
  mkdirSync(join(dir, 'src'))
  writeFileSync(
    join(dir, 'Cargo.toml'),
    `[package]
name = "outside-addon"
version = "0.0.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
napi = { version = "3.16", default-features = false, features = ["napi6", "dyn-symbols", "async"] }
napi-derive = "3.7"
napi-tracing = { path = ${JSON.stringify(join(REPO, 'native/napi-tracing'))} }
tracing = "0.1"

[build-dependencies]
napi-build = "2.6"

# The lines the README suggests (and the repository's own profile).
[profile.dev.package.napi-tracing]
opt-level = 3
debug-assertions = false
[profile.dev.package."*"]
opt-level = 2
debug-assertions = false
`,
  )
  writeFileSync(join(dir, 'build.rs'), 'fn main() {\n    napi_build::setup();\n}\n')
  writeFileSync(
    join(dir, 'src/lib.rs'),
    `use napi_derive::napi;

napi_tracing::export_tracing_api!();

#[tracing::instrument]
#[napi]
pub fn greet(name: String) -> String {
    tracing::info!(length = name.len() as u64, "greeting");
    format!("hello {name}")
}
`,
  )
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'outside', private: true, type: 'module', napi: { binaryName: 'outside-addon' } }, null, 2),
  )
  // Same dependency versions and target folder as the repository: nothing is compiled twice.
  copyFileSync(join(REPO, 'Cargo.lock'), join(dir, 'Cargo.lock'))
  run(join(REPO, 'node_modules/.bin/napi'), ['build', '--platform', '--js', 'addon.cjs', '--dts', 'addon.d.cts'], {
    CARGO_TARGET_DIR: join(REPO, 'target'),
  })
  run('npm', ['install', '--install-links', '--no-audit', '--no-fund', packageSource()])

  writeFileSync(
    join(dir, 'main.mjs'),
    `import { createRequire } from 'node:module'
import { Tracing, callbackLayer } from 'vitest-napi-tracing'
const addon = createRequire(import.meta.url)('./addon.cjs')
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
  const out = JSON.parse(run(process.execPath, ['main.mjs']))
  expect(out).toEqual([
    ['span', 'greet', { name: 'world' }],
    ['event', 'greeting', { message: 'greeting', length: 5 }, 'greet'],
    ['close', 'greet'],
    ['result', 'hello world'],
  ])
})
