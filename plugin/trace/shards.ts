/**
 * One trace from the traces of several CI shards, for `--merge-reports`:
 * each shard's processes become processes of their own (their ids remapped,
 * so that workers of two machines never share one, and their names prefixed
 * with the shard), and every shard on one clock: each machine's
 * `process.hrtime` starts at its boot, so each shard's times are moved by
 * the wall-clock anchor its trace ends with (`ClockAnchor`), as closely as
 * the machines' wall clocks agree. Streams line by line: a shard's
 * trace.json has one entry per line (`merge.ts`).
 */
import { closeSync, createReadStream, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { traceFooter, type ClockAnchor } from '../data/events.js'

export interface ShardTrace {
  /** `i/n`. */
  shard: string
  path: string
}

export interface ShardMergeResult {
  events: number
  /** Lines that were not whole entries (a shard's file cut short), left out. */
  skipped: number
  /** Shards whose trace has no clock anchor (cut short): left on their own clock. */
  unaligned: string[]
}

/** A new process id for each (shard, pid): shard `i` gets ids from `i × 10,000,000`. */
const SHARD_PIDS = 10_000_000

/** The bytes at the end of a trace that hold its `otherData`. */
const TAIL = 64 * 1024

/** The clock anchor in the last line of a trace file, if it has one. */
export function readClockAnchor(path: string): ClockAnchor | undefined {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    const length = Math.min(size, TAIL)
    const tail = Buffer.alloc(length)
    readSync(fd, tail, 0, length, size - length)
    const text = tail.toString('utf8')
    const start = text.lastIndexOf('],"displayTimeUnit"')
    if (start < 0) return undefined
    const footer = JSON.parse(`{"traceEvents":[${text.slice(start)}`) as { otherData?: { clock?: Partial<ClockAnchor> } }
    const clock = footer.otherData?.clock
    return typeof clock?.monotonicUs === 'number' && typeof clock.epochMs === 'number' ? { monotonicUs: clock.monotonicUs, epochMs: clock.epochMs } : undefined
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

export async function mergeShardTraces(shards: readonly ShardTrace[], out: string): Promise<ShardMergeResult> {
  // Each shard's wall-clock start in µs minus its monotonic clock: the shift that puts it on the wall clock.
  const anchors = shards.map((s) => readClockAnchor(s.path))
  const offsets = anchors.map((a) => (a ? a.epochMs * 1000 - a.monotonicUs : undefined))
  const known = offsets.filter((o): o is number => o !== undefined)
  // On the first shard's clock, so that its times stay as they were.
  const base = known[0] ?? 0
  mkdirSync(dirname(out), { recursive: true })
  const fd = openSync(out, 'w')
  let events = 0
  let skipped = 0
  try {
    writeSync(fd, '{"traceEvents":[\n')
    let first = true
    for (const [index, { shard, path }] of shards.entries()) {
      const shift = offsets[index] === undefined ? 0 : offsets[index]! - base
      const pids = new Map<number, number>()
      const pidOf = (pid: number) => {
        let mapped = pids.get(pid)
        if (mapped === undefined) pids.set(pid, (mapped = (index + 1) * SHARD_PIDS + pids.size + 1))
        return mapped
      }
      const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })
      for await (const line of lines) {
        if (!line.startsWith('{"ph"')) continue // the file's head and tail
        const text = line.endsWith(',') ? line.slice(0, -1) : line
        let entry: { ph?: string; pid?: number; ts?: number; id?: unknown; name?: string; args?: { name?: unknown; data?: { startTime?: unknown } } }
        try {
          entry = JSON.parse(text) as typeof entry
        } catch {
          skipped++
          continue
        }
        if (typeof entry.pid === 'number') entry.pid = pidOf(entry.pid)
        if (typeof entry.ts === 'number' && shift !== 0) entry.ts = Math.round((entry.ts + shift) * 1000) / 1000
        // A profile's start is its own field too (Perfetto reads it, DevTools the `ts`): whole µs, as V8 writes it.
        if (entry.ph === 'P' && typeof entry.args?.data?.startTime === 'number' && shift !== 0) {
          const startTime = Math.round(entry.args.data.startTime + shift)
          entry.args.data.startTime = startTime
          entry.ts = startTime
        }
        // Flow ids are unique within one machine's trace: kept apart across shards, still hexadecimal (what Perfetto reads).
        if ((entry.ph === 's' || entry.ph === 'f') && typeof entry.id === 'string') entry.id = shardFlowId(entry.id, index)
        if (entry.name === 'process_name' && typeof entry.args?.name === 'string') entry.args.name = `shard ${shard} · ${entry.args.name}`
        writeSync(fd, `${first ? '' : ',\n'}${JSON.stringify(entry)}`)
        first = false
        events++
      }
    }
    writeSync(fd, traceFooter({ shards: shards.map((s) => s.shard) }))
  } finally {
    closeSync(fd)
  }
  return { events, skipped, unaligned: shards.filter((_, i) => offsets[i] === undefined).map((s) => s.shard) }
}

/** A flow id of shard number `index`: its 64 bits mixed with the shard's, as 16 hexadecimal digits. */
function shardFlowId(id: string, index: number): string {
  let bits: bigint
  try {
    bits = BigInt(`0x${id}`)
  } catch {
    // Not hexadecimal (a trace of an older version): made so, from its text.
    bits = [...id].reduce((h, ch) => (h * 31n + BigInt(ch.charCodeAt(0))) & 0xffff_ffff_ffff_ffffn, 17n)
  }
  const shard = (BigInt(index + 1) * 0x9e37_79b9_7f4a_7c15n) & 0xffff_ffff_ffff_ffffn
  return (bits ^ shard).toString(16).padStart(16, '0')
}
