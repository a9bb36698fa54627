import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

// fibonacci(33), the classic recursion: 11,405,773 spans in one synchronous call.
test('eleven million spans in one test', () => {
  expect(fib.fibonacci(33, false)).toBe(3524578)
})
