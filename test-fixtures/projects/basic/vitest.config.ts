import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Pool and isolation come from the command line.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js', '../../addons/other/index.js'])],
})
