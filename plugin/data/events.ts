/**
 * Chrome Trace Event Format entries, as the worker writes them (test and file
 * slices, names; the addon writes native spans itself, `trace/`).
 * Times are microseconds on the clock of `process.hrtime`, shared by every
 * process on the machine, so traces of several workers line up unadjusted.
 */

export type TraceArgs = Record<string, unknown>

export interface CompleteEvent {
  ph: 'X'
  name: string
  cat: string
  pid: number
  tid: number
  ts: number
  dur: number
  args?: TraceArgs
}

export interface MetadataEvent {
  ph: 'M'
  name: 'process_name' | 'thread_name' | 'process_sort_index' | 'thread_sort_index'
  pid: number
  tid: number
  args: { name?: string; sort_index?: number }
}

/**
 * A V8 CPU profile's head (`Profile`, `args.data.startTime`) or one of its
 * chunks (`ProfileChunk`, `args.data.cpuProfile` and `timeDeltas`), as V8
 * writes them into Chrome's traces (see `profile.ts`).
 */
export interface ProfileEvent {
  ph: 'P'
  name: 'Profile' | 'ProfileChunk'
  cat: string
  id: string
  pid: number
  tid: number
  ts: number
  args: { data: Record<string, unknown> }
}

/** A counter's values at `ts`: each arg a series of the counter track `name`. */
export interface CounterEvent {
  ph: 'C'
  name: string
  pid: number
  tid: number
  ts: number
  args: Record<string, number>
}

export type TraceEvent = CompleteEvent | MetadataEvent | ProfileEvent | CounterEvent

/** Nanoseconds (hrtime) to trace microseconds. */
export function nsToUs(ns: number): number {
  return ns / 1000
}

/**
 * Where the trace's clock stood against the wall clock when it was written:
 * `process.hrtime` in µs (the entries' clock) and `Date.now()` in ms, read
 * together. Machines' `process.hrtime` clocks start at their boot, so traces
 * of two CI machines line up only through this pair.
 */
export interface ClockAnchor {
  monotonicUs: number
  epochMs: number
}

export function clockAnchor(): ClockAnchor {
  return { monotonicUs: Number(process.hrtime.bigint() / 1000n), epochMs: Date.now() }
}

/** The end of a trace file: its entries closed, and `otherData` (with `clock`, a `ClockAnchor`). */
export function traceFooter(otherData: Record<string, unknown>): string {
  return `\n],"displayTimeUnit":"ms","otherData":${JSON.stringify({ generator: 'vitest-napi-tracing', clock: clockAnchor(), ...otherData })}}\n`
}
