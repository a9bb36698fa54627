import { expect, test } from 'vitest'
import { countWords } from './words.js'

// A second file: in a worker that runs both (isolation off), its samples
// name countWords too, however V8 compiled it during the first file.
test('javascript in a second file', () => {
  for (let call = 0; call < 50; call++) expect(countWords(3)).toBeGreaterThan(0)
})
