// Builds one addon of test-fixtures/addons in the repository's workspace,
// against the checkout's crate, with the napi CLI:
// `node scripts/build-addon.mjs <name> [--into <dir>] [napi build flags]`.
// The demo's fib and the benchmark's addons are built this way; the test
// fixtures are built as installed, by scripts/install-packed.mjs. With
// --into, the loader and binary go to <dir> (with the addon's package.json,
// which makes the loader CommonJS) instead of the addon's folder.
import { copyFileSync, mkdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const [name, ...rest] = process.argv.slice(2)
if (!name) {
  console.error('usage: node scripts/build-addon.mjs <addon folder under test-fixtures/addons> [--into <dir>] [napi build flags]')
  process.exit(2)
}
const dir = fileURLToPath(new URL(`../test-fixtures/addons/${name}/`, import.meta.url))
const at = rest.indexOf('--into')
const into = at === -1 ? dir : resolve(rest.splice(at, 2)[1] ?? '')
if (into !== dir) {
  mkdirSync(into, { recursive: true })
  copyFileSync(`${dir}package.json`, resolve(into, 'package.json'))
}
const napi = fileURLToPath(new URL('../node_modules/.bin/napi', import.meta.url))
const result = spawnSync(
  napi,
  ['build', '--platform', '--manifest-path', `${dir}Cargo.toml`, '--package-json-path', `${dir}package.json`, '--output-dir', into, ...rest],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
