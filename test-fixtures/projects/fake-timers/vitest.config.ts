import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Tests on Vitest's fake clock (which fakes hrtime and performance too):
// installed by the project's own setup file (FIXTURE_FAKE_IN=setup), or in
// the test file's beforeAll.
export default defineConfig({
  test: { setupFiles: process.env['FIXTURE_FAKE_IN'] === 'setup' ? ['./fake-clock.setup.ts'] : [] },
  plugins: [traced(['../../addons/fib/index.js'])],
})
