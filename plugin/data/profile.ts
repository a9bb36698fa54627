/**
 * JavaScript CPU samples: a worker's V8 profiles as trace events, the
 * samples taken inside traced native calls given to those calls, and each
 * test's share of them. Pure: the profiles come in as V8 returns them, the
 * native slices as the worker read them from its addons' trace files.
 *
 * A worker's profiles (one per test file: V8 cannot hand samples over
 * without stopping) become one profile of the trace per worker: a
 * `Profile` event once, then a `ProfileChunk` per file with the nodes not
 * sent before (their ids the worker's own, parents first) and the
 * samples. Chrome DevTools keeps one profile per thread and takes its
 * start from the `Profile` event's `ts`; Perfetto reads
 * `args.data.startTime`, whole microseconds, and needs the `Profile` event
 * before its chunks, on the thread whose samples they are.
 */
import { isAbsolute, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ProfileEvent } from './events.js'

/** One frame of a V8 CPU profile (the DevTools protocol's `Runtime.CallFrame`). */
export interface CallFrame {
  functionName: string
  scriptId: string
  url: string
  /** 0-based; -1 when unknown. */
  lineNumber: number
  columnNumber: number
}

/** A node of a V8 CPU profile (`Profiler.ProfileNode`). */
export interface CpuProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
  parent?: number
}

/** A V8 CPU profile as `Profiler.stop` returns it: times in µs on V8's clock. */
export interface CpuProfile {
  nodes: CpuProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

/** A slice of a native span on the worker's JavaScript thread (µs, the trace's clock). */
export interface NativeSlice {
  name: string
  target: string
  start: number
  end: number
}

/** One sample, on the trace's clock: its node in the worker's table and what it covers (µs). */
export interface Sample {
  time: number
  /** Until the next sample (the last: until the profile stopped, at most two intervals). */
  end: number
  node: number
}

/** A window of time samples are summed over: a test's, or the file's (µs). */
export interface Window {
  start: number
  end: number
}

/** A JavaScript function's self time in a window. */
export interface FunctionTime {
  name: string
  /** The script, relative to the Vitest root when inside it (`node:…` for Node's own). */
  file: string
  /** 1-based; 0 when V8 did not say. */
  line: number
  selfMs: number
}

/** A traced native call's time in a window, from the samples V8 took inside it. */
export interface NativeTime {
  name: string
  target: string
  selfMs: number
}

/**
 * What the samples in one window say: where the JavaScript thread's time
 * went (ms): inside traced native calls, in JavaScript (the functions, the
 * garbage collector and V8 itself), idle (waiting for the event loop).
 */
export interface ProfileSummary {
  samples: number
  nativeMs: number
  jsMs: number
  idleMs: number
  /** JavaScript functions by self time, biggest first. */
  functions: FunctionTime[]
  /** Traced native calls by the samples taken inside them, biggest first. */
  native: NativeTime[]
  /** Present when the window overlapped another test's: the samples may be either's. */
  shared?: true
}

/** The trace category of V8's profile events. */
export const PROFILE_CATEGORY = 'disabled-by-default-v8.cpu_profiler'
/** The worker's profile id in the trace: one per worker process of the trace. */
const PROFILE_ID = '0x1'
/** Functions and native calls kept per window: what report.json keeps (a suite of thousands of tests carries them all). */
export const KEPT = 10

const ROOT = '(root)'
const IDLE = '(idle)'
const GC = '(garbage collector)'
const PROGRAM = '(program)'
/** The frames V8 adds under the root that are no JavaScript function. */
const META = new Set([ROOT, IDLE, GC, PROGRAM])

/** A node as sent in a chunk: its parent by id, no children (DevTools rebuilds them from parents). */
interface ChunkNode {
  id: number
  parent?: number
  callFrame: CallFrame
}

interface TableNode {
  callFrame: CallFrame
  parent: number
  /** The traced native call this node stands for (a frame of our own under its JavaScript caller). */
  native?: { name: string; target: string }
}

/**
 * A worker's profile in the trace: its node table across the files'
 * profiles, and where its samples stand. One per worker and run.
 */
export class WorkerProfile {
  readonly #nodes: TableNode[] = []
  readonly #ids = new Map<string, number>()
  /** Nodes not yet sent in a chunk. */
  #unsent: ChunkNode[] = []
  /** When the profile began (µs), once the head is written. */
  #start: number | undefined
  /** The last sample sent, for the next chunk's first delta (µs). */
  #last = 0

  constructor() {
    this.#node(0, { functionName: ROOT, scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 })
  }

  /**
   * When `profile`'s samples were taken, on the trace's clock (`offsetUs`
   * added), in time order: what the native slices that matter are picked by.
   */
  static times(profile: CpuProfile, offsetUs: number): Float64Array {
    const deltas = profile.timeDeltas ?? []
    const times = new Float64Array(deltas.length)
    let time = profile.startTime + offsetUs
    for (let i = 0; i < deltas.length; i++) times[i] = time += deltas[i]!
    return times.sort()
  }

  /**
   * The samples of `profile`, on the trace's clock (`offsetUs` added), each
   * on a node of this worker's table; the samples taken inside one of
   * `slices` (the JavaScript thread's native slices) are moved to a node
   * naming that call, under the JavaScript that called it. `locate` places
   * a frame in its source (V8 sampled the transformed code). Only samples
   * `within` the given window are kept (all without one).
   */
  samples(
    profile: CpuProfile,
    offsetUs: number,
    slices: readonly NativeSlice[],
    intervalUs: number,
    locate: (frame: CallFrame) => CallFrame = (f) => f,
    within: Window = { start: -Infinity, end: Infinity },
  ): Sample[] {
    const local = new Map<number, CpuProfileNode>(profile.nodes.map((n) => [n.id, n]))
    const mapped = new Map<number, number>()
    // Parents first: walk from the root, by the children V8 lists.
    const root = profile.nodes.find((n) => n.callFrame.functionName === ROOT) ?? profile.nodes[0]
    if (!root) return []
    mapped.set(root.id, 0)
    const pending = [root]
    while (pending.length > 0) {
      const node = pending.pop()!
      const id = mapped.get(node.id)!
      for (const childId of [...(node.children ?? [])].reverse()) {
        const child = local.get(childId)
        if (!child || mapped.has(childId)) continue
        mapped.set(childId, this.#node(id, locate(child.callFrame)))
        pending.push(child)
      }
    }
    const ids = profile.samples ?? []
    const deltas = profile.timeDeltas ?? []
    const times: number[] = []
    let time = profile.startTime + offsetUs
    for (let i = 0; i < ids.length; i++) times.push((time += deltas[i] ?? 0))
    const stop = profile.endTime + offsetUs
    const order = ids.map((_, i) => i).sort((a, b) => times[a]! - times[b]!)
    const sorted = [...slices].sort((a, b) => a.start - b.start || b.end - a.end)
    const open: NativeSlice[] = []
    let next = 0
    const out: Sample[] = []
    for (const [k, i] of order.entries()) {
      const at = times[i]!
      if (at < within.start || at >= within.end) continue
      const following = order[k + 1]
      const end = Math.min(within.end, following !== undefined ? times[following]! : Math.min(stop, at + 2 * intervalUs))
      let node = mapped.get(ids[i]!) ?? 0
      while (next < sorted.length && sorted[next]!.start <= at) open.push(sorted[next++]!)
      while (open.length > 0 && open.at(-1)!.end <= at) open.pop()
      const inside = open.at(-1)
      // A sample in a native call: V8 saw only the JavaScript that called it.
      if (inside && this.#nodes[node]!.callFrame.functionName !== GC) {
        const caller = META.has(this.#nodes[node]!.callFrame.functionName) ? 0 : node
        node = this.#native(caller, inside)
      }
      out.push({ time: at, end: Math.max(at, end), node })
    }
    return out
  }

  /**
   * The trace events that add `samples` to the worker's profile on thread
   * `tid` of process `pid`: the head first, once, then a chunk with the
   * nodes not sent before. Times are whole microseconds, as V8 writes them.
   */
  events(samples: readonly Sample[], pid: number, tid: number): ProfileEvent[] {
    const events: ProfileEvent[] = []
    // No sample, no chunk: its nodes go with the next one.
    if (samples.length === 0) return events
    if (this.#start === undefined) {
      const start = Math.floor(samples[0]!.time)
      this.#start = this.#last = start
      events.push({ ph: 'P', name: 'Profile', cat: PROFILE_CATEGORY, id: PROFILE_ID, pid, tid, ts: start, args: { data: { startTime: start } } })
    }
    const timeDeltas: number[] = []
    for (const s of samples) {
      const at = Math.round(s.time)
      timeDeltas.push(at - this.#last)
      this.#last = at
    }
    const nodes = this.#unsent
    this.#unsent = []
    events.push({
      ph: 'P',
      name: 'ProfileChunk',
      cat: PROFILE_CATEGORY,
      id: PROFILE_ID,
      pid,
      tid,
      ts: this.#last,
      args: { data: { cpuProfile: { nodes, samples: samples.map((s) => s.node + 1) }, timeDeltas } },
    })
    return events
  }

  /**
   * Sums `samples` (in time order, as `samples()` returns them) over
   * `window`: each sample for the part of its time inside it. Only the
   * samples that reach into the window are visited.
   */
  summarize(samples: readonly Sample[], window: Window, root: string): ProfileSummary {
    const functions = new Map<string, FunctionTime>()
    const native = new Map<string, NativeTime>()
    let count = 0
    let nativeUs = 0
    let jsUs = 0
    let idleUs = 0
    // The first sample that ends after the window starts (a sample ends where the next begins).
    let low = 0
    for (let high = samples.length; low < high; ) {
      const mid = (low + high) >>> 1
      if (samples[mid]!.end <= window.start) low = mid + 1
      else high = mid
    }
    for (let i = low; i < samples.length && samples[i]!.time < window.end; i++) {
      const s = samples[i]!
      const us = Math.min(s.end, window.end) - Math.max(s.time, window.start)
      if (s.time >= window.start && s.time < window.end) count++
      if (us <= 0) continue
      const node = this.#nodes[s.node]!
      if (node.native) {
        nativeUs += us
        const key = `${node.native.target}\u0000${node.native.name}`
        const entry = native.get(key) ?? { ...node.native, selfMs: 0 }
        entry.selfMs += us / 1000
        native.set(key, entry)
        continue
      }
      const frame = node.callFrame
      if (frame.functionName === IDLE) {
        idleUs += us
        continue
      }
      jsUs += us
      if (META.has(frame.functionName)) continue
      const fn = functionOf(frame, root)
      const key = `${fn.name}\u0000${fn.file}\u0000${fn.line}`
      const entry = functions.get(key) ?? { ...fn, selfMs: 0 }
      entry.selfMs += us / 1000
      functions.set(key, entry)
    }
    return {
      samples: count,
      nativeMs: round(nativeUs / 1000),
      jsMs: round(jsUs / 1000),
      idleMs: round(idleUs / 1000),
      functions: top(functions.values()),
      native: top(native.values()),
    }
  }

  /** The table id of `callFrame` under `parent`, added (and queued for the next chunk) when new. */
  #node(parent: number, callFrame: CallFrame, native?: { name: string; target: string }): number {
    const key = `${parent}\u0000${native ? `native\u0000${native.target}\u0000${native.name}` : frameKey(callFrame)}`
    const known = this.#ids.get(key)
    if (known !== undefined) return known
    const id = this.#nodes.length
    const frame: CallFrame = { functionName: callFrame.functionName, scriptId: String(callFrame.scriptId), url: callFrame.url, lineNumber: callFrame.lineNumber, columnNumber: callFrame.columnNumber }
    this.#nodes.push({ callFrame: frame, parent, ...(native ? { native } : {}) })
    this.#ids.set(key, id)
    // Ids in the trace start at 1 (the root), as V8's do.
    this.#unsent.push(id === 0 ? { id: 1, callFrame: frame } : { id: id + 1, parent: parent + 1, callFrame: frame })
    return id
  }

  /** The node of native call `slice` under JavaScript node `caller`. */
  #native(caller: number, slice: NativeSlice): number {
    return this.#node(caller, { functionName: slice.name, scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, { name: slice.name, target: slice.target })
  }
}

function frameKey(f: CallFrame): string {
  return `${f.functionName}\u0000${f.scriptId}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`
}

/** A call frame as the report names it: function, file (relative to `root` when inside it), 1-based line. */
export function functionOf(frame: CallFrame, root: string): Omit<FunctionTime, 'selfMs'> {
  let file = frame.url
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file)
    } catch {
      // Left as the URL.
    }
  }
  if (isAbsolute(file)) {
    const inside = relative(root, file)
    if (inside && !inside.startsWith('..') && !isAbsolute(inside)) file = inside
  }
  return { name: frame.functionName || '(anonymous)', file, line: frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0 }
}

/** Adds `more` into `into`: times summed, functions and native calls merged, the biggest kept. */
export function addSummary(into: ProfileSummary, more: ProfileSummary): ProfileSummary {
  const merge = <T extends { selfMs: number; name: string }>(a: readonly T[], b: readonly T[], key: (t: T) => string): T[] => {
    const all = new Map<string, T>()
    for (const t of [...a, ...b]) {
      const known = all.get(key(t))
      if (known) known.selfMs += t.selfMs
      else all.set(key(t), { ...t })
    }
    return top(all.values())
  }
  return {
    samples: into.samples + more.samples,
    nativeMs: round(into.nativeMs + more.nativeMs),
    jsMs: round(into.jsMs + more.jsMs),
    idleMs: round(into.idleMs + more.idleMs),
    functions: merge(into.functions, more.functions, (f) => `${f.name}\u0000${f.file}\u0000${f.line}`),
    native: merge(into.native, more.native, (n) => `${n.target}\u0000${n.name}`),
    ...(into.shared || more.shared ? { shared: true as const } : {}),
  }
}

function top<T extends { selfMs: number; name: string }>(items: Iterable<T>): T[] {
  return [...items]
    .map((t) => ({ ...t, selfMs: round(t.selfMs) }))
    .filter((t) => t.selfMs > 0)
    .sort((a, b) => b.selfMs - a.selfMs || a.name.localeCompare(b.name))
    .slice(0, KEPT)
}

/** Milliseconds to the microsecond. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
