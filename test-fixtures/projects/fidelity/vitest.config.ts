import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// What a trace must draw so that every slice nests: overlapping tests,
// out-of-order exits, re-entered spans, odd names.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'])],
})
