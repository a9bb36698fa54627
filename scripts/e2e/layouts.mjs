// The install layouts users have, for the end-to-end tests: a pnpm
// workspace (the package at its root with `pnpm add -D -w`, the binding in
// packages/binding with its Cargo.toml in native/, built against the crate
// through the symlinked node_modules), a yarn project with the
// node-modules linker and one with Plug'n'Play (both built against
// napi-tracing from the local registry, crates.io-style). pnpm and yarn
// come from the npm registry, into target/e2e/tools.
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { docBlock } from '../doc-blocks.mjs'
import { crateVersion, sourceConfig } from './registry.mjs'

export const PNPM = '10.34.8'
export const YARN = '4.18.1'

function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
  } catch (error) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`)
  }
}

/** pnpm and yarn, from the npm registry. */
export function installTools(dir) {
  const pnpm = join(dir, 'node_modules/pnpm/bin/pnpm.cjs')
  const yarn = join(dir, 'node_modules/@yarnpkg/cli-dist/bin/yarn.js')
  if (!existsSync(pnpm) || !existsSync(yarn)) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'e2e-tools', private: true }, null, 2))
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', `pnpm@${PNPM}`, `@yarnpkg/cli-dist@${YARN}`], dir)
  }
  return { dir, pnpm, yarn }
}

/** The resolver addon's manifest for a layout: standalone, with `napiTracing` as its napi-tracing line. */
function resolverManifest(repo, napiTracing) {
  const source = readFileSync(join(repo, 'test-fixtures/addons/resolver/Cargo.toml'), 'utf8')
  return (
    source
      .replace(/^edition\.workspace = true$/m, 'edition = "2021"')
      .replace(/^license\.workspace = true$/m, 'license = "MIT"')
      .replace(/^napi = \{ workspace = true \}$/m, 'napi = { version = "3", default-features = false, features = ["napi6"] }')
      .replace(/^napi-derive = \{ workspace = true \}$/m, 'napi-derive = "3"')
      .replace(/^tracing = \{ workspace = true \}$/m, 'tracing = "0.1"')
      .replace(/^napi-build = \{ workspace = true \}$/m, 'napi-build = "2"')
      .replace(/^napi-tracing = .*$/m, napiTracing) +
    // Its own workspace, with the docs' profile lines.
    `\n[workspace]\n\n${profileLines(repo)}`
  )
}

/** The docs' profile lines (their `example:profile` block), as users copy them. */
export function profileLines(repo) {
  return docBlock(repo, 'profile')
}

/** The resolver's crate (manifest, build script, sources) in `dir`. */
function writeResolverCrate(repo, dir, napiTracing) {
  mkdirSync(dir, { recursive: true })
  cpSync(join(repo, 'test-fixtures/addons/resolver/src'), join(dir, 'src'), { recursive: true })
  copyFileSync(join(repo, 'test-fixtures/addons/resolver/build.rs'), join(dir, 'build.rs'))
  writeFileSync(join(dir, 'Cargo.toml'), resolverManifest(repo, napiTracing))
}

/**
 * The resolver project's tests, importing the binding at `addon` (relative
 * to the test), and the projects' shared helper they import, beside them.
 */
function writeTests(repo, dir, addon) {
  const from = join(repo, 'test-fixtures/projects/resolver')
  for (const file of readdirSync(from).filter((f) => f.endsWith('.test.ts'))) {
    const text = readFileSync(join(from, file), 'utf8').replaceAll('../../addons/resolver/index.js', addon).replaceAll("'../overlap.js'", "'./overlap.js'")
    writeFileSync(join(dir, file), text)
  }
  copyFileSync(join(repo, 'test-fixtures/projects/overlap.ts'), join(dir, 'overlap.ts'))
}

/** A Cargo workspace for the registry: the resolver crate depending on napi-tracing by version. */
export function registrySeed(repo, dir) {
  writeResolverCrate(repo, dir, `napi-tracing = "${crateVersion(repo)}"`)
  return dir
}

/** Build output napi writes beside a package: kept across reinstalls when the crate did not change. */
const BUILT = (file) => file.endsWith('.node') || file === 'index.js' || file === 'index.d.ts'

/** The build output in `dir`, read before it is removed, if `inputs` (a hash of the crate's sources) is the one it was built from. */
function keptBuild(dir, inputs) {
  const made = join(dir, '.built-from')
  if (!inputs || !existsSync(made) || readFileSync(made, 'utf8') !== inputs) return undefined
  return readdirSync(dir).filter(BUILT).map((file) => [file, readFileSync(join(dir, file))])
}

/** napi build of `crateDir` into `packageDir`, or the kept output of the same inputs put back. */
function buildOrKeep(repo, crateDir, packageDir, kept, inputs, targetDir) {
  if (kept) for (const [file, bytes] of kept) writeFileSync(join(packageDir, file), bytes)
  else napiBuild(repo, crateDir, packageDir, targetDir)
  if (inputs) writeFileSync(join(packageDir, '.built-from'), inputs)
}

function napiBuild(repo, crateDir, packageDir, targetDir = join(repo, 'target')) {
  run(
    join(repo, 'node_modules/.bin/napi'),
    ['build', '--platform', '--manifest-path', join(crateDir, 'Cargo.toml'), '--package-json-path', join(packageDir, 'package.json'), '--output-dir', packageDir],
    packageDir,
    { CARGO_TARGET_DIR: targetDir },
  )
}

/**
 * Every layout under `dir`, installed from `tarball` with Vitest
 * `vitestVersion` on the machine's Node, the resolver built in each.
 * `vendor` is the local registry (see registry.mjs), whose crates build in
 * `registryTarget`. `crateInputs`, a hash
 * of what the bindings are built from, lets an unchanged build be kept.
 */
export function installLayouts({ repo, dir, tarball, vitestVersion, vendor, registryTarget, tools, crateInputs }) {
  const layouts = {}
  // pnpm: a workspace, the package at its root, the binding's crate in a subfolder.
  {
    const root = join(dir, 'pnpm')
    const kept = existsSync(join(root, 'packages/binding')) ? keptBuild(join(root, 'packages/binding'), crateInputs) : undefined
    rmSync(root, { recursive: true, force: true })
    cpSync(join(repo, 'test-fixtures/layouts/pnpm'), root, { recursive: true })
    const binding = join(root, 'packages/binding')
    writeTests(repo, binding, './index.js')
    const env = { npm_config_store_dir: join(tools.dir, 'pnpm-store') }
    run(process.execPath, [tools.pnpm, 'add', '-D', '-w', '--prefer-offline', `file:${relative(root, tarball)}`, `vitest@${vitestVersion}`], root, env)
    run(process.execPath, [tools.pnpm, 'install', '--prefer-offline'], root, env)
    // The docs' line for a Cargo.toml two folders below the workspace root.
    const crate = relative(join(binding, 'native'), join(root, 'node_modules/vitest-napi-tracing/native/napi-tracing'))
    writeResolverCrate(repo, join(binding, 'native'), `napi-tracing = { path = "${crate}" }`)
    // The repository's lock: the versions its builds compiled, reused.
    copyFileSync(join(repo, 'Cargo.lock'), join(binding, 'native/Cargo.lock'))
    buildOrKeep(repo, join(binding, 'native'), binding, kept, crateInputs)
    layouts.pnpm = { root, project: binding, vitest: join(root, 'node_modules/vitest/vitest.mjs') }
  }
  // yarn, node-modules linker and Plug'n'Play: napi-tracing from the registry.
  for (const linker of ['node-modules', 'pnp']) {
    const name = linker === 'pnp' ? 'yarnPnp' : 'yarn'
    const root = join(dir, linker === 'pnp' ? 'yarn-pnp' : 'yarn')
    const kept = existsSync(root) ? keptBuild(root, crateInputs) : undefined
    rmSync(root, { recursive: true, force: true })
    cpSync(join(repo, 'test-fixtures/layouts/yarn'), root, { recursive: true })
    writeTests(repo, root, './index.js')
    writeFileSync(
      join(root, '.yarnrc.yml'),
      [`nodeLinker: ${linker}`, 'npmRegistryServer: "https://registry.npmjs.org"', 'enableTelemetry: false', 'enableGlobalCache: false', `cacheFolder: ${JSON.stringify(join(tools.dir, 'yarn-cache'))}`, ''].join('\n'),
    )
    writeFileSync(join(root, 'yarn.lock'), '')
    const env = { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false', COREPACK_ENABLE_STRICT: '0' }
    run(process.execPath, [tools.yarn, 'add', '-D', `vitest-napi-tracing@file:${relative(root, tarball)}`, `vitest@${vitestVersion}`], root, env)
    if (linker === 'node-modules') {
      mkdirSync(join(root, '.cargo'), { recursive: true })
      writeFileSync(join(root, '.cargo/config.toml'), sourceConfig(vendor))
      writeResolverCrate(repo, root, `napi-tracing = "${crateVersion(repo)}"`)
      buildOrKeep(repo, root, root, kept, crateInputs, registryTarget)
    } else {
      // Same sources and dependencies as the node-modules project: its build is this one's.
      for (const file of readdirSync(layouts.yarn.root).filter(BUILT)) {
        copyFileSync(join(layouts.yarn.root, file), join(root, file))
      }
    }
    layouts[name] = { root, project: root, yarn: tools.yarn, vitest: linker === 'pnp' ? undefined : join(root, 'node_modules/vitest/vitest.mjs') }
  }
  return layouts
}

/** The untraced addon `vitest-napi-tracing init` is tried on: its package, with `devDependencies` added. */
function writeInitAddon(repo, dir, devDependencies) {
  cpSync(join(repo, 'test-fixtures/layouts/init-addon'), dir, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...manifest, devDependencies }, null, 2) + '\n')
}

/**
 * The projects `vitest-napi-tracing init` is tried on, each with the addon
 * as its author has it before tracing (test-fixtures/layouts/init-addon):
 * an npm project (the addon at its root), a pnpm workspace (the package
 * installed at the root with -w, the addon in packages/sum) and a yarn
 * workspace whose root locks another Vitest, so that yarn puts the package
 * in the addon's own node_modules, beside the Vitest it peers with.
 * Returns each one's root, the addon's package folder and its Vitest.
 */
export function installInitLayouts({ repo, dir, tarball, vitestVersion, rootVitestVersion, tools }) {
  const layouts = {}
  {
    const root = join(dir, 'npm')
    rmSync(root, { recursive: true, force: true })
    writeInitAddon(repo, root, { vitest: vitestVersion, 'vitest-napi-tracing': `file:${relative(root, tarball)}` })
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], root)
    layouts.npm = { root, package: root, vitest: join(root, 'node_modules/vitest/vitest.mjs') }
  }
  {
    const root = join(dir, 'pnpm')
    rmSync(root, { recursive: true, force: true })
    mkdirSync(root, { recursive: true })
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'init-pnpm', private: true }, null, 2) + '\n')
    writeFileSync(join(root, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/*'\n")
    const addon = join(root, 'packages/sum')
    writeInitAddon(repo, addon, {})
    const env = { npm_config_store_dir: join(tools.dir, 'pnpm-store') }
    run(process.execPath, [tools.pnpm, 'add', '-D', '-w', '--prefer-offline', `file:${relative(root, tarball)}`, `vitest@${vitestVersion}`], root, env)
    layouts.pnpm = { root, package: addon, vitest: join(root, 'node_modules/vitest/vitest.mjs') }
  }
  {
    const root = join(dir, 'yarn')
    rmSync(root, { recursive: true, force: true })
    mkdirSync(root, { recursive: true })
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'init-yarn', private: true, workspaces: ['packages/*'], devDependencies: { vitest: rootVitestVersion } }, null, 2) + '\n')
    writeFileSync(
      join(root, '.yarnrc.yml'),
      ['nodeLinker: node-modules', 'npmRegistryServer: "https://registry.npmjs.org"', 'enableTelemetry: false', 'enableGlobalCache: false', `cacheFolder: ${JSON.stringify(join(tools.dir, 'yarn-cache'))}`, ''].join('\n'),
    )
    writeFileSync(join(root, 'yarn.lock'), '')
    const addon = join(root, 'packages/native')
    writeInitAddon(repo, addon, { vitest: vitestVersion, 'vitest-napi-tracing': `file:${relative(addon, tarball)}` })
    run(process.execPath, [tools.yarn, 'install'], root, { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false', COREPACK_ENABLE_STRICT: '0' })
    layouts.yarn = { root, package: addon, vitest: join(addon, 'node_modules/vitest/vitest.mjs') }
  }
  return layouts
}
