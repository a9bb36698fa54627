import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'
import { FIB_LOADER } from '../million/loader.js'

// 2,000 tests of one span and 200 awaited promises each, in 4 files over 4
// workers: what the plugin costs a suite whose tests await a lot.
export default defineConfig({
  plugins: [traced([FIB_LOADER], { report: 'none' })],
  test: { maxWorkers: 4 },
})
