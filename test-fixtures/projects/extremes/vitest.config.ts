import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// What real suites do to a tracer: a chain of a million spans closed at once,
// ten thousand spans alive for a while and never entered.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'])],
})
