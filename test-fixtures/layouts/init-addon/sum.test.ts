import { expect, test } from 'vitest'
import addon from './index.js'

test('sums three numbers', () => {
  expect(addon.sum([1, 2, 3])).toBe(6)
})

test('sums nothing', () => {
  expect(addon.sum([])).toBe(0)
})
