import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'
import { FIB_LOADER } from '../million/loader.js'

// The per-test benchmark: 5,000 trivial tests of one span each in 4 files
// over 4 workers, where the plugin's cost per test boundary dominates.
export default defineConfig({
  plugins: [traced([FIB_LOADER], { report: 'none' })],
  test: { maxWorkers: 4 },
})
