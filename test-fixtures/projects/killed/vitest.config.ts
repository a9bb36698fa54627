import { defineConfig } from 'vitest/config'
import napiTracing from 'vitest-napi-tracing/plugin'

// Pool and isolation come from the command line; the output folder from the
// test that runs this project, so that runs do not share files.
export default defineConfig({
  plugins: [
    napiTracing({
      addons: ['../../addons/fib/index.js'],
      filter: 'trace',
      ...(process.env['FIXTURE_OUTPUT_DIR'] ? { outputDir: process.env['FIXTURE_OUTPUT_DIR'] } : {}),
    }),
  ],
})
