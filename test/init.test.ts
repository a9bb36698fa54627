/**
 * `vitest-napi-tracing init` on files as users have them: each edit adds
 * its line where it belongs, leaves a file that has it alone, and gives the
 * manual step for a shape it cannot edit safely; the whole command finds
 * the package, crate and config, and a second run changes nothing.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { addBuildFeature, addDependency, addExportLine, addFeature, addPlugin, addProfile, excludeFromWorkspace } from '../plugin/cli/init-edits.js'
import { docBlock } from './support/doc-blocks.js'
import { init } from '../plugin/cli/init.js'

const MANIFEST = `[package]
name = "binding"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
napi = { version = "3", features = ["napi6"] }
napi-derive = "3"

[build-dependencies]
napi-build = "2"
`
const LINE = 'napi-tracing = { version = "0.1.0", optional = true }'

describe('the edits', () => {
  test('the dependency goes at the end of [dependencies], the feature into [features] (made when missing); each once', () => {
    const withDependency = addDependency(MANIFEST, LINE).text!
    expect(withDependency).toContain('napi-derive = "3"\nnapi-tracing = { version = "0.1.0", optional = true }\n\n[build-dependencies]')
    expect(addDependency(withDependency, LINE).text).toBe(withDependency)
    const withFeature = addFeature(withDependency).text!
    expect(withFeature).toMatch(/\n\[features\]\n# .*\nnapi-tracing = \["dep:napi-tracing"\]\n$/)
    expect(addFeature(withFeature).text).toBe(withFeature)
    const other = addFeature(`${MANIFEST}\n[features]\ndefault = ["a"]\na = []\n\n[profile.dev]\nopt-level = 1\n`).text!
    expect(other).toContain('[features]\ndefault = ["a"]\na = []\nnapi-tracing = ["dep:napi-tracing"]\n\n[profile.dev]')
    expect(addDependency('[package]\nname = "x"\n', LINE).manual).toBe(`add to its [dependencies]:\n  ${LINE}`)
  })

  test("node_modules kept out of the Cargo workspace: added to its exclude list, or the list made; a list over several lines is the user's", () => {
    const made = excludeFromWorkspace('[workspace]\nmembers = ["a"]\n', 'node_modules').text!
    expect(made).toMatch(/^\[workspace\]\n# .*\nexclude = \["node_modules"\]\nmembers = \["a"\]\n$/)
    expect(excludeFromWorkspace(made, 'node_modules').text).toBe(made)
    expect(excludeFromWorkspace('[workspace]\nexclude = ["vendor"]\n', 'packages/native/node_modules').text).toBe('[workspace]\nexclude = ["vendor", "packages/native/node_modules"]\n')
    expect(excludeFromWorkspace('[workspace]\nexclude = [\n  "vendor",\n]\n', 'node_modules').manual).toBe('add to its [workspace]:\n  exclude = ["node_modules"]')
  })

  test('the entry points go at the end of lib.rs behind the feature, once', () => {
    const lib = addExportLine('use napi_derive::napi;\n\n#[napi]\npub fn sum(a: u32, b: u32) -> u32 {\n    a + b\n}\n').text!
    expect(lib).toMatch(/\n}\n\n\/\/ .*\n#\[cfg\(feature = "napi-tracing"\)\]\nnapi_tracing::export_tracing_api!\(\);\n$/)
    expect(addExportLine(lib).text).toBe(lib)
    expect(addExportLine('napi_tracing::export_tracing_api!();\n').text).toBe('napi_tracing::export_tracing_api!();\n')
  })

  test("the profile lines go at the end of the workspace's manifest, as the docs give them; a table of the user's own is kept, none is written twice", () => {
    const added = addProfile(MANIFEST).text!
    expect(added.slice(MANIFEST.replace(/\n*$/, '').length)).toBe(`\n\n${docBlock('profile')}`)
    expect(addProfile(added).text).toBe(added)
    const own = `${MANIFEST}\n[profile.dev.package.tracing]\nopt-level = 1\n`
    const kept = addProfile(own).text!
    expect(kept.match(/^\[profile\.dev\.package\.tracing\]$/gm)).toHaveLength(1)
    expect(kept).toContain('[profile.dev.package.tracing]\nopt-level = 1\n')
    expect(kept).toContain('[profile.dev.package.napi-tracing]\nopt-level = 3\ndebug-assertions = false\n')
  })

  test('the plugin joins the plugins, or becomes them; the import follows the others; a CommonJS config is left to the user', () => {
    const withPlugins = "import { defineConfig } from 'vitest/config'\nimport react from '@vitejs/plugin-react'\n\nexport default defineConfig({\n  plugins: [react()],\n})\n"
    const added = addPlugin(withPlugins, './index.js').text!
    expect(added).toBe(
      "import { defineConfig } from 'vitest/config'\nimport react from '@vitejs/plugin-react'\nimport napiTracing from 'vitest-napi-tracing/plugin'\n\nexport default defineConfig({\n  plugins: [napiTracing({ addons: ['./index.js'] }), react()],\n})\n",
    )
    expect(addPlugin(added, './index.js').text).toBe(added)
    const bare = addPlugin("import { defineConfig } from 'vitest/config'\n\nexport default defineConfig({\n  test: { pool: 'forks' },\n})\n", '../binding/index.js').text!
    expect(bare).toContain("export default defineConfig({\n  plugins: [napiTracing({ addons: ['../binding/index.js'] })],\n  test: { pool: 'forks' },\n})")
    expect(bare).toContain("import { defineConfig } from 'vitest/config'\nimport napiTracing from 'vitest-napi-tracing/plugin'\n")
    expect(addPlugin('export default defineConfig({ plugins: [] })\n', './index.js').text).toBe("import napiTracing from 'vitest-napi-tracing/plugin'\nexport default defineConfig({ plugins: [napiTracing({ addons: ['./index.js'] })] })\n")
    expect(addPlugin("const { defineConfig } = require('vitest/config')\nmodule.exports = defineConfig({})\n", './index.js').manual).toMatch(/^add import napiTracing from 'vitest-napi-tracing\/plugin' at its top, and napiTracing\(\{ addons: \['\.\/index\.js'\] \}\) to its plugins$/)
  })

  test('--features napi-tracing goes on the builds the tests use (no --release), else on a traced build beside the release one', () => {
    const both = JSON.stringify({ name: 'b', scripts: { build: 'napi build --platform --release', 'build:debug': 'napi build --platform', test: 'vitest' } }, null, 2) + '\n'
    const edited = addBuildFeature(both)
    expect(edited.scripts).toEqual(['build:debug'])
    expect(JSON.parse(edited.text!).scripts).toEqual({ build: 'napi build --platform --release', 'build:debug': 'napi build --platform --features napi-tracing', test: 'vitest' })
    expect(edited.text!.endsWith('}\n')).toBe(true)
    expect(addBuildFeature(edited.text!).text).toBe(edited.text)
    const release = addBuildFeature(JSON.stringify({ scripts: { build: 'napi build --platform --release' } }, null, 4))
    expect(JSON.parse(release.text!).scripts['build:traced']).toBe('napi build --platform --release --features napi-tracing')
    expect(release.text).toMatch(/^\{\n {4}"scripts"/)
    expect(addBuildFeature(JSON.stringify({ scripts: { build: 'cargo build' } })).manual).toMatch(/napi build --platform --features napi-tracing/)
  })
})

describe('init', () => {
  /** A yarn workspace whose binding sits in packages/native, its crate in native/, the npm package in the binding's node_modules. */
  function workspace(crateIn = 'native'): { root: string; binding: string } {
    const root = mkdtempSync(join(tmpdir(), 'napi-tracing-init-'))
    writeFileSync(join(root, 'package.json'), JSON.stringify({ private: true, workspaces: ['packages/*'] }))
    writeFileSync(join(root, 'yarn.lock'), '')
    const binding = join(root, 'packages/native')
    mkdirSync(join(binding, crateIn, 'src'), { recursive: true })
    writeFileSync(join(binding, 'package.json'), JSON.stringify({ name: 'native', main: 'index.js', napi: { binaryName: 'native' }, scripts: { build: 'napi build --platform --release', 'build:debug': 'napi build --platform' } }, null, 2) + '\n')
    writeFileSync(join(binding, crateIn, 'Cargo.toml'), `${MANIFEST}\n[workspace]\n`)
    writeFileSync(join(binding, crateIn, 'src/lib.rs'), '#[napi_derive::napi]\npub fn sum(a: u32, b: u32) -> u32 {\n    a + b\n}\n')
    writeFileSync(join(binding, 'vitest.config.ts'), "import { defineConfig } from 'vitest/config'\n\nexport default defineConfig({})\n")
    // Where yarn put it: beside the Vitest it peers with.
    const installed = join(binding, 'node_modules/vitest-napi-tracing')
    mkdirSync(join(installed, 'native'), { recursive: true })
    writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: 'vitest-napi-tracing', version: '0.1.0' }))
    cpSync(new URL('../native/napi-tracing/Cargo.toml', import.meta.url), join(installed, 'native/napi-tracing/Cargo.toml'))
    return { root, binding }
  }

  test('no Vitest config: a new one, vitest.config.mts in a CommonJS package, vitest.config.ts in an ES module one', () => {
    for (const type of [undefined, 'module']) {
      const { binding } = workspace()
      rmSync(join(binding, 'vitest.config.ts'))
      const manifest = JSON.parse(readFileSync(join(binding, 'package.json'), 'utf8')) as Record<string, unknown>
      writeFileSync(join(binding, 'package.json'), JSON.stringify({ ...manifest, ...(type ? { type } : {}) }, null, 2) + '\n')
      const config = join(binding, type ? 'vitest.config.ts' : 'vitest.config.mts')
      init({ cwd: binding })
      expect(readFileSync(config, 'utf8')).toContain("plugins: [napiTracing({ addons: ['./index.js'] })]")
      expect(existsSync(join(binding, type ? 'vitest.config.mts' : 'vitest.config.ts'))).toBe(false)
    }
  })

  test('from the workspace root: the path where the package really is, the diff; a second run changes nothing', () => {
    const { root, binding } = workspace()
    const first = init({ cwd: root })
    expect(first.manual).toEqual([])
    expect(first.diffs.map((d) => /^--- (\S+)/m.exec(d)?.[1])).toEqual(['packages/native/native/Cargo.toml', 'packages/native/native/src/lib.rs', 'packages/native/vitest.config.ts', 'packages/native/package.json'])
    const manifest = readFileSync(join(binding, 'native/Cargo.toml'), 'utf8')
    expect(manifest).toContain('napi-tracing = { path = "../node_modules/vitest-napi-tracing/native/napi-tracing", optional = true }')
    // The crate's workspace is native/: the npm package's crate is outside it, and no member.
    expect(manifest).toMatch(/\n\[workspace\]\n\n\[features\]/)
    expect(readFileSync(join(binding, 'vitest.config.ts'), 'utf8')).toContain("plugins: [napiTracing({ addons: ['./index.js'] })]")
    expect(first.diffs.join('\n')).toContain('+napi_tracing::export_tracing_api!();')
    expect(first.next[0]).toBe('yarn run build:debug   # builds the addon with the tracing entry points')

    const files = () => ['native/Cargo.toml', 'native/src/lib.rs', 'vitest.config.ts', 'package.json'].map((f) => readFileSync(join(binding, f), 'utf8'))
    const before = files()
    const second = init({ cwd: binding })
    expect(second.diffs).toEqual([])
    expect(second.unchanged).toHaveLength(6)
    expect(files()).toEqual(before)
  })

  test("a crate beside package.json, its workspace the package's folder: node_modules is excluded from it, or the npm package's crate would be a member", () => {
    const { binding } = workspace('.')
    const result = init({ cwd: binding })
    expect(result.manual).toEqual([])
    const manifest = readFileSync(join(binding, 'Cargo.toml'), 'utf8')
    expect(manifest).toContain('napi-tracing = { path = "node_modules/vitest-napi-tracing/native/napi-tracing", optional = true }')
    expect(manifest).toMatch(/\n\[workspace\]\n# .*\nexclude = \["node_modules"\]\n/)
    expect(init({ cwd: binding }).diffs).toEqual([])
  })

  test('--registry: the crate by version; --dry-run writes nothing', () => {
    const { binding } = workspace()
    const before = readFileSync(join(binding, 'native/Cargo.toml'), 'utf8')
    const dry = init({ cwd: binding, registry: true, dryRun: true })
    expect(dry.diffs.join('\n')).toContain('+napi-tracing = { version = "0.1.0", optional = true }')
    expect(readFileSync(join(binding, 'native/Cargo.toml'), 'utf8')).toBe(before)
  })

  test('no napi-rs package, or two: an error naming what it found and what to do', () => {
    const empty = mkdtempSync(join(tmpdir(), 'napi-tracing-init-'))
    expect(() => init({ cwd: empty })).toThrow(/no napi-rs package here: no package\.json with a "napi" field in .*; run init in your addon's package/)
    const { root } = workspace()
    mkdirSync(join(root, 'packages/other'))
    writeFileSync(join(root, 'packages/other/package.json'), JSON.stringify({ name: 'other', napi: {} }))
    expect(() => init({ cwd: root })).toThrow(/found 2 napi-rs packages \(package\.json with a "napi" field\): packages\/native, packages\/other; run init in the one to trace/)
  })
})
