import { describe, expect, test } from 'vitest'
import { ping, Store } from '../../addons/store/index.js'
import { overlapping } from '../overlap.js'

// Three stores used at once: each test's async fns interleave with the others' on tokio's threads.
describe.concurrent('side by side', () => {
  const together = overlapping(3)
  for (const [at, name] of ['one', 'two', 'three'].entries()) {
    test(`store ${name}`, async () => {
      await together()
      const store = new Store(name)
      await Promise.all([store.set('a', ` ${name} `), store.set('b', name)])
      expect(await store.get('a')).toBe(` ${name} `)
      expect(await store.getMany(['a', 'b', 'c'])).toEqual([` ${name} `, name, null])
      expect(await store.compact()).toBe(2)
      expect(await store.get('a')).toBe(name)
      // A different number of round trips in each test: whose spans went where shows.
      expect(await ping(at + 1)).toBe(at + 1)
    })
  }
})
