import { defineConfig } from 'vitest/config'
import { traced } from '../traced.js'

// Two Vitest projects in one run: each test is labelled with its project.
// With FIXTURE_ONE_TRACED, only alpha has the plugin: beta runs untraced.
const plugin = traced(['../../addons/fib/index.js'])
const alpha = { name: 'alpha', include: ['alpha.test.ts'] }
const beta = { name: 'beta', include: ['beta.test.ts'] }
export default defineConfig(
  process.env['FIXTURE_ONE_TRACED']
    ? { test: { projects: [{ plugins: [plugin], test: alpha }, { test: beta }] } }
    : { plugins: [plugin], test: { projects: [{ extends: true, test: alpha }, { extends: true, test: beta }] } },
)
