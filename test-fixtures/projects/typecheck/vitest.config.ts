import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Run tests and type tests (`vitest run --typecheck`): tsc checks the
// `.test-d.ts` file, no worker runs it.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'])],
})
