import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// A suite whose span counts vary between identical runs, gated as CI would:
// each run compared with the one before, the last ten kept, a regression
// failing the run.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'], { baseline: 'previous', keep: 10, failOnRegression: true })],
})
