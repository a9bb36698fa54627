import { describe, expect, test } from 'vitest'
import { Resolver } from '../../addons/resolver/index.js'

describe.concurrent('side by side', () => {
  for (const name of ['one', 'two', 'three']) {
    test(`resolves ${name}`, async () => {
      const resolver = new Resolver(`/${name}`)
      expect(await resolver.resolveCarried('./x')).toBe(`/${name}/x`)
      expect(await resolver.resolve('./y')).toBe(`/${name}/y`)
      expect(await resolver.resolveCarried('./x/z')).toBe(`/${name}/x/z`)
    })
  }
})
