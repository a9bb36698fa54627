import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('spans on two threads', () => {
  fib.burst(2, 5_000)
})

test('spans on the JavaScript thread', () => {
  expect(fib.fibonacci(18, false)).toBe(2584)
})

// The worker's memory after the file's run, for the test that reruns it.
afterAll(() => {
  ;(globalThis as { gc?: () => void }).gc?.()
  const { heapUsed, rss } = process.memoryUsage()
  const out = process.env['FIXTURE_OUTPUT_DIR']
  if (out) appendFileSync(join(out, 'worker-memory.jsonl'), JSON.stringify({ pid: process.pid, heapUsed, rss }) + '\n')
})
