import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// A test's spans as data, asserted and snapshotted inside the tests.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'])],
})
