/**
 * Chrome Trace Event Format entries, as this package writes them. Times are
 * microseconds on the clock of `process.hrtime`, shared by every process on
 * the machine, so traces of several workers line up without adjustment.
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

export interface InstantEvent {
  ph: 'I'
  s: 't'
  name: string
  cat: string
  pid: number
  tid: number
  ts: number
  args?: TraceArgs
}

export interface MetadataEvent {
  ph: 'M'
  name: 'process_name' | 'thread_name' | 'process_sort_index' | 'thread_sort_index'
  pid: number
  tid: number
  args: { name?: string; sort_index?: number }
}

export type TraceEvent = CompleteEvent | InstantEvent | MetadataEvent

/** Nanoseconds (hrtime) to trace microseconds. */
export function nsToUs(ns: number): number {
  return ns / 1000
}

/** Field values as JSON-safe trace args: bigints become strings. */
export function toArgs(fields: Record<string, unknown>): TraceArgs {
  let args: TraceArgs | undefined
  for (const key in fields) {
    const value = fields[key]
    if (typeof value === 'bigint') (args ??= { ...fields })[key] = value.toString()
  }
  return args ?? fields
}
