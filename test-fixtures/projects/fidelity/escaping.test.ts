import { test } from 'vitest'
import fib from '../../addons/fib/index.js'

/** Every character JSON or a viewer could trip on. */
export const ODD = 'quote " backslash \\ newline \n u2028 \u2028 nul \0'

test(`odd: ${ODD}`, () => {
  fib.oddNames(ODD)
})
