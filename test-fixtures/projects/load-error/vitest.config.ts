import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// FIXTURE_UNTRACED leaves the plugin out, for the run to compare with.
export default defineConfig({
  plugins: process.env['FIXTURE_UNTRACED'] ? [] : [traced(['../../addons/fib/index.js'])],
})
