import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { checksum } from '../../addons/other/index.mjs'

test('imports the loader and calls it', () => {
  expect(checksum('abcdefgh')).toBe(804)
})

// Their calls interleave: each is its own only if the plugin tagged the calls
// through the binding the loader's named exports were taken from.
describe.concurrent('side by side', () => {
  for (const [name, chunks] of [
    ['one', 1],
    ['two', 2],
    ['three', 3],
  ] as const) {
    test(`checksums ${name}`, async () => {
      for (let round = 0; round < 3; round++) {
        checksum('abcd'.repeat(chunks))
        await sleep(5)
      }
    })
  }
})
