import { defineConfig } from 'vitest/config'
import napiTracing from 'vitest-napi-tracing/plugin'

export default defineConfig({
  plugins: [
    napiTracing({
      addons: ['../../addons/fib/index.js'],
      filter: 'trace',
    }),
  ],
})
