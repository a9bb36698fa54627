import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // End-to-end tests build addons and run Vitest in child processes.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      // The library and the crate from the checkout.
      { extends: true, test: { name: 'unit', include: ['test/*.test.ts'] } },
      // The package as users get it: packed, installed, its crate built as shipped.
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/*.test.ts'], globalSetup: ['test/e2e/support/installed.ts'] },
      },
    ],
  },
})
