import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'
import other from '../../addons/other/index.js'

test('info spans and a warn event', () => {
  expect(fib.fibonacci(5, false)).toBe(5)
  fib.emitEvents()
})

test('#[instrument] below #[napi]', () => {
  expect(other.misplaced(1)).toBe(2)
})
