/**
 * The end-to-end suites' global setup: the package as users get it, from
 * `scripts/install-packed.mjs` (packed once per run, installed with Vitest
 * 4 and with Vitest 5, the fixture addons built against the crate the
 * tarball carries). `npm run build` has usually done it already; then this
 * only checks that nothing changed since.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { E2E_DIR, REPO, type Installed } from './paths.js'

export default function setup(project: TestProject): void {
  execFileSync(process.execPath, [join(REPO, 'scripts/install-packed.mjs')], { cwd: REPO, stdio: 'inherit' })
  project.provide('installed', JSON.parse(readFileSync(join(E2E_DIR, 'installed.json'), 'utf8')) as Installed)
}
