import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

// A slower addon, from outside: each spin SLOW times as long.
const spin = 200 * Number(process.env['SLOW'] ?? 1)

for (let unit = 0; unit < 20; unit++) {
  test(`unit ${unit}`, () => {
    expect(fib.work(0, spin)).toBe(0)
  })
}
