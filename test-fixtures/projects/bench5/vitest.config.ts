import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Vitest 5: `bench` is a fixture of ordinary tests.
export default defineConfig({ plugins: [traced(['../../addons/fib/index.js'])] })
