import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

// What a change to the addon would do: one more step span (EXTRA_STEPS), a slower spin (SLOW).
const steps = 3 + Number(process.env['EXTRA_STEPS'] ?? 0)
const spin = 300 * Number(process.env['SLOW'] ?? 1)

test('a unit of work', () => {
  expect(fib.work(steps, spin)).toBe(steps)
  fib.fibonacci(5, false)
})
