// Benchmarks of an addon function whose span count is known: fibonacci(n,
// false) makes one span per call of its recursion.
import { bench, describe } from 'vitest'
import fib from '../../addons/fib/index.js'

/** A short run: a few warmup iterations, then 40 measured. */
const quick = { time: 0, iterations: 40, warmupTime: 0, warmupIterations: 4 }

describe('fibonacci', () => {
  bench('classic 10', () => {
    fib.fibonacci(10, false)
  }, quick)

  bench('classic 5', () => {
    fib.fibonacci(5, false)
  }, quick)
})
