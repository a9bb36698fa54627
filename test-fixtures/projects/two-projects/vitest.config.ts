import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Two Vitest projects in one run: each test is labelled with its project.
export default defineConfig({
  plugins: [traced(['../../addons/fib/index.js'])],
  test: {
    projects: [
      { extends: true, test: { name: 'alpha', include: ['alpha.test.ts'] } },
      { extends: true, test: { name: 'beta', include: ['beta.test.ts'] } },
    ],
  },
})
