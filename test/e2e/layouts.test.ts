/**
 * The install layouts users have (scripts/e2e/layouts.mjs), each installed
 * from the npm registry with the packed tarball: a pnpm workspace (the
 * package at its root, symlinked, the binding's Cargo.toml in a subfolder of
 * its package), yarn with the node-modules linker, and yarn Plug'n'Play
 * (both building against napi-tracing from the local registry). Each runs
 * the resolver suite with the plugin and without it: the same results, and
 * the resolver's spans in the report.
 */
import { spawnSync } from 'node:child_process'
import { lstatSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, test } from 'vitest'
import type { SpanReport } from 'vitest-napi-tracing/plugin'
import type { Layout } from './support/paths.js'
import { calls, placed, testNamed } from './support/report.js'

interface LayoutRun {
  status: number | null
  output: string
  report: () => SpanReport
  states: () => Record<string, string>
}

/** Vitest in `layout`, as its users run it: through yarn for Plug'n'Play, else node_modules' Vitest. */
function runIn(layout: Layout, env: Record<string, string> = {}): LayoutRun {
  const out = mkdtempSync(join(tmpdir(), 'napi-tracing-layout-'))
  const json = join(out, 'vitest.json')
  const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`]
  const [cmd, argv] = layout.vitest ? [process.execPath, [layout.vitest, ...args]] : [process.execPath, [layout.yarn!, 'vitest', ...args]]
  const child = spawnSync(cmd, argv, {
    cwd: layout.project,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', FIXTURE_OUTPUT_DIR: join(out, 'tracing'), RESOLVER_LOG_SETUP: 'layer', ...env },
  })
  return {
    status: child.status,
    output: `${child.stdout}\n${child.stderr}`,
    report: () => JSON.parse(readFileSync(join(out, 'tracing/report.json'), 'utf8')) as SpanReport,
    states: () => {
      const results = JSON.parse(readFileSync(json, 'utf8')) as { testResults: Array<{ assertionResults: Array<{ fullName: string; status: string }> }> }
      return Object.fromEntries(results.testResults.flatMap((f) => f.assertionResults.map((a) => [a.fullName, a.status])))
    },
  }
}

function checkSuite(layout: Layout): SpanReport {
  const traced = runIn(layout)
  const plain = runIn(layout, { FIXTURE_UNTRACED: '1' })
  expect(traced.status, traced.output).toBe(plain.status)
  expect(traced.states()).toEqual(plain.states())
  expect(Object.values(traced.states()).filter((s) => s === 'passed').length).toBeGreaterThan(5)
  const report = traced.report()
  const jsThread = testNamed(report, 'resolver > resolves on the JavaScript thread, then from its cache')
  expect(calls(jsThread, 'resolve_sync')).toBe(2)
  expect(placed(testNamed(report, 'resolver > resolves on the libuv pool').tree, 'resolve').caused).toBe(1)
  return report
}

describe('install layouts', () => {
  const { layouts } = inject('installed')

  test('pnpm: installed at the workspace root with -w, symlinked, the binding in packages/binding with its Cargo.toml in native/', () => {
    expect(lstatSync(join(layouts.pnpm.root, 'node_modules/vitest-napi-tracing')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(layouts.pnpm.project, 'native/Cargo.toml'), 'utf8')).toMatch(/^napi-tracing = \{ path = "\.\.\/\.\.\/\.\.\/node_modules\/vitest-napi-tracing\/native\/napi-tracing" \}$/m)
    checkSuite(layouts.pnpm)
  })

  test('yarn with the node-modules linker: napi-tracing from the registry, crates.io-style', () => {
    expect(readFileSync(join(layouts.yarn.root, 'Cargo.toml'), 'utf8')).toMatch(/^napi-tracing = "\d+\.\d+\.\d+"$/m)
    checkSuite(layouts.yarn)
  })

  test("yarn Plug'n'Play: the package is unplugged (preferUnplugged), and the suite runs traced", () => {
    checkSuite(layouts.yarnPnp)
  })
})
