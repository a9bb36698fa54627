import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// A new user's config: no filter (RUST_LOG or the default decides), the
// addons named as Node resolves them (no extension, a folder).
export default defineConfig({
  plugins: [traced(['../../addons/fib/index', '../../addons/other'], { filter: undefined })],
})
