// A test that hangs after calling the addon, as one waiting for a callback
// that never comes does: the run is stopped with Ctrl+C. FIXTURE_READY
// names a file it writes once it hangs.
import { writeFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('finishes', () => {
  expect(fib.fibonacci(5, false)).toBe(5)
})

test('hangs', async () => {
  expect(fib.fibonacci(4, false)).toBe(3)
  writeFileSync(process.env['FIXTURE_READY'] ?? 'ready', 'hanging')
  await new Promise(() => {})
})
