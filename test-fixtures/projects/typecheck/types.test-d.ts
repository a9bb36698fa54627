import { expectTypeOf, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('fibonacci takes an index and a flag and returns a number', () => {
  expectTypeOf(fib.fibonacci).parameters.toEqualTypeOf<[number, boolean]>()
  expectTypeOf(fib.fibonacci).returns.toEqualTypeOf<number>()
})
