import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('ten thousand spans alive for 30 ms, never entered', async () => {
  expect(fib.holdSpans(10_000)).toBe(10_000)
  await sleep(30)
  expect(fib.releaseSpans()).toBe(10_000)
})
