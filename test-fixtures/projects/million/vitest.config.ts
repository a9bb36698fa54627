import { defineConfig } from 'vitest/config'
import napiTracing from 'vitest-napi-tracing/plugin'

// The end-to-end benchmark: about a million spans over 4 workers. `npm run
// bench` runs it with and without the plugin (VITEST_NAPI_TRACING=0).
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
    maxWorkers: 4,
    // Each worker writes its peak RSS here when it exits.
    setupFiles: ['./peak-rss.ts'],
  },
})
