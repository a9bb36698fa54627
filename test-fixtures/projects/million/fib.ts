// The fib addon, as built where FIB_LOADER says.
import { createRequire } from 'node:module'
import { FIB_LOADER } from './loader.js'

type Fib = typeof import('../../addons/fib/index.js')

const fib = createRequire(import.meta.url)(FIB_LOADER) as Fib
export default fib
