/** Summary statistics of repeated measurements, and their formatting. */

export interface Summary {
  median: number
  min: number
  max: number
  /** First and third quartiles (linear interpolation). */
  q1: number
  q3: number
  n: number
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN
  const at = (sorted.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  const a = sorted[lo] ?? NaN
  const b = sorted[hi] ?? NaN
  return a + (b - a) * (at - lo)
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    n: sorted.length,
  }
}

/** Per-round ratios a[i] / b[i] of two paired series (same round, same process). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = []
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (x !== undefined && y !== undefined && y > 0) out.push(x / y)
  }
  return out
}

/** Nanoseconds, 3 significant digits. */
export function ns(v: number): string {
  if (!Number.isFinite(v)) return '–'
  if (v >= 100) return v.toFixed(0)
  if (v >= 10) return v.toFixed(1)
  return v.toFixed(2)
}

export function ratio(v: number): string {
  if (!Number.isFinite(v)) return '–'
  if (v >= 100) return v.toFixed(0)
  if (v >= 10) return v.toFixed(1)
  return v.toFixed(2)
}

/** A markdown table, columns padded so it also reads in a terminal. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    '| ' + cells.map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ') + ' |'
  const rule = '|' + widths.map((w, i) => (right[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|'
  return [line(header), rule, ...rows.map(line)].join('\n')
}
