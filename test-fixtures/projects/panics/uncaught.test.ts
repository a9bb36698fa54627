// A panic nobody catches, at napi's boundary: it aborts the worker. Only
// run when FIXTURE_UNCAUGHT is set.
import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test.runIf(process.env['FIXTURE_UNCAUGHT'])('a panic at the boundary', () => {
  expect(fib.panicUncaught()).toBe(0)
})
