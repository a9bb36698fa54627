import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// What a config that keeps the plugin's setup file from being inlined would
// do (another plugin, a blanket server.deps setting): the setup file is then
// evaluated once per worker. The report must name the files it missed.
export default defineConfig({
  plugins: [
    traced(['../../addons/fib/index.js']),
    {
      name: 'externalize-napi-tracing-setup',
      config(config: { test?: { server?: { deps?: { inline?: unknown } } } }) {
        const deps = config.test?.server?.deps
        if (deps && Array.isArray(deps.inline)) deps.inline = deps.inline.filter((p) => !String(p).includes('setup'))
      },
    },
  ],
})
