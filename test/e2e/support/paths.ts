/** Where the end-to-end suites find the installed package, and its shape (provided by `installed.ts`). */
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dirname, '../../..')
/** The installed projects and the packed tarball, kept between runs (cargo's `target/`, ignored by git). */
export const E2E_DIR = join(REPO, 'target/e2e')

export type Major = 4 | 5

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

export interface Installed {
  /** A hash of the sources the tarball and the addons were built from. */
  inputs: string
  /** The `npm pack` output of this run. */
  tarball: string
  envs: Record<Major, InstalledEnv>
}

declare module 'vitest' {
  interface ProvidedContext {
    installed: Installed
  }
}
