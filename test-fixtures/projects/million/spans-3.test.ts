import { expect, test } from 'vitest'
import fib from './fib.js'

// 242,785 + 21,891 spans on the JavaScript thread, 2 × 1,219 on two others.
test('recursion (3)', () => {
  expect(fib.fibonacci(25, false)).toBe(75025)
  expect(fib.fibonacci(20, false)).toBe(6765)
})

test('threads (3)', () => {
  expect(fib.fanOut(2, 14)).toBe(2 * 377)
})
