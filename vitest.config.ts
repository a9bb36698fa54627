import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests build addons and run Vitest in child processes.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
