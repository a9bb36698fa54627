import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// An addon whose napi-tracing was not optimised: traced as usual, and said.
export default defineConfig({
  plugins: [traced(['./unoptimised-fib.cjs'])],
})
