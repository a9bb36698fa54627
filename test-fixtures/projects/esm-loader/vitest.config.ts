import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// An addon whose loader is an ES module (`napi build --esm`), as the plugin
// must import it where Node cannot require() one (before 20.19).
export default defineConfig({
  plugins: [traced(['../../addons/other/index.mjs'])],
})
