import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import fib from '../../addons/fib/index.js'

beforeAll(() => {
  if (process.env['FIXTURE_FAKE_IN'] !== 'setup') vi.useFakeTimers()
})
afterAll(() => {
  vi.useRealTimers()
})

test('a minute passes on the fake clock', () => {
  const before = performance.now()
  vi.advanceTimersByTime(60_000)
  // The clocks are fake indeed: hrtime and performance moved by exactly a minute.
  expect(performance.now() - before).toBe(60_000)
  expect(fib.fibonacci(10, false)).toBe(55)
})

test('and another minute', () => {
  vi.advanceTimersByTime(60_000)
  expect(fib.work(2, 100)).toBe(2)
})
