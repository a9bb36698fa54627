import { test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('in alpha', () => {
  fib.fibonacci(5, false)
})
