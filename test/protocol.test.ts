/**
 * The protocol with the addons, checked from the TypeScript side: the
 * readers decode the crate's test vectors (test/vectors/, written by
 * native/napi-tracing/src/protocol/vectors.rs) value by value, and
 * src/protocol.generated.ts has the entry points' types as napi-derive
 * writes them. A change the crate makes and the readers do not follow
 * fails here; one the readers make alone fails here too.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import { entryPointTypes, INDEX_D_TS, part } from '../scripts/protocol.mjs'
import { addFigures } from '../plugin/data/stats.js'
import { SumsReader } from '../plugin/worker/sums.js'
import { LifecycleReader, type LifecycleRecord } from '../src/lifecycle.js'
import { nameFields, type CallsiteInfo } from '../src/wire.js'

const REPO = resolve(import.meta.dirname, '..')

/** The records of test/vectors/`file`: each line's kind and bytes. */
function vectors(file: string): Array<{ kind: string; bytes: Buffer }> {
  return readFileSync(join(REPO, 'test/vectors', file), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [kind, hex] = line.split(' ') as [string, string]
      return { kind, bytes: Buffer.from(hex, 'hex') }
    })
}

/** The values vectors.rs encodes. */
const CALLSITE: CallsiteInfo = {
  id: 7,
  level: 'DEBUG',
  name: 'parse',
  target: 'my_addon::parser',
  modulePath: 'my_addon::parser',
  file: 'src/parser.rs',
  line: 42,
  fieldNames: ['i64', 'u64', 'f64', 'bool', 'str', 'debug', 'i128', 'u128'],
}
const SPAN = 2 ** 32 + 1
const TS = 123_456_789_012_345
const THREAD = { id: 4242, name: 'worker-1' }

describe('the lifecycle stream', () => {
  const records = vectors('lifecycle.hex')

  test('each record decodes to the values the crate encoded', () => {
    const reader = new LifecycleReader()
    const read: LifecycleRecord[] = []
    // One batch per record: callsites and threads are kept across batches.
    for (const { bytes } of records) reader.read(bytes, (r) => read.push(r))
    expect(read).toEqual([
      {
        kind: 'newSpan',
        span: SPAN,
        callsite: CALLSITE,
        parent: 3,
        thread: THREAD,
        ts: TS,
        fields: { i64: -42, u64: 2n ** 53n + 1n, f64: 1.5, bool: true, str: 'héllo', debug: 'Some(1)', i128: -(2n ** 127n), u128: 12_345 },
      },
      { kind: 'record', span: SPAN, thread: THREAD, ts: TS + 1, fields: { '4': 'later' } },
      { kind: 'enter', span: SPAN, thread: THREAD, ts: TS + 2 },
      { kind: 'exit', span: SPAN, thread: THREAD, ts: TS + 3 },
      { kind: 'close', span: SPAN, thread: THREAD, ts: TS + 4 },
      { kind: 'event', callsite: CALLSITE, parent: SPAN, thread: THREAD, ts: TS + 5, fields: { debug: '[1, 2]' } },
    ])
    expect(read.map((r) => r.kind)).toEqual(records.slice(2).map((r) => r.kind.replace('new_span', 'newSpan')))
    expect(nameFields({ '4': 'later' }, CALLSITE)).toEqual({ str: 'later' })
  })

  test('a record of a kind the reader does not know is an error naming the layout', () => {
    const unknown = Buffer.from([0xfe])
    expect(() => new LifecycleReader().read(unknown, () => {})).toThrow(/unknown lifecycle record kind 254 at byte 0.*rebuild the addon/)
  })
})

describe('the sums stream', () => {
  // What the report tells of a callsite; its fields and location are not sent.
  const callsite = { id: 7, level: 'DEBUG', name: 'parse', target: 'my_addon::parser' }
  /** The vectors read as one flush's batch, and the reader that keeps their paths. */
  const decode = () => {
    const reader = new SumsReader()
    return { reader, read: reader.read(Buffer.concat(vectors('sums.hex').map((r) => r.bytes))) }
  }
  const caused = { ts: TS, caller: 3, caused: true }
  const byTime = { ts: TS, caller: 0, caused: false }

  test('span sums decode to the figures the crate summed', () => {
    const { reader, read } = decode()
    expect(read.spans).toEqual([
      { path: 2, anchor: caused, figures: { calls: 2, entered: 1, totalNs: 300, selfNs: 200, minNs: 300, maxNs: 300, lifetimeNs: 5_000 } },
      { path: 2, anchor: caused, figures: { calls: 1, entered: 1, totalNs: 100, selfNs: 100, minNs: 100, maxNs: 100, lifetimeNs: 0 } },
      { path: 2, anchor: caused, figures: { calls: 3, entered: 2, totalNs: 400, selfNs: 300, minNs: 100, maxNs: 300, lifetimeNs: 5_000 } },
      { path: 1, anchor: byTime, figures: { calls: 1, entered: 0, totalNs: 0, selfNs: 0, minNs: 0, maxNs: 0, lifetimeNs: 7_000 } },
    ])
    expect(reader.steps(2)).toEqual([
      ['my_addon::parser', 'parse'],
      ['my_addon::parser', 'parse'],
    ])
  })

  test('sums add up in TypeScript as they do in the crate', () => {
    const { read } = decode()
    const [first, second, both, never] = read.spans.map((s) => ({ ...s.figures }))
    addFigures(first!, second!)
    expect(first).toEqual(both)
    // A group never entered leaves the shortest and longest alone.
    const entered = { ...both! }
    addFigures(entered, never!)
    expect(entered).toEqual({ ...both, calls: 4, lifetimeNs: 12_000 })
  })

  test('event sums decode with their callsite, message and anchor', () => {
    const { read } = decode()
    expect(read.events).toEqual([
      { callsite, message: 'a message', anchor: caused, count: 4 },
      { callsite, message: undefined, anchor: byTime, count: 1 },
    ])
  })
})

test("the entry points' types are the ones napi-derive writes into an addon's index.d.ts", () => {
  const generated = readFileSync(join(REPO, 'src/protocol.generated.ts'), 'utf8')
  const written = part(generated, 'index.d.ts')
  expect(written, 'src/protocol.generated.ts differs from the fib addon\'s index.d.ts: run `npm run protocol`').toBe(
    entryPointTypes(readFileSync(INDEX_D_TS, 'utf8')),
  )
})
