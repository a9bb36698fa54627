// Benchmarks of an addon function whose span count is known, inside a
// test: fibonacci(n, false) makes one span per call of its recursion.
import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

/** A short run: a few warmup iterations, then 40 measured. */
const quick = { time: 0, iterations: 40, warmupTime: 0, warmupIterations: 4 }

test('benchmarks fibonacci', async ({ bench }) => {
  // Outside the benchmark: the test's own span.
  expect(fib.fibonacci(2, false)).toBe(1)
  const result = await bench('classic 10', () => {
    fib.fibonacci(10, false)
  }).run(quick)
  expect(result.latency.samplesCount).toBeGreaterThanOrEqual(40)
  await bench.compare(
    bench('classic 5', () => {
      fib.fibonacci(5, false)
    }),
    bench('classic 3', () => {
      fib.fibonacci(3, false)
    }),
    quick,
  )
})
