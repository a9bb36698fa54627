import { expect, test } from 'vitest'
import { Store } from '../../addons/store/index.js'

test('loads keys on tokio tasks it spawns without its span', async () => {
  const store = new Store('warm')
  await store.set('a', '1')
  expect(await store.warm(['a', 'b'])).toBe(1)
})

test('loads keys on tokio tasks that carry its caller', async () => {
  const store = new Store('carried')
  await store.set('a', '1')
  expect(await store.warmCarried(['a', 'b'])).toBe(1)
})
