import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// The store's spans are at DEBUG, all made on tokio's threads. FIXTURE_UNTRACED leaves the plugin out.
export default defineConfig({
  plugins: process.env['FIXTURE_UNTRACED'] ? [] : [traced(['../../addons/store/index.js'], { filter: 'debug' })],
})
