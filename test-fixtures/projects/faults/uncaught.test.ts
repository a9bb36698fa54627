import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('a native callback throws', async () => {
  fib.callBackLater(() => {
    throw new Error('thrown from a native callback')
  })
  await sleep(200)
})
