// Forty concurrent tests that all overlap, each calling the addon.
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'
import { overlapping } from '../overlap.js'

const COUNT = 40
const together = overlapping(COUNT)

describe.concurrent('forty at once', () => {
  for (let n = 0; n < COUNT; n++) {
    test(`test ${n}`, async () => {
      await together()
      expect(fib.fibonacci(n % 6, false)).toBeGreaterThanOrEqual(0)
      await sleep(20)
    })
  }
})
