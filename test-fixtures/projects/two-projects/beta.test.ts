import { test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('in beta', () => {
  fib.fibonacci(4, false)
})
