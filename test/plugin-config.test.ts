/**
 * What the plugin adds to the Vite config: its own modules run by Node as
 * they are in every worker (not transformed by Vite), wherever the package
 * lives (node_modules, a link, a workspace); its setup file is always
 * inlined, so that Vitest re-evaluates it before every test file.
 */
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import napiTracing from '../plugin/index.js'
import { packageManagerOf } from '../plugin/package-manager.js'
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

test('a Vitest older than the plugin supports is one error naming the version found, where, and the fix; 3.2 and newer pass', () => {
  const npm = mkdtempSync(join(tmpdir(), 'napi-tracing-npm-'))
  writeFileSync(join(npm, 'package-lock.json'), '{}')
  expect(() => checkVitest({ version: '3.1.4', path: '/p/node_modules/vitest/package.json' }, npm, 'v20.18.0')).toThrow(
    /needs Vitest 3\.2\.0 or newer .*but found Vitest 3\.1\.4 \(\/p\/node_modules\/vitest\/package\.json\)\. Update Vitest \(npm install --save-dev vitest@\^3\.2\), or remove napiTracing\(\)/,
  )
  for (const version of ['3.2.0', '3.2.7', '4.0.0', '4.0.18', '4.1.12', '5.1.1', '10.0.0']) expect(() => checkVitest({ version, path: 'x' })).not.toThrow()
  expect([atLeast('3.2.0-beta.3'), atLeast('3.1.99'), atLeast('4.0.0', '4.0.1'), atLeast('v22.12.0', '22.12.0')]).toEqual([true, false, false, true])
  // The peer range says the same.
  const peer = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { peerDependencies: { vitest: string } }).peerDependencies.vitest
  expect(peer.startsWith(`^${OLDEST_VITEST}`)).toBe(true)
})

test("the refusal's command is the project's package manager's, and never asks for a Vitest the running Node cannot run", () => {
  const project = (lock: string | undefined) => {
    const root = mkdtempSync(join(tmpdir(), 'napi-tracing-pm-'))
    if (lock) writeFileSync(join(root, lock), '')
    // The package of a workspace, below the root that has the lock file.
    mkdirSync(join(root, 'packages/binding'), { recursive: true })
    return join(root, 'packages/binding')
  }
  const commandIn = (cwd: string, version: string, node: string) => {
    try {
      checkVitest({ version, path: 'x' }, cwd, node)
    } catch (error) {
      return /Update Vitest \((.*?)\)/.exec((error as Error).message)?.[1]
    }
    return undefined
  }
  expect(commandIn(project('yarn.lock'), '2.1.9', 'v20.18.0')).toBe('yarn add -D vitest@^4')
  expect(commandIn(project('pnpm-lock.yaml'), '2.1.9', 'v22.12.0')).toBe('pnpm add -D vitest@latest')
  expect(commandIn(project('package-lock.json'), '3.0.5', 'v24.1.0')).toBe('npm install --save-dev vitest@^3.2')
  expect(commandIn(project('yarn.lock'), '1.6.0', 'v22.11.0')).toBe('yarn add -D vitest@^4')
  // No lock file: the package manager running the command, else npm.
  const bare = mkdtempSync(join(tmpdir(), 'napi-tracing-pm-'))
  expect(packageManagerOf(bare, { npm_config_user_agent: 'pnpm/10.2.0 npm/? node/v20.18.0 linux x64' })).toEqual({ name: 'pnpm', from: 'npm_config_user_agent' })
  expect(packageManagerOf(bare, {}).name).toBe('npm')
})
