import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'
import { countWords } from './words.js'

/** Kept alive after its test: the heap it grew stays grown. */
const kept: number[][] = []

test('javascript and native threads', () => {
  // 150 ms in short calls, as code under test usually runs: V8 charges part of
  // a long loop it optimises mid-call to the caller.
  for (let call = 0; call < 50; call++) expect(countWords(3)).toBeGreaterThan(0)
  expect(fib.fanOut(4, 18)).toBe(4 * 2584)
})

test('mostly inside one native call', () => {
  // Three spins of 60 ms inside `work`, on the JavaScript thread.
  expect(fib.work(0, 60_000)).toBe(0)
})

test('grows the heap', () => {
  for (let i = 0; i < 40; i++) kept.push(new Array(100_000).fill(i))
  expect(kept.length).toBe(40)
})
