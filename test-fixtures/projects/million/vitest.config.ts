import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// The end-to-end benchmark: about a million spans over 4 workers. `npm run
// bench` runs it with and without the plugin (VITEST_NAPI_TRACING=0).
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'], { report: 'none' })],
  test: {
    maxWorkers: 4,
    // Each worker writes its peak RSS here after each file.
    setupFiles: ['./peak-rss.ts'],
  },
})
