import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'
import { FIB_LOADER } from './loader.js'

// The end-to-end benchmark: about a million spans over 4 workers. `npm run
// bench` runs it with and without the plugin (VITEST_NAPI_TRACING=0).
export default defineConfig({
  plugins: [traced([FIB_LOADER], { report: 'none' })],
  test: {
    maxWorkers: 4,
    // Each worker writes its peak RSS here after each file.
    setupFiles: ['./peak-rss.ts'],
  },
})
