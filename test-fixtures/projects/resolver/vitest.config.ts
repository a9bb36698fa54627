import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// The resolver's spans are at DEBUG, and it logs through a subscriber of its own.
// FIXTURE_SUBSCRIBER picks how the plugin reaches it, FIXTURE_FILTER=default leaves the
// filter to RUST_LOG or the default; FIXTURE_UNTRACED leaves the plugin out; with
// FIXTURE_GATE each run is compared with the one before, a regression failing it.
const gate = process.env['FIXTURE_GATE'] ? { baseline: 'previous' as const, keep: 1, failOnRegression: true } : {}
const subscriber = process.env['FIXTURE_SUBSCRIBER'] as 'auto' | 'global' | 'scoped' | 'layer' | undefined
export default defineConfig({
  plugins: process.env['FIXTURE_UNTRACED']
    ? []
    : [traced(['../../addons/resolver/index.js'], { filter: process.env['FIXTURE_FILTER'] === 'default' ? undefined : 'debug', ...(subscriber ? { subscriber } : {}), ...gate })],
})
