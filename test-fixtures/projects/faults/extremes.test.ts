import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('a 1 MB string field', () => {
  expect(fib.bigField(1 << 20)).toBe(1 << 20)
})

test('non-UTF-8 bytes in Debug output', () => {
  fib.oddDebug()
})

test('nesting 10,000 deep', () => {
  expect(fib.deep(10_000)).toBe(10_000)
})

test('1,000 threads each making spans', () => {
  expect(fib.manyThreads(1_000, 5)).toBe(5_000)
})

test('a span never closed', () => {
  fib.leakSpan()
})
