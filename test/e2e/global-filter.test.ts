/**
 * An addon whose own subscriber has a global filter, as installed: the
 * global-filter fixture sets up its logging from an init function (its init
 * line as it is, with napi_tracing::layer() appended, or with the docs'
 * wrap edit; with a global EnvFilter, Targets, LevelFilter or
 * fmt().with_env_filter()), makes debug_span!s on the JavaScript thread, in
 * AsyncTask::compute and on a thread it spawns, and prints a warning from
 * each. Each run is compared with the same run without the plugin.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { docBlock } from '../support/doc-blocks.js'
import { REPO } from './support/paths.js'
import { calls, runBoth, testNamed } from './support/report.js'
import { installedEnv, runVitest, type Pool, type RunResult } from './support/run-vitest.js'

const UNTRACED = { FIXTURE_UNTRACED: '1' }
const SHAPES = ['EnvFilter', 'Targets', 'LevelFilter', 'fmt'] as const
type Shape = (typeof SHAPES)[number]
/** Each test's spans: the one it makes where it works, and its steps. */
const SPANS: Record<string, [string, number]> = {
  'on the JavaScript thread': ['on_js_thread', 3],
  'in AsyncTask::compute': ['in_compute', 4],
  'on a thread spawned inside the call': ['on_spawned_thread', 5],
}

function setup(edit: 'wrap' | 'layer' | 'none', shape: Shape, release = false): Record<string, string> {
  return { GLOBAL_FILTER_EDIT: edit, GLOBAL_FILTER_SHAPE: shape, ...(release ? { GLOBAL_FILTER_BUILD: 'release' } : {}) }
}

/** The lines the addon printed (its fmt layer's, on stdout), without their time, in order of text. */
function printed(run: RunResult): string[] {
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => / WARN global_filter_addon: /.test(line))
    .map((line) => line.slice(line.indexOf('WARN')))
    .sort()
}

/** Every span of every test counted in that test, and no other. */
function expectEverySpanInItsTest(run: RunResult): void {
  const report = run.report()
  for (const file of ['a', 'b']) {
    for (const [name, [span, steps]] of Object.entries(SPANS)) {
      const t = testNamed(report, `${file} > ${name}`)
      expect(t.spans.map((s) => [s.name, s.calls]).sort(), `${file} > ${name}`).toEqual([[span, 1], ['step', steps]].sort())
    }
  }
  expect(report.tests.reduce((n, t) => n + calls(t), 0)).toBe(2 * (3 + 4 + 5 + 3))
}

test("the docs' edit is the fixture's init line, as written", () => {
  const block = docBlock('global-filter')
  expect(block).toContain('tracing_subscriber::EnvFilter::new("warn")')
  const source = readFileSync(join(REPO, 'test-fixtures/addons/global-filter/src/logging.rs'), 'utf8')
  const body = /fn readme_edit\(\) \{\n([\s\S]*?)\n\}/.exec(source)?.[1]
  const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean)
  expect(lines(body ?? '')).toEqual(lines(block))
})

describe.each(SHAPES)('a global %s', (shape) => {
  test.each(['forks', 'threads'] as Pool[])("with the docs' edit (%s): every span counted in its own test, the addon's lines as printed without the plugin", (pool) => {
    const { traced, plain } = runBoth({ project: 'global-filter', pool, env: setup('wrap', shape) }, UNTRACED)
    expect(traced.exitCode, traced.stderr).toBe(0)
    expect(traced.states()).toEqual(plain.states())
    expect(printed(plain)).toHaveLength(6)
    expect(printed(traced)).toEqual(printed(plain))
    expect(traced.report().problems).toEqual([])
    expectEverySpanInItsTest(traced)
  })

  test('with no edit: the same outcome as without the plugin, and the report names the edit', () => {
    const { traced, plain } = runBoth({ project: 'global-filter', pool: 'forks', env: setup('none', shape) }, UNTRACED)
    expect(traced.exitCode).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    expect(printed(traced)).toEqual(printed(plain))
    expect(traced.report().problems).toContainEqual(expect.stringMatching(/installed a global tracing subscriber of its own without napi-tracing.*napi_tracing::wrap\(/))
  })
})

// fmt()'s subscriber takes no per-layer filter, so no napi_tracing::layer(): it panics there.
describe.each(['EnvFilter', 'Targets', 'LevelFilter'] as const)('a global %s', (shape) => {
  test('with napi_tracing::layer() appended: the report names the global filter and the edit, not the filter option', () => {
    const run = runVitest({ project: 'global-filter', pool: 'forks', json: true, env: setup('layer', shape) })
    expect(run.exitCode, run.stderr).toBe(0)
    const problems = run.report().problems
    const named = { EnvFilter: 'an EnvFilter', Targets: 'a Targets filter', LevelFilter: 'a LevelFilter' }[shape]
    expect(problems).toContainEqual(
      expect.stringMatching(new RegExp(`\\(subscriber: 'layer'\\): this addon's subscriber has a global filter \\(${named} added with .*napi_tracing::wrap\\(`)),
    )
    expect(problems.join('\n')).not.toMatch(/enabled no spans/)
  })
})

describe('a stripped release build', () => {
  test('has no symbol table', () => {
    const dir = join(installedEnv().addons, 'global-filter-release')
    const binary = readdirSync(dir).find((f) => f.endsWith('.node'))
    expect(binary).toBeDefined()
    const sections = execFileSync('readelf', ['-S', '-W', join(dir, binary!)], { encoding: 'utf8' })
    expect(sections).toContain('.rodata')
    expect(sections).not.toContain('.symtab')
  })

  test.each(['forks', 'threads'] as Pool[])("with the docs' edit (%s): every span counted in its own test, the addon's lines as printed without the plugin", (pool) => {
    const { traced, plain } = runBoth({ project: 'global-filter', pool, env: setup('wrap', 'EnvFilter', true) }, UNTRACED)
    expect(traced.exitCode, traced.stderr).toBe(0)
    expect(traced.states()).toEqual(plain.states())
    expect(printed(traced)).toEqual(printed(plain))
    expect(printed(plain)).toHaveLength(6)
    expect(traced.report().problems).toEqual([])
    expectEverySpanInItsTest(traced)
  })

  test("with no edit: 'auto' finds init() without the symbols, so the addon's init does not abort; the report names the edit", () => {
    const { traced, plain } = runBoth({ project: 'global-filter', pool: 'forks', env: setup('none', 'EnvFilter', true) }, UNTRACED)
    expect(traced.exitCode).toBe(plain.exitCode)
    expect(traced.states()).toEqual(plain.states())
    expect(printed(traced)).toEqual(printed(plain))
    expect(traced.report().problems).toContainEqual(expect.stringMatching(/installed a global tracing subscriber of its own without napi-tracing.*napi_tracing::wrap\(/))
  })
})
