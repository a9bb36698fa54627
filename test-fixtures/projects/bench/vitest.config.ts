import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// `vitest bench` (Vitest 4): benchmarks of the fib addon, traced.
export default defineConfig({ plugins: [traced(['../../addons/fib/index.js'])] })
