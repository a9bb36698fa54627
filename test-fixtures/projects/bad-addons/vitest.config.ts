import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Every addon here is wrong in its own way, except fib: the tests must run
// as they would without the plugin, and fib must still be traced.
export default defineConfig({
  plugins: [
    traced([
      './missing/index.js',
      './not-an-addon.cjs',
      '../../addons/bare/index.js',
      './stale-protocol.cjs',
      '../../addons/fib/index.js',
    ]),
  ],
})
