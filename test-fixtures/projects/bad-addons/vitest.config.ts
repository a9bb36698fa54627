import { defineConfig } from 'vitest/config'
import napiTracing from 'vitest-napi-tracing/plugin'

// Every addon here is wrong in its own way, except fib: the tests must run
// as they would without the plugin, and fib must still be traced.
export default defineConfig({
  plugins: [
    napiTracing({
      addons: [
        './missing/index.js',
        './not-an-addon.cjs',
        '../../addons/bare/index.js',
        './stale-protocol.cjs',
        '../../addons/fib/index.js',
      ],
      filter: 'trace',
      ...(process.env['FIXTURE_OUTPUT_DIR'] ? { outputDir: process.env['FIXTURE_OUTPUT_DIR'] } : {}),
    }),
  ],
})
