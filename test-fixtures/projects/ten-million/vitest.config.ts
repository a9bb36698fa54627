import { defineConfig } from 'vitest/config'
import napiTracing from 'vitest-napi-tracing/plugin'

// One test making 11.4 million spans: `npm run bench` checks that it
// finishes and measures the worker's peak RSS and the merge.
export default defineConfig({
  plugins: [
    napiTracing({
      addons: ['../../addons/fib/index.js'],
      filter: 'trace',
      report: 'none',
      ...(process.env['FIXTURE_OUTPUT_DIR'] ? { outputDir: process.env['FIXTURE_OUTPUT_DIR'] } : {}),
    }),
  ],
  test: {
    setupFiles: ['../million/peak-rss.ts'],
    testTimeout: 600_000,
  },
})
