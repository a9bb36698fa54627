import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// One test making 11.4 million spans: `npm run bench` checks that it
// finishes and measures the worker's peak RSS and the merge.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'], { report: 'none' })],
  test: {
    setupFiles: ['../million/peak-rss.ts'],
    testTimeout: 600_000,
  },
})
