import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'
import { overlapping } from '../overlap.js'

const together = overlapping(2)

// Two suites run at once, each test in them sequential: neither test is
// concurrent itself, yet they overlap, and the first began alone.
describe.concurrent('suites at once', () => {
  describe('left', () => {
    test.sequential('left test', async () => {
      await together()
      await sleep(10)
      expect(fib.fibonacci(5, false)).toBe(5)
      await sleep(60)
    })
  })

  describe('right', () => {
    test.sequential('right test', async () => {
      await together()
      await sleep(20)
      expect(fib.fibonacci(6, false)).toBe(8)
      await sleep(60)
    })
  })
})
