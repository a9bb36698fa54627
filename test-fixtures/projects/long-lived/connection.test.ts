// A long-lived object made in beforeAll whose methods' spans are children
// of its root span, and a guard one test leaves entered: the spans each
// test's calls make on the JavaScript thread are that test's.
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, test } from 'vitest'
import { napiSpans } from 'vitest-napi-tracing/test'
import fib from '../../addons/fib/index.js'
import { overlapping } from '../overlap.js'

let connection: InstanceType<typeof fib.Connection>

beforeAll(() => {
  connection = new fib.Connection()
})

test('one query', async () => {
  expect(connection.query(5)).toBe(5)
  const spans = await napiSpans()
  expect(spans.count('query')).toBe(1)
  expect(spans.count('fibonacci')).toBe(15)
})

test('two queries', () => {
  expect(connection.query(3) + connection.query(4)).toBe(5)
})

const together = overlapping(2)

describe.concurrent('overlapping queries', () => {
  test('first', async () => {
    await together()
    expect(connection.query(6)).toBe(8)
    await sleep(30)
  })

  test('second', async () => {
    await together()
    await sleep(10)
    expect(connection.query(7)).toBe(13)
    await sleep(30)
  })
})

test('a guard left entered', () => {
  fib.enterAndForget()
  expect(fib.fibonacci(2, false)).toBe(1)
})

test('the test after it', () => {
  expect(fib.fibonacci(3, false)).toBe(2)
})
