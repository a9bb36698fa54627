import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Many small tests, each making its `work` span once: too few calls in any
// one test to judge its time there, enough tests to judge it over the run.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'])],
})
