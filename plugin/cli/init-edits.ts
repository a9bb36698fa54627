/**
 * The edits `vitest-napi-tracing init` makes, as pure functions of a file's
 * text: each returns the new text, the same text when what it adds is there
 * already (so a second run changes nothing), or the manual step when the
 * file's shape is not one it can edit safely.
 */

/** What an edit did: `text` is the file's new content (equal to the old one when nothing was needed). */
export type Edit = { text: string; manual?: undefined } | { text?: undefined; manual: string }

/** The lines of a TOML section `[name]`: where its header is and where it ends (the next header, or the end). */
function section(lines: readonly string[], name: string): { header: number; end: number } | undefined {
  const header = lines.findIndex((l) => l.trim() === `[${name}]`)
  if (header === -1) return undefined
  let end = lines.length
  for (let i = header + 1; i < lines.length; i++) {
    if (/^\s*\[/.test(lines[i]!)) {
      end = i
      break
    }
  }
  // Before the blank lines and comments that end the section.
  while (end > header + 1 && /^\s*(#.*)?$/.test(lines[end - 1]!)) end--
  return { header, end }
}

/** Whether the section holds a key `key` (as `key = ...`). */
function hasKey(lines: readonly string[], at: { header: number; end: number }, key: string): boolean {
  const pattern = new RegExp(`^\\s*"?${key.replace(/[-.]/g, '\\$&')}"?\\s*=`)
  return lines.slice(at.header + 1, at.end).some((l) => pattern.test(l))
}

function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n'
}

/**
 * Adds `dependency` (a whole line, `napi-tracing = { ... }`) at the end of
 * the manifest's `[dependencies]`.
 */
export function addDependency(manifest: string, dependency: string): Edit {
  const nl = eol(manifest)
  const lines = manifest.split(/\r?\n/)
  const deps = section(lines, 'dependencies')
  if (!deps) return { manual: `add to its [dependencies]:\n  ${dependency}` }
  if (hasKey(lines, deps, 'napi-tracing')) return { text: manifest }
  lines.splice(deps.end, 0, dependency)
  return { text: lines.join(nl) }
}

/** The cargo feature that turns the optional dependency on: `napi-tracing = ["dep:napi-tracing"]`. */
export const FEATURE_LINE = 'napi-tracing = ["dep:napi-tracing"]'

/** Adds the `napi-tracing` feature to `[features]`, or the section with it at the end. */
export function addFeature(manifest: string): Edit {
  const nl = eol(manifest)
  const lines = manifest.split(/\r?\n/)
  const features = section(lines, 'features')
  if (!features) {
    const body = manifest.replace(/(\r?\n)*$/, '')
    return { text: `${body}${nl}${nl}[features]${nl}# The tracing entry points, for test builds (napi build --features napi-tracing).${nl}${FEATURE_LINE}${nl}` }
  }
  if (hasKey(lines, features, 'napi-tracing')) return { text: manifest }
  lines.splice(features.end, 0, FEATURE_LINE)
  return { text: lines.join(nl) }
}

/**
 * Keeps `folder` (relative to the workspace's manifest, `node_modules`) out
 * of the Cargo workspace whose root manifest this is: a path dependency
 * inside the workspace's folder becomes a member, which a
 * `cargo test --workspace --all-features` then builds and tests.
 */
export function excludeFromWorkspace(manifest: string, folder: string): Edit {
  const nl = eol(manifest)
  const lines = manifest.split(/\r?\n/)
  const workspace = section(lines, 'workspace')
  const manual = { manual: `add to its [workspace]:\n  exclude = ["${folder}"]` }
  if (!workspace) return manual
  const at = lines.findIndex((l, i) => i > workspace.header && i < workspace.end && /^\s*exclude\s*=/.test(l))
  if (at === -1) {
    lines.splice(workspace.header + 1, 0, `# Not members: the npm packages' crates (a path dependency inside this folder would be one).`, `exclude = ["${folder}"]`)
    return { text: lines.join(nl) }
  }
  const list = /^(\s*exclude\s*=\s*\[)(.*)\](\s*(#.*)?)$/.exec(lines[at]!)
  // A list over several lines is left to the user.
  if (!list) return manual
  const items = [...list[2]!.matchAll(/"([^"]*)"/g)].map((m) => m[1])
  if (items.includes(folder)) return { text: manifest }
  const rest = list[2]!.trim().replace(/,$/, '')
  lines[at] = `${list[1]}${rest ? `${rest}, ` : ''}"${folder}"]${list[3]}`
  return { text: lines.join(nl) }
}

/** The line `lib.rs` gets, behind the feature. */
export const EXPORT_LINES = ['#[cfg(feature = "napi-tracing")]', 'napi_tracing::export_tracing_api!();']

/** Adds the entry points, behind the feature, at the end of the addon's lib.rs. */
export function addExportLine(lib: string): Edit {
  if (/\bexport_tracing_api!/.test(lib)) return { text: lib }
  const nl = eol(lib)
  const body = lib.replace(/(\r?\n)*$/, '')
  return { text: `${body}${nl}${nl}// The tracing entry points vitest-napi-tracing calls, in test builds only.${nl}${EXPORT_LINES.join(nl)}${nl}` }
}

/**
 * The profile lines that keep the tracing hot path optimised in debug
 * builds (docs/install.md, "Keep the tracer optimised in debug builds"):
 * each crate's table, its lines. A debug build otherwise compiles them at
 * opt-level 0, and every span costs several times more.
 */
export const PROFILE_TABLES: ReadonlyArray<readonly [crate: string, lines: readonly string[]]> = [
  ['napi-tracing', ['opt-level = 3', 'debug-assertions = false']],
  ['sharded-slab', ['opt-level = 3', 'debug-assertions = false']],
  ['tracing', ['opt-level = 3']],
  ['tracing-core', ['opt-level = 3']],
  ['rustc-hash', ['opt-level = 3']],
  ['itoa', ['opt-level = 3']],
  ['memchr', ['opt-level = 3']],
]

/** The comment above the profile lines. */
export const PROFILE_COMMENT = [
  "# optional, in the workspace's Cargo.toml: the tracing hot path (napi-tracing and the small",
  '# crates it runs through) runs inside every traced call, so keep it optimised in debug builds',
]

/**
 * Adds the profile lines to the workspace's root manifest (Cargo reads
 * profiles there only): each crate's `[profile.dev.package.<crate>]` that
 * the manifest does not have yet, so that a table of the user's own is
 * never written twice. Nothing when napi-tracing's table is there.
 */
export function addProfile(manifest: string): Edit {
  const nl = eol(manifest)
  const lines = manifest.split(/\r?\n/)
  const has = (crate: string) => section(lines, `profile.dev.package.${crate}`) !== undefined || section(lines, `profile.dev.package."${crate}"`) !== undefined
  if (has('napi-tracing')) return { text: manifest }
  const tables = PROFILE_TABLES.filter(([crate]) => !has(crate)).flatMap(([crate, body]) => [`[profile.dev.package.${crate}]`, ...body])
  const body = manifest.replace(/(\r?\n)*$/, '')
  return { text: [body, '', ...PROFILE_COMMENT, ...tables, ''].join(nl) }
}

/** The plugin's import line. */
export const PLUGIN_IMPORT = "import napiTracing from 'vitest-napi-tracing/plugin'"

/**
 * Adds the plugin, tracing the loader `addon` (relative to the config's
 * folder), to a Vitest (or Vite) config written as ES modules: into its
 * `plugins: [...]`, or as `plugins` of its `defineConfig({ ... })`.
 */
export function addPlugin(config: string, addon: string): Edit {
  const call = `napiTracing({ addons: [${JSON.stringify(addon).replaceAll('"', "'")}] })`
  const manual = { manual: `add ${PLUGIN_IMPORT} at its top, and ${call} to its plugins` }
  if (config.includes('vitest-napi-tracing/plugin')) return { text: config }
  if (/\brequire\s*\(|module\.exports/.test(config)) return manual
  const nl = eol(config)
  let text: string
  const plugins = [...config.matchAll(/\bplugins\s*:\s*\[/g)]
  const define = [...config.matchAll(/\bdefineConfig\(\s*\{/g)]
  if (plugins.length === 1) {
    const at = plugins[0]!.index + plugins[0]![0].length
    const empty = /^\s*\]/.test(config.slice(at))
    text = `${config.slice(0, at)}${call}${empty ? '' : ', '}${config.slice(at)}`
  } else if (plugins.length === 0 && define.length === 1) {
    const at = define[0]!.index + define[0]![0].length
    text = `${config.slice(0, at)}${nl}  plugins: [${call}],${config.slice(at)}`
  } else {
    return manual
  }
  // After the last import, or at the top.
  const imports = [...text.matchAll(/^import\s[^;]*?from\s*['"][^'"]+['"];?[ \t]*$/gm)]
  const last = imports.at(-1)
  if (!last) return { text: `${PLUGIN_IMPORT}${nl}${text}` }
  const at = last.index + last[0].length
  return { text: `${text.slice(0, at)}${nl}${PLUGIN_IMPORT}${text.slice(at)}` }
}

/** What `--features napi-tracing` is added to: the package.json scripts that run `napi build`. */
export function addBuildFeature(packageJson: string): Edit & { scripts?: string[] } {
  let manifest: { scripts?: Record<string, string> }
  try {
    manifest = JSON.parse(packageJson) as typeof manifest
  } catch {
    return { manual: 'build with: napi build --platform --features napi-tracing' }
  }
  const scripts = manifest.scripts ?? {}
  const builds = Object.entries(scripts).filter(([, command]) => /\bnapi\s+build\b/.test(command))
  if (builds.length === 0) return { manual: 'build the addon for the tests with: napi build --platform --features napi-tracing' }
  if (builds.some(([, command]) => /--features[ =]\S*\bnapi-tracing\b/.test(command))) return { text: packageJson, scripts: builds.filter(([, c]) => c.includes('napi-tracing')).map(([n]) => n) }
  // The builds the tests use: those without --release; else a traced one beside the release build.
  const debug = builds.filter(([, command]) => !/--release\b/.test(command))
  const changed: string[] = []
  if (debug.length > 0) {
    for (const [name, command] of debug) {
      scripts[name] = `${command} --features napi-tracing`
      changed.push(name)
    }
  } else {
    const [, command] = builds[0]!
    scripts['build:traced'] = `${command} --features napi-tracing`
    changed.push('build:traced')
  }
  manifest.scripts = scripts
  const indent = /^\{\r?\n([ \t]+)"/.exec(packageJson)?.[1] ?? '  '
  const nl = eol(packageJson)
  const text = JSON.stringify(manifest, null, indent).replaceAll('\n', nl) + (/\r?\n$/.test(packageJson) ? nl : '')
  return { text, scripts: changed }
}
