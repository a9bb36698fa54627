import { expect, test } from 'vitest'
import { countWords } from './words.js'

// A second file: in a worker that runs both (isolation off), its samples
// name countWords too, however V8 compiled it during the first file.
test('javascript in a second file', () => {
  expect(countWords(150)).toBeGreaterThan(0)
})
