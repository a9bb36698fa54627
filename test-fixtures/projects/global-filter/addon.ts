// The addon as the run asks for it (the build path.ts picks), its logging set up
// when a test file first loads it, as bindings with an init function are
// (GLOBAL_FILTER_EDIT: 'wrap', 'layer' or 'none'; GLOBAL_FILTER_SHAPE:
// 'EnvFilter', 'Targets', 'LevelFilter' or 'fmt').
import { createRequire } from 'node:module'
import { describe, expect, test } from 'vitest'
import { addonPath } from './path.js'

type Addon = typeof import('../../addons/global-filter/index.js')

export function loadAddon(): Addon {
  const addon = createRequire(import.meta.url)(addonPath) as Addon
  addon.initLogging(process.env['GLOBAL_FILTER_EDIT'] ?? 'wrap', process.env['GLOBAL_FILTER_SHAPE'] ?? 'EnvFilter')
  return addon
}

/** One test per place the addon works: each makes one span there, with `steps` child spans, and prints one warning. */
export function spanTests(name: string): void {
  const addon = loadAddon()
  describe(name, () => {
    test('on the JavaScript thread', () => {
      expect(addon.onJsThread(3)).toBe(6)
    })

    test('in AsyncTask::compute', async () => {
      expect(await addon.inCompute(4)).toBe(10)
    })

    test('on a thread spawned inside the call', () => {
      expect(addon.onSpawnedThread(5)).toBe(15)
    })
  })
}
