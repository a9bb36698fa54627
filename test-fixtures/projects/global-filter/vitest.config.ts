import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'
import { addonPath } from './path.js'

// The addon's spans are at DEBUG; it prints its warnings through a subscriber of its own.
// GLOBAL_FILTER_EDIT and GLOBAL_FILTER_SHAPE pick its init line (see addon.ts),
// GLOBAL_FILTER_BUILD=release its stripped release build; FIXTURE_UNTRACED leaves the plugin out.
export default defineConfig({
  plugins: process.env['FIXTURE_UNTRACED'] ? [] : [traced([addonPath], { filter: 'debug' })],
})
