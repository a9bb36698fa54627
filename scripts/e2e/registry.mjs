// A local crates registry for the end-to-end tests: cargo's own source
// replacement with a directory source (`cargo vendor`'s format), holding
// the napi-tracing crate exactly as `cargo package` makes it and every
// crate the test workspaces depend on. A workspace that points crates-io
// at it (`.cargo/config.toml`, see `sourceConfig`) resolves
// `napi-tracing = "0.1.0"` as it would from crates.io, offline.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

function cargo(args, cwd, env = {}) {
  try {
    return execFileSync('cargo', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
  } catch (error) {
    throw new Error(`cargo ${args.join(' ')} failed in ${cwd}: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`)
  }
}

/** napi-tracing's version, from its manifest. */
export function crateVersion(repo) {
  const manifest = readFileSync(join(repo, 'native/napi-tracing/Cargo.toml'), 'utf8')
  return /^version = "([^"]+)"/m.exec(manifest)[1]
}

/** The `.cargo/config.toml` that makes crates-io resolve from the registry at `vendor`. */
export function sourceConfig(vendor) {
  return `[source.crates-io]\nreplace-with = "napi-tracing-e2e"\n\n[source.napi-tracing-e2e]\ndirectory = ${JSON.stringify(vendor)}\n`
}

/**
 * Builds the registry in `dir` (vendor/ inside it) for the Cargo workspaces
 * `workspaces` (`{ dir, pins }`: each depending on `napi-tracing =
 * "<version>"`, with `pins` (crate → version) locked as a user's lock file
 * may have them). Returns the vendor folder. With `inputs` (a hash of
 * what it is made from) equal to the last build's, the registry is kept.
 */
export function buildRegistry({ repo, dir, workspaces, inputs }) {
  const version = crateVersion(repo)
  const vendor = join(dir, 'vendor')
  // `inputs` is a hash of what the registry is made from: the same, and it is kept.
  const made = join(dir, '.inputs')
  if (inputs && existsSync(made) && readFileSync(made, 'utf8') === inputs && existsSync(join(vendor, `napi-tracing-${version}`))) return vendor
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  // Every crate the workspace locks, downloaded: the packaging and vendoring
  // below run offline, and on a fresh machine nothing has fetched the crates
  // that only the bench addon uses.
  cargo(['fetch', '--locked'], repo)
  // The crate as it is published.
  cargo(['package', '-p', 'napi-tracing', '--allow-dirty', '--offline', '--locked', '--no-verify', '--quiet'], repo)
  const crateFile = join(repo, 'target/package', `napi-tracing-${version}.crate`)
  // Unpacked from the .crate itself: target/package/<name>/ is only refreshed by a verifying package.
  const unpacked = join(dir, 'unpacked')
  mkdirSync(unpacked, { recursive: true })
  execFileSync('tar', ['-xzf', crateFile, '-C', unpacked])
  const packaged = join(unpacked, `napi-tracing-${version}`)
  // Each workspace is vendored with napi-tracing patched to the packaged
  // crate: cargo vendor copies registry crates only.
  const seeds = workspaces.map(({ dir: from, pins = {} }, i) => {
    const seed = join(dir, `seed-${i}`)
    cpSync(from, seed, { recursive: true, filter: (src) => !/(^|\/)(target|node_modules)(\/|$)/.test(relative(from, src)) })
    const root = join(seed, 'Cargo.toml')
    writeFileSync(root, `${readFileSync(root, 'utf8')}\n[patch.crates-io]\nnapi-tracing = { path = ${JSON.stringify(packaged)} }\n`)
    // From the repository's lock: the versions its builds already compiled, where they fit.
    copyFileSync(join(repo, 'Cargo.lock'), join(seed, 'Cargo.lock'))
    cargo(['metadata', '--format-version', '1'], seed)
    for (const [name, pinned] of Object.entries(pins)) cargo(['update', '-p', name, '--precise', pinned], seed)
    return root
  })
  const [first, ...rest] = seeds
  cargo(['vendor', '--versioned-dirs', '--manifest-path', first, ...rest.flatMap((m) => ['--sync', m]), vendor], dir)
  // napi-tracing itself, with the checksum a registry's index would give.
  const into = join(vendor, `napi-tracing-${version}`)
  cpSync(packaged, into, { recursive: true })
  const checksum = createHash('sha256').update(readFileSync(crateFile)).digest('hex')
  writeFileSync(join(into, '.cargo-checksum.json'), JSON.stringify({ files: {}, package: checksum }))
  if (!existsSync(join(into, 'Cargo.toml'))) throw new Error(`the packaged crate has no Cargo.toml in ${into}`)
  for (const seed of seeds) rmSync(join(seed, '..'), { recursive: true, force: true })
  rmSync(unpacked, { recursive: true, force: true })
  if (inputs) writeFileSync(made, inputs)
  return vendor
}
