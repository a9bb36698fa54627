// Which build of the fib addon the suite runs: the tests' (the dev profile
// with the docs' profile lines), or the one MILLION_FIB names (the
// benchmark's release build).
export const FIB_LOADER = process.env['MILLION_FIB'] ?? '../../addons/fib/index.js'
