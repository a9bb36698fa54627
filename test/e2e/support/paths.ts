/** Where the end-to-end suites find the installed package, and its shape (provided by `installed.ts`). */
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dirname, '../../..')
/** The installed projects and the packed tarball, kept between runs (cargo's `target/`, ignored by git). */
export const E2E_DIR = join(REPO, 'target/e2e')

/** Vitest 4 (the repository's 4.1), 40 (4.0), 32 (3.2, the oldest supported) or 5. */
export type Major = 4 | 40 | 32 | 5

/** A project with the packed package and one Vitest major installed. */
export interface InstalledEnv {
  major: Major
  /** The project's root: its package.json and node_modules. */
  dir: string
  /** The Node that runs this Vitest: the machine's for 4, Node 24 for 5. */
  node: string
  /** The installed Vitest's CLI. */
  vitest: string
  /** Copies of `test-fixtures/projects`. */
  projects: string
  /** The fixture addons, built against the crate in node_modules. */
  addons: string
}

/** A project of another package manager's layout (see `scripts/e2e/layouts.mjs`). */
export interface Layout {
  /** Where it was installed (its package.json, and for pnpm its workspace file). */
  root: string
  /** Where its Vitest suite is. */
  project: string
  /** Its Vitest's CLI, when it has a node_modules folder. */
  vitest?: string
  /** The yarn CLI, for a yarn project. */
  yarn?: string
}

export interface Installed {
  /** A hash of the sources the tarball and the addons were built from. */
  inputs: string
  /** The `npm pack` output of this run. */
  tarball: string
  envs: Record<Major, InstalledEnv>
  /** Other Nodes' binaries: 20.18, which cannot require() an ES module. */
  nodes: { '20.18': string }
  /** The local crates registry (a directory source) and the versions a user's lock pins. */
  /** `target`: where its crates build, apart from crates.io's copies of them. */
  registry: { vendor: string; target: string; userLock: Record<string, string> }
  layouts: { pnpm: Layout; yarn: Layout; yarnPnp: Layout }
  /** The projects `init` is tried on: an npm project, a pnpm workspace, a yarn workspace. */
  initLayouts: Record<'npm' | 'pnpm' | 'yarn', InitLayout>
  /** Where their addons build (their crates' dependencies compiled once for the three). */
  initTarget: string
}

/** A project with the untraced addon (`test-fixtures/layouts/init-addon`) and the package installed. */
export interface InitLayout {
  root: string
  /** The addon's package folder. */
  package: string
  /** The Vitest CLI the addon's package resolves. */
  vitest: string
}

declare module 'vitest' {
  interface ProvidedContext {
    installed: Installed
  }
}
