// Panics the addon catches, each a passing test: catch_unwind, a joined
// thread's panic, #[napi(catch_unwind)] (thrown to JavaScript, where the
// test expects it) and a tokio task's panic returned by its JoinHandle.
import { expect, test } from 'vitest'
import fib from '../../addons/fib/index.js'

test('catch_unwind inside the addon', () => {
  expect(fib.catchAPanic()).toBe('caught inside the addon')
})

test('a joined thread that panicked', () => {
  expect(fib.joinAPanickingThread()).toBe("a thread's panic, joined")
})

test('#[napi(catch_unwind)] throws the panic to JavaScript', () => {
  expect(() => fib.panicToJavascript()).toThrow(/thrown to JavaScript/)
})

test("a tokio task's panic, through its JoinHandle", async () => {
  expect(await fib.awaitAPanickingTask()).toBe('task failed: panicked true')
})

test('the worker goes on', () => {
  expect(fib.fibonacci(4, false)).toBe(3)
})
