import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

// I/O polled until it is done: as many polls as the timing makes. POLL_CALLS
// is what a change to the code calling it would do: call it more often.
const calls = Number(process.env['POLL_CALLS'] ?? 1)

test('reads through polled I/O', () => {
  for (let call = 0; call < calls; call++) expect(fib.pollIo(100)).toBeGreaterThanOrEqual(1100)
})
