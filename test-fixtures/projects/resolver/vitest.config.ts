import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// The resolver's spans are at DEBUG, and it logs through a subscriber of its own.
// FIXTURE_SUBSCRIBER picks how the plugin reaches it; FIXTURE_UNTRACED leaves the plugin out.
const subscriber = process.env['FIXTURE_SUBSCRIBER'] as 'auto' | 'global' | 'scoped' | 'layer' | undefined
export default defineConfig({
  plugins: process.env['FIXTURE_UNTRACED'] ? [] : [traced(['../../addons/resolver/index.js'], { filter: 'debug', ...(subscriber ? { subscriber } : {}) })],
})
