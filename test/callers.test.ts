/** Tagging calls of concurrent tests: every export, class method and accessor of an addon carries its test's tag. */
import { describe, expect, test } from 'vitest'
import type { TracingAddon } from '../src/native.js'
import { callerStore, tagCalls } from '../plugin/worker/callers.js'

/** An addon as napi-rs makes one: a function, and a class whose methods and accessors live on its prototype. */
function fakeAddon() {
  const seen: Array<[number, number]> = []
  const api = { napiTracingCaller: (tag: number, slot: number) => (seen.push([tag, slot]), slot === 0 ? 0 : 1000 + slot) } as unknown as TracingAddon
  class Resolver {
    readonly root: string
    constructor(root: string) {
      this.root = root
    }
    resolve(request: string): string {
      return `${this.root}/${request}`
    }
    get depth(): number {
      return this.root.split('/').length
    }
    static make(): Resolver {
      return new Resolver('/made')
    }
  }
  const exports: Record<string, unknown> = { Resolver, plus: (a: number, b: number) => a + b, napiTracingFlush: () => 0 }
  return { exports, api, seen, Original: Resolver }
}

describe('tagCalls', () => {
  test('inside a test with a slot, each call is tagged before and untagged after: functions, constructors, methods, accessors', () => {
    const { exports, api, seen, Original } = fakeAddon()
    tagCalls(exports, api, () => false)
    const { Resolver, plus } = exports as { Resolver: typeof Original; plus: (a: number, b: number) => number }
    callerStore.run({ test: 't', tag: 7, slot: 2 }, () => {
      expect(plus(1, 2)).toBe(3)
      const resolver = new Resolver('/root')
      expect(resolver).toBeInstanceOf(Original)
      expect(resolver.resolve('a')).toBe('/root/a')
      expect(resolver.depth).toBe(2)
      expect(Resolver.make().root).toBe('/made')
    })
    // plus, the constructor, resolve, the getter, the static (and the constructor it calls, through the original).
    expect(seen.filter(([tag]) => tag === 7)).toHaveLength(5)
    expect(seen.filter(([tag]) => tag === 0)).toHaveLength(5)
    expect(seen.every(([tag, slot], i) => (i % 2 === 0 ? tag === 7 && slot === 2 : tag === 0 && slot === 0))).toBe(true)
  })

  test('outside tests, or alone in the worker, calls go straight through', () => {
    const { exports, api, seen } = fakeAddon()
    tagCalls(exports, api, () => false)
    ;(exports['plus'] as (a: number, b: number) => number)(1, 1)
    callerStore.run({ test: 't', tag: 3, slot: 0 }, () => (exports['plus'] as (a: number, b: number) => number)(1, 1))
    expect(seen).toEqual([])
  })

  test("while tests overlap, a test without a slot is tagged too; the entry points themselves never are, nothing twice", () => {
    const { exports, api, seen } = fakeAddon()
    tagCalls(exports, api, () => true)
    tagCalls(exports, api, () => true)
    callerStore.run({ test: 't', tag: 4, slot: 0 }, () => {
      ;(exports['plus'] as (a: number, b: number) => number)(2, 2)
      ;(exports['napiTracingFlush'] as () => number)()
    })
    expect(seen).toEqual([
      [4, 0],
      [0, 0],
    ])
  })
})
