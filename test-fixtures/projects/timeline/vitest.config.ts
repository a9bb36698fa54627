import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// JavaScript samples, memory and native spans in one trace. Pool and
// isolation come from the command line.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'], { profile: { js: true, intervalUs: 200 } })],
})
