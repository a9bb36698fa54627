import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// A unit of work whose shape and speed the tests change from outside. With
// FIXTURE_BASELINE set, each run is compared with the one before: the last
// two are kept, and a regression fails the run.
export default defineConfig({
  plugins: [
    traced(['../../addons/fib/index.js'], process.env['FIXTURE_BASELINE'] ? { baseline: 'previous', keep: 2, failOnRegression: true } : {}),
  ],
})
