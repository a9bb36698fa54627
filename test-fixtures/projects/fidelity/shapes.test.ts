import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('out-of-order exits', () => {
  fib.outOfOrderExits()
})

test('a span entered again at each poll', async () => {
  expect(await fib.polled(3)).toBe(3)
})

test('fields recorded after a span last exited', async () => {
  expect(fib.recordAfterExit(3)).toBe(6)
  expect(await fib.recordAfterAwait(4)).toBe(8)
})

test('a span closed on another thread', () => {
  fib.closeElsewhere()
})

test('a thread nobody named', () => {
  fib.unnamedThread()
})
