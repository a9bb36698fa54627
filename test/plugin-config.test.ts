/**
 * What the plugin adds to the Vite config: its own modules run by Node as
 * they are in every worker (not transformed by Vite), wherever the package
 * lives (node_modules, a link, a workspace); its setup file is always
 * inlined, so that Vitest re-evaluates it before every test file.
 */
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import napiTracing from '../plugin/index.js'
import { atLeast, checkVitest, OLDEST_VITEST } from '../plugin/vitest-version.js'

/** The plugin's `config` hook, called as Vite would (it takes no arguments). */
function configOf(plugin: unknown): unknown {
  return (plugin as { config: () => unknown }).config()
}

test('the plugin externalizes its own modules, not its setup file nor the user’s', () => {
  const config = configOf(napiTracing({ addons: [] })) as { test: { server: { deps: { external: RegExp[]; inline: RegExp[] } } } }
  const external = config.test.server.deps.external
  expect(external).toHaveLength(1)
  const pattern = external![0]!
  // Here the package runs from its sources: the modules sit at the root.
  const root = fileURLToPath(new URL('..', import.meta.url))
  expect(pattern.test(`${root}plugin/worker.js`)).toBe(true)
  expect(pattern.test(`${root}src/collector.js`)).toBe(true)
  expect(pattern.test(`${root}plugin/setup.js`)).toBe(false)
  expect(pattern.test(`${root}test-fixtures/projects/basic/counts.test.ts`)).toBe(false)
  expect(pattern.test(`/elsewhere${root}plugin/worker.js`)).toBe(false)
  // The setup file, and only it, is always inlined: Vitest re-evaluates it before each test file.
  const [inline] = config.test.server.deps.inline
  expect(inline!.test(`${root}plugin/setup.js`)).toBe(true)
  expect(inline!.test(`${root}plugin/worker.js`)).toBe(false)
  expect(inline!.test(`${root}plugin/setup.js.map`)).toBe(false)
})

test('VITEST_NAPI_TRACING=0 leaves the config alone', () => {
  const before = process.env['VITEST_NAPI_TRACING']
  process.env['VITEST_NAPI_TRACING'] = '0'
  try {
    expect(configOf(napiTracing({ addons: [] }))).toBeUndefined()
  } finally {
    if (before === undefined) delete process.env['VITEST_NAPI_TRACING']
    else process.env['VITEST_NAPI_TRACING'] = before
  }
})

test('a Vitest older than the plugin supports is one error naming the version found, where, and the fix; 4.0 and newer pass', () => {
  expect(() => checkVitest({ version: '3.2.4', path: '/p/node_modules/vitest/package.json' })).toThrow(
    /needs Vitest 4\.0\.0 or newer .*but found Vitest 3\.2\.4 \(\/p\/node_modules\/vitest\/package\.json\)\. Update Vitest \(npm install --save-dev vitest@latest\), or remove napiTracing\(\)/,
  )
  for (const version of ['4.0.0', '4.0.18', '4.1.12', '5.1.1', '10.0.0']) expect(() => checkVitest({ version, path: 'x' })).not.toThrow()
  expect([atLeast('4.0.0-beta.3'), atLeast('3.99.99'), atLeast('4.0.0', '4.0.1')]).toEqual([true, false, false])
  // The peer range says the same.
  const peer = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { peerDependencies: { vitest: string } }).peerDependencies.vitest
  expect(peer.startsWith(`^${OLDEST_VITEST}`)).toBe(true)
})
