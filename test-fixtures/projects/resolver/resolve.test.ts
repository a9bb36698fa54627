import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { Resolver } from '../../addons/resolver/index.js'

describe('resolver', () => {
  test('resolves on the JavaScript thread, then from its cache', () => {
    const resolver = new Resolver('/root')
    expect(resolver.resolveSync('./a/b')).toBe('/root/a/b')
    expect(resolver.resolveSync('./a/b')).toBe('/root/a/b')
  })

  test('resolves on the libuv pool', async () => {
    const resolver = new Resolver('/root')
    expect(await resolver.resolve('./c')).toBe('/root/c')
    expect(await resolver.resolveCarried('./c/d')).toBe('/root/c/d')
  })

  test('leaves a resolve running it never awaits', async () => {
    const resolver = new Resolver('/root')
    void resolver.resolve('./e')
    void resolver.resolveCarried('./e/f')
    expect(resolver.resolveSync('./g')).toBe('/root/g')
  })

  test('resolves on a thread of its own', () => {
    const resolver = new Resolver('/root')
    expect(resolver.resolveOnThread('./h', false)).toBe('/root/h')
    expect(resolver.resolveOnThread('./h/i', true)).toBe('/root/h/i')
  })

  test('fails as it would untraced', () => {
    const resolver = new Resolver('/root')
    expect(resolver.resolveSync('./j')).toBe('/elsewhere/j')
  })
})

test.skip('skipped as it would be untraced', () => {})

test('after the un-awaited one', async () => {
  await sleep(20)
  expect(new Resolver('/r').resolveSync('./k')).toBe('/r/k')
})
