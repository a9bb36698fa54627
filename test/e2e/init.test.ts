/**
 * `npx vitest-napi-tracing init` as a new user runs it, from the installed
 * package, on an addon with no tracing set up (test-fixtures/layouts/
 * init-addon) in an npm project, a pnpm workspace and a yarn workspace
 * where yarn put the package in the addon's own node_modules: it edits the
 * files, the addon's build script builds it with the feature, the suite is
 * traced, and a second run changes nothing. The layouts' files are put
 * back afterwards; their builds stay, for the next run.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, inject, test } from 'vitest'
import type { SpanReport } from 'vitest-napi-tracing/plugin'
import { REPO } from './support/paths.js'
import { calls, testNamed } from './support/report.js'

/** The files init may edit, relative to the addon's package. */
const EDITED = ['package.json', 'Cargo.toml', 'src/lib.rs', 'vitest.config.ts']

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const child = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 600_000, env: { ...process.env, NO_COLOR: '1', ...env } })
  return { status: child.status, out: `${child.stdout}\n${child.stderr}` }
}

describe.each(['npm', 'pnpm', 'yarn'] as const)('init in %s', (manager) => {
  test('one command sets the addon up: its build has the entry points, the suite is traced; a second run changes nothing', () => {
    const layout = inject('installed').initLayouts[manager]
    const before = EDITED.map((f) => readFileSync(join(layout.package, f), 'utf8'))
    // The installed command, as npx (or pnpm exec, yarn) runs it: from node_modules/.bin of the addon's package or above.
    const bin = [layout.package, layout.root].map((d) => join(d, 'node_modules/.bin/vitest-napi-tracing')).find(existsSync)!
    // yarn's from the workspace root: init finds the addon below.
    const cwd = manager === 'yarn' ? layout.root : layout.package
    try {
      const first = run(bin, ['init'], cwd)
      expect(first.status, first.out).toBe(0)
      expect(first.out).toMatch(/changed 4 files/)
      const manifest = readFileSync(join(layout.package, 'Cargo.toml'), 'utf8')
      // The path where the package is: the addon's own node_modules for npm and yarn, the workspace root's for pnpm.
      const path = manager === 'pnpm' ? '../../node_modules/vitest-napi-tracing/native/napi-tracing' : 'node_modules/vitest-napi-tracing/native/napi-tracing'
      expect(manifest).toContain(`napi-tracing = { path = "${path}", optional = true }`)
      // Inside the Cargo workspace's folder it would be a member: kept out; outside it, nothing to keep out.
      if (manager === 'pnpm') expect(manifest).not.toMatch(/^exclude/m)
      else expect(manifest).toMatch(/^exclude = \["node_modules"\]$/m)
      expect(first.out).toContain(`+napi-tracing = { path = "${path}", optional = true }`)
      expect(first.out).toContain(`${manager} run build:debug`)

      // The build script init gave the feature to, run as the package manager would.
      const script = (JSON.parse(readFileSync(join(layout.package, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build:debug']
      expect(script).toBe('napi build --platform --features napi-tracing')
      writeFileSync(join(layout.package, 'Cargo.lock'), readFileSync(join(REPO, 'Cargo.lock')))
      const build = run('sh', ['-c', script!], layout.package, { PATH: `${join(REPO, 'node_modules/.bin')}:${process.env['PATH']}`, CARGO_TARGET_DIR: inject('installed').initTarget })
      expect(build.status, build.out).toBe(0)

      rmSync(join(layout.package, '.vitest'), { recursive: true, force: true })
      const suite = run(process.execPath, [layout.vitest, 'run'], layout.package)
      expect(suite.status, suite.out).toBe(0)
      expect(suite.out).toContain('NAPI TRACING')
      const report = JSON.parse(readFileSync(join(layout.package, '.vitest/napi-tracing/report.json'), 'utf8')) as SpanReport
      expect(calls(testNamed(report, 'sums three numbers'), 'sum')).toBe(1)
      expect(calls(testNamed(report, 'sums three numbers'), 'add')).toBe(3)
      expect(calls(testNamed(report, 'sums nothing'))).toBe(1)
      // The profile lines init added: the debug build's napi-tracing is optimised.
      expect(report.run?.addons.map((a) => a.optLevel)).toEqual(['3'])
      expect(suite.out).not.toContain('unoptimised')

      const edited = EDITED.map((f) => readFileSync(join(layout.package, f), 'utf8'))
      const second = run(bin, ['init'], cwd)
      expect(second.status, second.out).toBe(0)
      expect(second.out).toMatch(/^nothing to change: it is set up \(\d+ steps in place\)$/m)
      expect(EDITED.map((f) => readFileSync(join(layout.package, f), 'utf8'))).toEqual(edited)
    } finally {
      EDITED.forEach((f, i) => writeFileSync(join(layout.package, f), before[i]!))
    }
  }, 900_000)
})
