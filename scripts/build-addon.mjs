// Builds one addon of test-fixtures/addons in the repository's workspace,
// against the checkout's crate, with the napi CLI:
// `node scripts/build-addon.mjs <name> [napi build flags]`. The benchmark's
// addon is built this way; the test fixtures are built as installed, by
// scripts/install-packed.mjs.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const name = process.argv[2]
if (!name) {
  console.error('usage: node scripts/build-addon.mjs <addon folder under test-fixtures/addons> [napi build flags]')
  process.exit(2)
}
const dir = fileURLToPath(new URL(`../test-fixtures/addons/${name}/`, import.meta.url))
const napi = fileURLToPath(new URL('../node_modules/.bin/napi', import.meta.url))
const result = spawnSync(
  napi,
  ['build', '--platform', '--manifest-path', `${dir}Cargo.toml`, '--package-json-path', `${dir}package.json`, '--output-dir', dir, ...process.argv.slice(3)],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
