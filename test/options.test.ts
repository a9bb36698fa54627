/**
 * Options as users write them: unknown keys are errors naming the key and
 * the valid ones, RUST_LOG set but blank counts as absent, and addon paths
 * resolve as Node resolves them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { chromeLayer, fmtLayer, otlpLayer, Tracing } from '../src/index.js'
import { collectLayer } from '../plugin/worker/collect-layer.js'
import { resolveFilter } from '../src/tracing.js'
import { napiTracing } from '../plugin/index.js'
import { profileConfig, resolveAddons } from '../plugin/options.js'
import { fib } from './support/addons.js'

describe('unknown option keys name the key and the valid ones', () => {
  test.each([
    ['napiTracing()', () => napiTracing({ addons: [], fliter: 'trace' } as never), "'fliter'", "'addons', 'subscriber', 'filter', 'outputDir', 'report', 'top', 'baseline', 'threshold', 'failOnRegression', 'keep', 'queueCapacity', 'profile'"],
    ['fmtLayer()', () => fmtLayer({ fromat: 'json' } as never), "'fromat'", "'writer', 'format', 'ansi', 'spanEvents'"],
    ['chromeLayer()', () => chromeLayer({ file: 't.json', args: false } as never), "'args'", "'file', 'includeArgs', 'includeLocations', 'processName'"],
    ['otlpLayer()', () => otlpLayer({ url: 'http://x' } as never), "'url'", "'endpoint', 'stdout', 'serviceName', 'timeoutMs', 'protocol'"],
    ['collectLayer()', () => collectLayer({ trace: 't', path: 'x' } as never), "'path'", "'trace', 'pid', 'includeArgs', 'paths', 'threadName', 'panicFile'"],
    ['Tracing.start()', () => Tracing.start(fib, { filters: 'trace' } as never), "'filters'", "'filter', 'layers', 'queueCapacity', 'onLayerError', 'subscriber'"],
  ])('%s', (fn, call, key, valid) => {
    expect(call).toThrow(new TypeError(`vitest-napi-tracing: ${fn} got unknown option ${key}; the options are ${valid}`))
  })

  test('several unknown keys are all named', () => {
    expect(() => napiTracing({ addons: [], a: 1, b: 2 } as never)).toThrow(/got unknown options 'a', 'b';/)
  })

  test.each([
    [{ threshold: 1 }, 'threshold must be a number above 1 (how many times slower), got 1'],
    [{ threshold: '2' }, 'threshold must be a number above 1 (how many times slower), got "2"'],
    [{ keep: 1.5 }, 'keep must be a whole number of runs (0 or more), got 1.5'],
    [{ baseline: '' }, "baseline must be the path of a report.json or 'previous', got \"\""],
    [{ failOnRegression: 'yes' }, 'failOnRegression must be true or false, got "yes"'],
  ])('comparison option %j', (options, message) => {
    expect(() => napiTracing({ addons: [], ...options } as never)).toThrow(new TypeError(`vitest-napi-tracing: napiTracing() ${message}`))
  })

  test.each([
    [{ profile: 'cpu' }, `profile must be 'js' or { js?, intervalUs?, memory? }, got "cpu"`],
    [{ profile: { js: 'yes' } }, 'profile.js must be true or false, got "yes"'],
    [{ profile: { intervalUs: 10 } }, 'profile.intervalUs must be a whole number of microseconds between samples, 50 or more, got 10'],
    [{ profile: { intervalUs: 99.5 } }, 'profile.intervalUs must be a whole number of microseconds between samples, 50 or more, got 99.5'],
  ])('profile option %j', (options, message) => {
    expect(() => napiTracing({ addons: [], ...options } as never)).toThrow(new TypeError(`vitest-napi-tracing: napiTracing() ${message}`))
  })

  test('profile: what the workers are asked for', () => {
    expect(profileConfig(undefined)).toBeUndefined()
    expect(profileConfig('js')).toEqual({ js: true, intervalUs: 1000, memory: true })
    expect(profileConfig({ intervalUs: 250 })).toEqual({ js: true, intervalUs: 250, memory: true })
    expect(profileConfig({ js: false })).toEqual({ js: false, intervalUs: 1000, memory: true })
    expect(profileConfig({ js: false, memory: false })).toBeUndefined()
    expect(() => profileConfig({ sampling: 1 } as never)).toThrow("napiTracing() profile got unknown option 'sampling'; the options are 'js', 'intervalUs', 'memory'")
  })

  test('a report mode it does not know', () => {
    expect(() => napiTracing({ addons: [], report: 'trees' as never })).toThrow("napiTracing() report must be one of 'compact', 'full', 'tree', 'none', got \"trees\"")
  })
})

describe('the filter in effect', () => {
  test.each([
    [undefined, {}, { directives: 'info', source: 'default' }],
    [undefined, { RUST_LOG: '' }, { directives: 'info', source: 'default' }],
    [undefined, { RUST_LOG: '  ' }, { directives: 'info', source: 'default' }],
    [undefined, { RUST_LOG: 'warn,fib_addon=trace' }, { directives: 'warn,fib_addon=trace', source: 'RUST_LOG' }],
    ['trace', { RUST_LOG: 'warn' }, { directives: 'trace', source: 'option' }],
  ])('filter %j with %j', (filter, env, expected) => {
    expect(resolveFilter(filter, env)).toEqual(expected)
  })

  test('a blank filter option is refused, with what to write instead', () => {
    expect(() => resolveFilter(' ', {})).toThrow(/filter must be EnvFilter directives such as 'info'.*got " "; leave it out to use RUST_LOG or 'info'/)
  })
})

describe('addon paths resolve from the Vitest root as Node resolves them', () => {
  const root = mkdtempSync(join(tmpdir(), 'napi-tracing-resolve-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  writeFileSync(join(root, 'index.js'), 'module.exports = {}\n')
  mkdirSync(join(root, 'native'))
  writeFileSync(join(root, 'native', 'package.json'), JSON.stringify({ main: 'loader.js' }))
  writeFileSync(join(root, 'native', 'loader.js'), 'module.exports = {}\n')

  test.each([
    ['./index.js', 'index.js'],
    ['./index', 'index.js'],
    ['./native', 'native/loader.js'],
    [join(root, 'index'), 'index.js'],
  ])('%s', (label, file) => {
    expect(resolveAddons([label], root)).toEqual([{ label, path: join(root, file) }])
  })

  test('a path that resolves to nothing is a problem naming where napi build writes the loader', () => {
    const [missing] = resolveAddons(['./native/index.js'], root)
    expect(missing?.path).toBeUndefined()
    expect(missing?.problem).toMatch(
      /^addon "\.\/native\/index\.js" could not be found from .* \(Cannot find module .*\); it is not traced\. Fix the path in napiTracing\(\{ addons \}\) \(napi build writes the loader as index\.js at the addon's package root\)/,
    )
  })
})
