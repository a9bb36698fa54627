/**
 * `vitest-napi-tracing init`: sets a napi-rs package up for tracing in one
 * command. It finds the package (a package.json with a `napi` field), its
 * crate (the Cargo.toml beside it or under its folder) and loader, and adds
 * the optional `napi-tracing` dependency (by path where the npm package is
 * really installed, else from the registry), its feature, the entry points
 * behind it in lib.rs, the plugin in the Vitest config and the feature in
 * the build scripts; keeps the npm packages' crates out of the Cargo
 * workspace; prints the diff. What is there already stays: a second run
 * changes nothing. A file it cannot edit safely gets the manual step.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { createTwoFilesPatch } from 'diff'
import { addBuildFeature, addDependency, addExportLine, addFeature, addPlugin, addProfile, excludeFromWorkspace, type Edit } from './init-edits.js'
import { PACKAGE_VERSION } from '../../src/native.js'
import { packageManagerOf } from '../package-manager.js'

/** Folders never searched: installs, build output, version control. */
const SKIPPED = new Set(['node_modules', 'target', '.git', '.yarn', 'dist'])
const CONFIGS = ['vitest.config.ts', 'vitest.config.mts', 'vitest.config.js', 'vitest.config.mjs', 'vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs']

export interface InitOptions {
  /** Where to look from. */
  cwd: string
  /** The crate from the registry (`napi-tracing = { version }`) even where the npm package carries it. */
  registry?: boolean
  /** Print what would change, write nothing. */
  dryRun?: boolean
}

/** What `init` did: the changed files' diffs, what was there already, the manual steps left. */
export interface InitResult {
  diffs: string[]
  unchanged: string[]
  manual: string[]
  next: string[]
}

/**
 * Runs init from `options.cwd`. Throws, changing nothing, when it cannot
 * find the package or its crate, naming what is missing and what to do.
 */
export function init(options: InitOptions): InitResult {
  const pkg = findPackage(options.cwd)
  const crate = findCrate(pkg)
  const manifest = readFileSync(join(pkg, 'package.json'), 'utf8')
  const loader = join(pkg, ((JSON.parse(manifest) as { main?: unknown }).main as string | undefined) ?? 'index.js')
  const installed = options.registry ? undefined : installedCrate(pkg)
  const dependency = installed
    ? `napi-tracing = { path = ${JSON.stringify(slash(relative(dirname(crate), installed)))}, optional = true }`
    : `napi-tracing = { version = ${JSON.stringify(PACKAGE_VERSION)}, optional = true }`

  const changes = new Map<string, { before: string; after: string }>()
  const unchanged: string[] = []
  const manual: string[] = []
  const apply = (file: string, what: string, edit: (text: string) => Edit) => {
    const before = changes.get(file)?.after ?? (existsSync(file) ? readFileSync(file, 'utf8') : '')
    const result = edit(before)
    if (result.manual !== undefined) manual.push(`${shown(options.cwd, file)}: ${result.manual}`)
    else if (result.text === before) unchanged.push(`${shown(options.cwd, file)}: ${what}`)
    else changes.set(file, { before: changes.get(file)?.before ?? before, after: result.text })
  }

  apply(crate, 'the napi-tracing dependency', (text) => addDependency(text, dependency))
  apply(crate, 'the napi-tracing feature', addFeature)
  if (installed) {
    // A path dependency inside the workspace's folder would become a member of it.
    const workspace = workspaceManifest(dirname(crate))
    if (workspace && isInside(installed, dirname(workspace))) {
      const modules = installed.slice(0, installed.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules`.length)
      apply(workspace, 'the npm packages kept out of the Cargo workspace', (text) => excludeFromWorkspace(text, slash(relative(dirname(workspace), modules))))
    }
  }
  apply(workspaceManifest(dirname(crate)) ?? crate, 'the profile lines that keep the tracer optimised in debug builds', addProfile)
  apply(libOf(crate), 'the entry points', addExportLine)
  const config = findConfig(pkg)
  apply(config, 'the plugin', (text) => (text === '' ? { text: newConfig(slash(relativeFrom(dirname(config), loader))) } : addPlugin(text, slash(relativeFrom(dirname(config), loader)))))
  let scripts: string[] = []
  apply(join(pkg, 'package.json'), 'the build script with --features napi-tracing', (text) => {
    const result = addBuildFeature(text)
    scripts = result.scripts ?? []
    return result
  })

  if (!options.dryRun) for (const [file, { after }] of changes) writeFileSync(file, after)
  const diffs = [...changes].map(([file, { before, after }]) => {
    const name = shown(options.cwd, file)
    return createTwoFilesPatch(name, name, before, after, '', '', { context: 2 })
  })
  const run = packageManagerOf(pkg).name
  const next = scripts.length > 0 ? [`${run} run ${scripts[0]}   # builds the addon with the tracing entry points`] : ['napi build --platform --features napi-tracing']
  next.push(`${run === 'npm' ? 'npx' : run === 'pnpm' ? 'pnpm exec' : run === 'yarn' ? 'yarn' : 'bunx'} vitest run   # the span report follows Vitest's summary`)
  return { diffs, unchanged, manual, next }
}

/**
 * The npm package's crate where Node finds the package from `pkg` (the
 * nearest node_modules/vitest-napi-tracing above it), if it is there on
 * disk. The link itself, not where it points: pnpm's store path changes
 * with every version, the link stays.
 */
function installedCrate(pkg: string): string | undefined {
  for (let dir = pkg; ; dir = dirname(dir)) {
    const installed = join(dir, 'node_modules', 'vitest-napi-tracing')
    if (existsSync(join(installed, 'package.json'))) {
      const crate = join(installed, 'native', 'napi-tracing')
      // Yarn Plug'n'Play keeps no node_modules: the registry form then.
      return existsSync(join(crate, 'Cargo.toml')) ? crate : undefined
    }
    if (dirname(dir) === dir) return undefined
  }
}

/** The napi-rs package from `cwd`: it, one above it, or the one package below it. */
function findPackage(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (isNapiPackage(dir)) return dir
    if (dirname(dir) === dir) break
  }
  const found = below(cwd, 4, (dir) => isNapiPackage(dir))
  if (found.length === 1) return found[0]!
  if (found.length > 1) {
    throw new Error(`found ${found.length} napi-rs packages (package.json with a "napi" field): ${found.map((f) => shown(cwd, f)).join(', ')}; run init in the one to trace`)
  }
  throw new Error(`no napi-rs package here: no package.json with a "napi" field in ${cwd}, above it or below it; run init in your addon's package`)
}

function isNapiPackage(dir: string): boolean {
  const manifest = join(dir, 'package.json')
  if (!existsSync(manifest)) return false
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { napi?: unknown }).napi !== undefined
  } catch {
    return false
  }
}

/** The addon's crate: the Cargo.toml beside the package.json, or the one cdylib crate under its folder. */
function findCrate(pkg: string): string {
  const beside = join(pkg, 'Cargo.toml')
  if (existsSync(beside) && isCdylib(beside)) return beside
  const found = below(pkg, 3, (dir) => existsSync(join(dir, 'Cargo.toml')) && isCdylib(join(dir, 'Cargo.toml'))).map((dir) => join(dir, 'Cargo.toml'))
  if (found.length === 1) return found[0]!
  if (found.length > 1) throw new Error(`found ${found.length} cdylib crates under ${pkg}: ${found.join(', ')}; add the dependency to the addon's by hand (see vitest-napi-tracing's docs/install.md)`)
  throw new Error(`no Cargo.toml of a cdylib crate beside ${join(pkg, 'package.json')} or under its folder; add the dependency to the addon's crate by hand (see vitest-napi-tracing's docs/install.md)`)
}

function isCdylib(manifest: string): boolean {
  return /crate-type\s*=\s*\[[^\]]*"cdylib"/.test(readFileSync(manifest, 'utf8'))
}

/** Folders under `root` (not `root` itself), at most `depth` deep, for which `match` holds. */
function below(root: string, depth: number, match: (dir: string) => boolean): string[] {
  const out: string[] = []
  const walk = (dir: string, left: number) => {
    if (left === 0) return
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || SKIPPED.has(entry.name) || entry.name.startsWith('.')) continue
      const path = join(dir, entry.name)
      if (match(path)) out.push(path)
      else walk(path, left - 1)
    }
  }
  walk(root, depth)
  return out.sort()
}

/** The crate's lib.rs: its `[lib] path`, else src/lib.rs. */
function libOf(crate: string): string {
  const path = /^\[lib\][^[]*?^path\s*=\s*"([^"]+)"/ms.exec(readFileSync(crate, 'utf8'))?.[1]
  return join(dirname(crate), path ?? 'src/lib.rs')
}

/** The Cargo.toml with `[workspace]` at or above `dir`, if any. */
function workspaceManifest(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const manifest = join(at, 'Cargo.toml')
    if (existsSync(manifest) && /^\[workspace\]/m.test(readFileSync(manifest, 'utf8'))) return manifest
    if (dirname(at) === at) return undefined
  }
}

/**
 * The Vitest config of the package: its own, else one above it up to the
 * repository's root; else a new one beside it, vitest.config.mts where the
 * package is CommonJS (napi-rs's template has no `"type": "module"`), where
 * Vite would load a .ts config as CommonJS and warn on every run.
 */
function findConfig(pkg: string): string {
  for (let dir = pkg; ; dir = dirname(dir)) {
    const found = CONFIGS.map((name) => join(dir, name)).find(existsSync)
    if (found) return found
    const top = ['.git', 'pnpm-workspace.yaml'].some((f) => existsSync(join(dir, f))) || hasWorkspaces(dir)
    if (top || dirname(dir) === dir) break
  }
  return join(pkg, isModule(pkg) ? 'vitest.config.ts' : 'vitest.config.mts')
}

/** Whether the package's .js and .ts files are ES modules (`"type": "module"`). */
function isModule(pkg: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { type?: unknown }).type === 'module'
  } catch {
    return false
  }
}

function hasWorkspaces(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { workspaces?: unknown }).workspaces !== undefined
  } catch {
    return false
  }
}

function newConfig(addon: string): string {
  return [
    "import { defineConfig } from 'vitest/config'",
    "import napiTracing from 'vitest-napi-tracing/plugin'",
    '',
    'export default defineConfig({',
    `  plugins: [napiTracing({ addons: ['${addon}'] })],`,
    '})',
    '',
  ].join('\n')
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path)
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)
}

/** `./x` for a path below `from`, else `../x`. */
function relativeFrom(from: string, to: string): string {
  const rel = relative(from, to)
  return rel.startsWith('..') ? rel : `./${rel}`
}

function slash(path: string): string {
  return path.split(sep).join('/')
}

function shown(cwd: string, file: string): string {
  const rel = relative(cwd, file)
  return rel.startsWith('..') ? file : rel
}
