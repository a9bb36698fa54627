import { describe, expect, test } from 'vitest'
import { Resolver } from '../../addons/resolver/index.js'
import { overlapping } from '../overlap.js'

describe.concurrent('side by side', () => {
  const together = overlapping(3)
  for (const name of ['one', 'two', 'three']) {
    test(`resolves ${name}`, async () => {
      await together()
      const resolver = new Resolver(`/${name}`)
      expect(await resolver.resolveCarried('./x')).toBe(`/${name}/x`)
      expect(await resolver.resolve('./y')).toBe(`/${name}/y`)
      expect(await resolver.resolveCarried('./x/z')).toBe(`/${name}/x/z`)
    })
  }
})
