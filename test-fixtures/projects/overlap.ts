// Makes a fixture's concurrent tests prove they ran at once, so a fixture meant to overlap cannot pass sequentially.
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'vitest'

/**
 * A gate for `size` concurrent tests: each awaits it first, and it returns
 * once all `size` have begun (up to 2 s); a test that ran alone fails,
 * saying so.
 */
export function overlapping(size: number): () => Promise<void> {
  let begun = 0
  return async () => {
    begun++
    const end = Date.now() + 2_000
    while (begun < size && Date.now() < end) await sleep(1)
    expect(begun, `the ${size} concurrent tests ran one after another, not at once`).toBe(size)
  }
}
