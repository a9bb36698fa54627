import { defineConfig } from 'vitest/config'
import napiTracing from 'vitest-napi-tracing/plugin'

export default defineConfig({
  plugins: process.env['FIXTURE_UNTRACED']
    ? []
    : [napiTracing({ addons: ['./index.js'], filter: 'debug', outputDir: process.env['FIXTURE_OUTPUT_DIR'] ?? '.vitest/napi-tracing' })],
})
