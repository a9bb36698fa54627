import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('before the kill', () => {
  expect(fib.fibonacci(6, false)).toBe(8)
})

test('killed by SIGKILL mid-test', async () => {
  fib.fibonacci(7, false)
  // Killed from outside, as the OOM killer or a CI timeout would.
  spawn('sh', ['-c', `sleep 0.5; kill -9 ${process.pid}`], { stdio: 'ignore', detached: true }).unref()
  await sleep(10_000)
})
