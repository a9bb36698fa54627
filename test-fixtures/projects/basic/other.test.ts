import { expect, test } from 'vitest'
import other from '../../addons/other/index.js'

test('checksum', () => {
  expect(other.checksum('abcdefgh')).toBe(804)
})
