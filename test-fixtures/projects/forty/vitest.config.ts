import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Forty tests at once: more than Vitest runs by default (5).
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'])],
  test: { maxConcurrency: 40 },
})
