import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// One worker at a time; each watch-mode rerun starts a tracing session anew
// in a fresh worker, which in the threads pools lives in Vitest's own
// process: what a session leaks there adds up where it can be measured.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'])],
  test: { maxWorkers: 1 },
})
