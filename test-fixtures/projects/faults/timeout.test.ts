import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('times out while native threads still run', { timeout: 300 }, async () => {
  fib.spawnBackground(2, 800)
  await sleep(5_000)
})

test('after the timeout', () => {
  fib.fibonacci(4, false)
})
