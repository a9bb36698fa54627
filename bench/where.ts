/**
 * Where a mode's nanoseconds per span go: `perf record` of one mode of the
 * micro benchmark (bench/run.ts) on one workload, each sample inside the
 * workload sorted by the code it ran in, and the shares turned into ns per
 * span with the median the same run measured.
 *
 *   node dist/bench/bench/where.js [--shape flat] [--where js|threads] [--modes plugin,floor+filter] [--repeats 60]
 *
 * Needs `perf` (Linux; `apt-get install linux-perf`) and the bench addon
 * built in release mode, as `npm run bench` builds it. Call graphs come from
 * DWARF unwinding, so the addon needs no frame pointers.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { table } from './stats.js'

/** A part of the work, and how to know a sample ran in it (frames from the leaf outwards). */
interface Part {
  name: string
  /** The hook owner the part belongs to: the innermost of these frames decides. */
  under: 'collect' | 'router' | 'any'
  frame: RegExp
}

/** The registry's span slab and extension maps, reached from a hook. */
const LOOKUPS = /^sharded_slab::|^tracing_subscriber::registry::|LookupSpan|span_data::with|^<core::any::Any>::type_id/
/** Whatever is left under the owner. */
const ANY = /(?:)/

/** Checked in order; a sample goes to the first part that matches. */
const PARTS: readonly Part[] = [
  { name: 'clock reads (clock_gettime)', under: 'any', frame: /clock_gettime/ },
  { name: 'collect: trace line (JSON into the thread buffer, hand-over)', under: 'collect', frame: /trace_json::|Local::trace|Writer::|fields_json|JsonMembers|EventMembers/ },
  { name: 'collect: sums, paths, open counts', under: 'collect', frame: /Local::(closed|opened|path|event)|interned::/ },
  { name: 'collect: span lookups and extensions', under: 'collect', frame: LOOKUPS },
  { name: 'collect: enter/exit stack', under: 'collect', frame: /collect::entered/ },
  { name: 'collect: allocation', under: 'collect', frame: /malloc|free|_int_|tcache/ },
  { name: 'collect: its hooks\' own code (timing, anchors, tracks)', under: 'collect', frame: ANY },
  { name: 'EnvFilter', under: 'any', frame: /EnvFilter|filter::directive|filter::env/ },
  { name: 'router: span lookups (the owner per hook)', under: 'router', frame: LOOKUPS },
  { name: 'router: choosing the owner (open sessions, SpanData)', under: 'router', frame: ANY },
  { name: 'Registry and dispatch (the floor\'s own work)', under: 'any', frame: ANY },
]

const OWNERS: ReadonlyArray<[Part['under'], RegExp]> = [
  ['collect', /CollectLayer as /],
  ['router', /Router as /],
]

/** The samples of `perf script` output, each its frames' symbols, leaf first. */
function stacks(script: string): string[][] {
  const out: string[][] = []
  let current: string[] = []
  for (const line of script.split('\n')) {
    if (!line.trim()) {
      if (current.length) out.push(current)
      current = []
    } else if (line.startsWith('\t') || line.startsWith(' ')) {
      // "\t    7f12… symbol+0x1f (dso)"
      const symbol = line.trim().replace(/^[0-9a-f]+\s+/, '').replace(/ \([^)]*\)$/, '').replace(/\+0x[0-9a-f]+$/, '')
      current.push(symbol)
    }
  }
  if (current.length) out.push(current)
  return out
}

function partOf(frames: readonly string[]): string {
  const ownerAt = frames.findIndex((f) => OWNERS.some(([, re]) => re.test(f)))
  const owner = ownerAt === -1 ? undefined : OWNERS.find(([, re]) => re.test(frames[ownerAt]!))![0]
  // The frames below the hook that owns the sample (its own frame names the Registry type).
  const inside = ownerAt === -1 ? frames : frames.slice(0, ownerAt)
  for (const part of PARTS) {
    if (part.under !== 'any' && part.under !== owner) continue
    if (part.frame === ANY || inside.some((f) => part.frame.test(f))) return part.name
  }
  return 'other'
}

function parseArgs(argv: readonly string[]) {
  const o = { shape: 'flat', where: 'js', modes: ['plugin', 'floor+filter'], repeats: 60 }
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1]
    if (value === undefined) throw new Error(`${argv[i]} needs a value`)
    switch (argv[i]) {
      case '--shape': o.shape = value; break
      case '--where': o.where = value; break
      case '--modes': o.modes = value.split(','); break
      case '--repeats': o.repeats = Number(value); break
      default: throw new Error(`unknown option ${argv[i]} (--shape, --where, --modes, --repeats)`)
    }
  }
  return o
}

const options = parseArgs(process.argv.slice(2))
const runJs = join(dirname(fileURLToPath(import.meta.url)), 'run.js')
const tmp = mkdtempSync(join(tmpdir(), 'napi-tracing-where-'))
try {
  for (const mode of options.modes) {
    const data = join(tmp, 'perf.data')
    const json = join(tmp, 'run.json')
    const args = ['--shapes', options.shape, '--where', options.where, '--modes', mode, '--repeats', String(options.repeats), '--no-diagnostics', '--out', json]
    try {
      execFileSync('perf', ['record', '-q', '-F', '2000', '--call-graph', 'dwarf,16384', '-o', data, '--', process.execPath, '--expose-gc', runJs, ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
    } catch (error) {
      throw new Error(`perf record failed (is perf installed, and perf_event_paranoid ≤ 1?): ${(error as Error).message}`)
    }
    const results = JSON.parse(readFileSync(json, 'utf8')) as { workloads: Array<{ modes: Record<string, { summary: { median: number } }> }> }
    const perSpan = results.workloads[0]?.modes[mode]?.summary.median ?? NaN
    const script = execFileSync('perf', ['script', '-i', data], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString()
    // Only what ran inside the workload: the spans, not the harness around them.
    const inWorkload = stacks(script).filter((frames) => frames.some((f) => f.startsWith('bench_addon::workload')))
    const counts = new Map<string, number>()
    for (const frames of inWorkload) {
      const part = partOf(frames.slice(0, frames.findIndex((f) => f.startsWith('bench_addon::workload'))))
      counts.set(part, (counts.get(part) ?? 0) + 1)
    }
    const rows = [...counts].sort((a, b) => b[1] - a[1])
    console.log(`\n## ${mode}, ${options.shape} · ${options.where === 'js' ? 'JS thread' : 'threads'}: ${perSpan.toFixed(0)} ns per span (median of ${options.repeats} rounds under perf), ${inWorkload.length} samples in the workload\n`)
    console.log(
      table(
        ['part', 'share', 'ns/span'],
        rows.map(([part, n]) => [part, `${((100 * n) / inWorkload.length).toFixed(1)} %`, ((perSpan * n) / inWorkload.length).toFixed(0)]),
        [false, true, true],
      ),
    )
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
