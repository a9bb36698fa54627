/**
 * Loads a Chrome trace through Chrome DevTools' own trace engine
 * (@paulirish/trace_engine) and returns what it understood: processes,
 * threads, slice trees (JavaScript calls from CPU samples among them) and
 * flows. Every trace a test loads goes through
 * here, so a trace that a real client cannot read, or in which the engine
 * leaves an entry unplaced, or which names a process or a thread twice,
 * fails the test that wrote it.
 */
import { readFileSync } from 'node:fs'
import * as Trace from '@paulirish/trace_engine'

export interface Slice {
  name: string
  cat: string
  ph: string
  ts: number
  dur: number
  args: Record<string, unknown>
  children: Slice[]
  parent: Slice | undefined
  /** For a call the engine made from CPU samples (`ProfileCall`): its function. */
  callFrame?: { functionName: string; url: string; lineNumber: number }
}

export interface ThreadView {
  tid: number
  name: string | undefined
  /** Every slice of the thread, in start order. */
  slices: Slice[]
  roots: Slice[]
  /** The calls the engine made from the thread's CPU samples (also among `slices`), placed in the tree. */
  profileCalls: Slice[]
  /** Entries the engine kept but could not place in the tree (overlaps). */
  unplaced: number
}

export interface ProcessView {
  pid: number
  name: string | undefined
  threads: Map<number, ThreadView>
}

/** One end of a flow, as the engine bound it to a slice. */
export interface FlowStep {
  name: string
  ts: number
  pid: number
  tid: number
}

/** A span never entered: its lifetime, an async slice (`b` … `e`, one id). */
export interface Lifetime {
  name: string
  cat: string
  pid: number
  ts: number
  dur: number
  args: Record<string, unknown>
}

export interface TraceView {
  processes: Map<number, ProcessView>
  /** Every slice of every thread. */
  slices: Slice[]
  /** Every lifetime, each `b` paired with its `e`. */
  lifetimes: Lifetime[]
  /** Flows (arrows between slices), each the slices it links in time order. */
  flows: FlowStep[][]
}

type TraceEvent = { name?: unknown; cat?: unknown; ph?: unknown; ts?: number; args?: unknown; pid?: number; tid?: number; id2?: { local?: string } }

/** Reads a trace file: `{ traceEvents: [...] }` or a bare array. Strict JSON. */
export function readTraceEvents(path: string): TraceEvent[] {
  const json: unknown = JSON.parse(readFileSync(path, 'utf8'))
  const events = Array.isArray(json) ? json : (json as { traceEvents?: unknown }).traceEvents
  if (!Array.isArray(events)) throw new Error(`${path}: no traceEvents array`)
  return events as TraceEvent[]
}

// The engine keeps handler state at module level: parses must not overlap.
let queue: Promise<unknown> = Promise.resolve()

/**
 * Loads `path` and checks what every trace must be: well-formed entries, one
 * name entry per process and per thread, and no entry the engine leaves
 * unplaced (slices on a track that overlap without nesting). Throws naming
 * what is wrong.
 */
export async function loadTrace(path: string): Promise<TraceView> {
  const events = readTraceEvents(path)
  const bad = events.findIndex((e) => typeof e?.name !== 'string' || (e.ph === 'M' && !e.args))
  if (bad !== -1) throw new Error(`${path}: event #${bad} is malformed: ${JSON.stringify(events[bad])}`)
  const names = new Map<string, number>()
  for (const e of events) {
    if (e.ph === 'M' && (e.name === 'process_name' || e.name === 'thread_name')) {
      const key = e.name === 'process_name' ? `process ${e.pid}` : `thread ${e.pid}/${e.tid}`
      names.set(key, (names.get(key) ?? 0) + 1)
    }
  }
  const twice = [...names].filter(([, n]) => n > 1).map(([key]) => key)
  if (twice.length > 0) throw new Error(`${path}: named more than once: ${twice.slice(0, 5).join(', ')}`)
  const run = async () => {
    const model = Trace.TraceModel.Model.createWithAllHandlers()
    await model.parse(events as never)
    const parsed = model.parsedTrace()
    if (!parsed) throw new Error(`${path}: the trace engine produced no data`)
    return parsed
  }
  const parsing = queue.then(run, run)
  queue = parsing.catch(() => undefined)
  const trace = view((await parsing).data)
  const unplaced = [...trace.processes.values()].flatMap((p) =>
    [...p.threads.values()].filter((t) => t.unplaced > 0).map((t) => `${t.unplaced} on ${p.pid}/${t.tid} (${t.name ?? 'unnamed'})`),
  )
  if (unplaced.length > 0) throw new Error(`${path}: entries the trace engine could not place: ${unplaced.join(', ')}`)
  return { ...trace, lifetimes: lifetimesOf(path, events) }
}

/** The async slices of `events`, paired by process and id; a begin without its end (or the reverse) throws. */
function lifetimesOf(path: string, events: readonly TraceEvent[]): Lifetime[] {
  const open = new Map<string, TraceEvent>()
  const out: Lifetime[] = []
  for (const e of events) {
    if (e.ph !== 'b' && e.ph !== 'e') continue
    const key = `${e.pid}/${e.id2?.local}`
    if (e.ph === 'b') {
      if (open.has(key)) throw new Error(`${path}: async id ${key} begins twice`)
      open.set(key, e)
      continue
    }
    const begin = open.get(key)
    if (!begin || begin.name !== e.name || (e.ts ?? 0) < (begin.ts ?? 0)) throw new Error(`${path}: async end ${key} (${String(e.name)}) has no begin before it`)
    open.delete(key)
    out.push({ name: String(begin.name), cat: String(begin.cat), pid: begin.pid!, ts: begin.ts!, dur: e.ts! - begin.ts!, args: (begin.args ?? {}) as Record<string, unknown> })
  }
  if (open.size > 0) throw new Error(`${path}: ${open.size} async slices never end, e.g. ${[...open.keys()][0]}`)
  return out
}

function view(data: any): Omit<TraceView, 'lifetimes'> {
  const { Meta, Renderer, Flows } = data
  const processes = new Map<number, ProcessView>()
  const slices: Slice[] = []
  const process = (pid: number): ProcessView => {
    let p = processes.get(pid)
    if (!p) {
      p = { pid, name: Meta.processNames.get(pid)?.args?.name, threads: new Map() }
      processes.set(pid, p)
    }
    return p
  }
  const thread = (pid: number, tid: number): ThreadView => {
    const p = process(pid)
    let t = p.threads.get(tid)
    if (!t) {
      t = { tid, name: Meta.threadsInProcess.get(pid)?.get(tid)?.args?.name, slices: [], roots: [], profileCalls: [], unplaced: 0 }
      p.threads.set(tid, t)
    }
    return t
  }
  for (const pid of Meta.processNames.keys()) process(pid)
  for (const [pid, threads] of Meta.threadsInProcess) for (const tid of threads.keys()) thread(pid, tid)
  for (const [pid, rp] of Renderer.processes) {
    for (const [tid, rt] of rp.threads) {
      const t = thread(pid, tid)
      if (!rt.tree) continue
      const placed = new Set<unknown>()
      // Iterative pre-order walk: traces may nest ten thousand deep.
      const pending: Array<[any, Slice | undefined]> = [...rt.tree.roots].reverse().map((n: any) => [n, undefined])
      while (pending.length > 0) {
        const [node, parent] = pending.pop()!
        const e = node.entry
        placed.add(e)
        const s: Slice = { name: e.name, cat: e.cat, ph: e.ph, ts: e.ts, dur: e.dur ?? 0, args: e.args ?? {}, children: [], parent }
        Object.defineProperty(s, 'parent', { enumerable: false })
        if (e.callFrame) {
          s.callFrame = { functionName: e.callFrame.functionName, url: e.callFrame.url, lineNumber: e.callFrame.lineNumber }
          t.profileCalls.push(s)
        }
        t.slices.push(s)
        slices.push(s)
        if (parent) parent.children.push(s)
        else t.roots.push(s)
        for (const child of [...node.children].reverse()) pending.push([child, s])
      }
      t.unplaced = rt.entries.filter((e: unknown) => !placed.has(e)).length
    }
  }
  const flows: FlowStep[][] = (Flows?.flows ?? []).map((flow: any[]) =>
    flow.map((e: any) => ({ name: e.name, ts: e.ts, pid: e.pid, tid: e.tid })).sort((a: FlowStep, b: FlowStep) => a.ts - b.ts),
  )
  return { processes, slices, flows }
}

/** `a > b > c`: a slice's ancestry, for readable assertions. */
export function slicePath(slice: Slice): string {
  // Walks parents, so deep traces cost no recursion.
  const names: string[] = []
  for (let s: Slice | undefined = slice; s; s = s.parent) names.unshift(s.name)
  return names.join(' > ')
}

/** How many slices named `name` lie below `slice`, at any depth. */
export function descendants(slice: Slice, name: string): number {
  let n = 0
  const pending = [...slice.children]
  while (pending.length > 0) {
    const s = pending.pop()!
    if (s.name === name) n++
    pending.push(...s.children)
  }
  return n
}

/** The thread (track) a slice is on. */
export function trackOf(trace: TraceView, slice: Slice): ThreadView {
  for (const p of trace.processes.values()) for (const t of p.threads.values()) if (t.slices.includes(slice)) return t
  throw new Error(`slice ${slice.name} is on no track`)
}

/** The process a slice is in. */
export function processOf(trace: TraceView, slice: Slice): ProcessView {
  for (const p of trace.processes.values()) for (const t of p.threads.values()) if (t.slices.includes(slice)) return p
  throw new Error(`slice ${slice.name} is in no process`)
}

/** Whether `inner` lies within `outer` in time. */
export function within(inner: Slice, outer: Slice): boolean {
  return inner.ts >= outer.ts && inner.ts + inner.dur <= outer.ts + outer.dur
}
