import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

export default defineConfig({ plugins: [traced(['../../addons/fib/index.js'])], test: { testTimeout: 120_000 } })
