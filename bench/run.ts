/**
 * `npm run bench`: what tracing costs per span, each mode beside the others.
 *
 * For each workload (a span shape, on the JavaScript thread or on background
 * threads), every mode runs once per round, in an order rotated each round,
 * all in this one process; ratios are taken per round (paired) and their
 * median reported with the spread, so the slow drift of a noisy machine
 * cancels out. Results: a table on stdout, JSON in bench/results/latest.json.
 *
 * Options: --repeats R  --n-js N  --n-thread N  --threads T
 *          --shapes flat,nested,...  --where js,threads  --modes none,plugin,...
 *          --no-diagnostics  --out file
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeModes, QUEUE_CAPACITY, type BenchAddon, type Mode, type Sample, type Shape, type Workload } from './modes.js'
import { ns, pairedRatios, ratio, summarize, table, type Summary } from './stats.js'

const SHAPES: readonly Shape[] = ['flat', 'nested', 'fields', 'events']

interface Options {
  repeats: number
  nJs: number
  nThread: number
  threads: number
  shapes: Shape[]
  where: ('js' | 'threads')[]
  modes: string[] | undefined
  diagnostics: boolean
  out: string
}

function parseArgs(argv: readonly string[], root: string): Options {
  const o: Options = {
    repeats: 11,
    nJs: 30_000,
    nThread: 15_000,
    threads: 4,
    shapes: [...SHAPES],
    where: ['js', 'threads'],
    modes: undefined,
    diagnostics: true,
    out: join(root, 'bench', 'results', 'latest.json'),
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value`)
      return v
    }
    const int = (): number => {
      const v = Number(value())
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${arg} needs a positive integer`)
      return v
    }
    switch (arg) {
      case '--repeats': o.repeats = int(); break
      case '--n-js': o.nJs = int(); break
      case '--n-thread': o.nThread = int(); break
      case '--threads': o.threads = int(); break
      case '--shapes': o.shapes = value().split(',').map((s) => {
        if (!SHAPES.includes(s as Shape)) throw new Error(`unknown shape ${s}`)
        return s as Shape
      }); break
      case '--where': o.where = value().split(',').map((s) => {
        if (s !== 'js' && s !== 'threads') throw new Error(`--where takes js,threads`)
        return s
      }); break
      case '--modes': o.modes = value().split(','); break
      case '--no-diagnostics': o.diagnostics = false; break
      case '--out': o.out = resolve(value()); break
      default: throw new Error(`unknown option ${arg}`)
    }
  }
  return o
}

/** The repository root: the nearest folder above this file with the bench addon. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'test-fixtures', 'addons', 'bench', 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the repository root (test-fixtures/addons/bench) above ' + import.meta.url)
    dir = up
  }
  return dir
}

function label(w: Workload): string {
  return `${w.shape} · ${w.threads === 0 ? 'JS thread' : `${w.threads} threads`}`
}

/** Spans the workload makes in all (the per-span divisor). */
function spanCount(w: Workload): number {
  return w.n * Math.max(w.threads, 1)
}

/** Spans the workload makes with the fan_out and worker spans of a threaded run, and its events. */
function madeSpans(w: Workload): { spans: number; events: number } {
  return { spans: spanCount(w) + (w.threads > 0 ? 1 + w.threads : 0), events: w.shape === 'events' ? spanCount(w) : 0 }
}

/** The chrome-alone file must be complete: valid JSON with a B/E pair per span (and an instant per event). */
function checkChromeFile(path: string, w: Workload): string | undefined {
  const entries = JSON.parse(readFileSync(path, 'utf8')) as { ph: string }[]
  const { spans, events } = madeSpans(w)
  const begins = entries.filter((e) => e.ph === 'B').length
  const ends = entries.filter((e) => e.ph === 'E').length
  const instants = entries.filter((e) => e.ph === 'i').length
  if (begins !== spans || ends !== spans || instants !== events) {
    return `chrome-alone file for ${label(w)}: ${begins} B, ${ends} E, ${instants} i entries; expected ${spans}, ${spans}, ${events}`
  }
  return undefined
}

const tick = () => new Promise<void>((r) => setImmediate(r))
const gc = (globalThis as { gc?: () => void }).gc

interface ModeResult {
  /** ns per span, one per round, in round order. */
  perSpan: number[]
  phases: Record<string, number[]>
  summary: Summary
  /** Process CPU ns per span (all threads), median of rounds. */
  cpu: Summary
  phaseSummary: Record<string, Summary>
  /** Paired per-round ratio to chrome-alone. */
  vsChrome: Summary | undefined
}

interface WorkloadResult {
  workload: string
  shape: Shape
  threads: number
  nPerThread: number
  spans: number
  modes: Record<string, ModeResult>
  pluginVsChrome: Summary | undefined
  callbackVsPlugin: Summary | undefined
  /** plugin / plugin:flat: what call paths cost. */
  pathsVsFlat: Summary | undefined
  /** plugin / floor+filter and plugin / floor: against what any tracing-subscriber setup pays. */
  pluginVsFloorFilter: Summary | undefined
  pluginVsFloor: Summary | undefined
  /** The wrapped subscriber against itself alone (floor+filter) and against the plugin on napi-tracing's own. */
  wrap: Record<'quietVsAlone' | 'tracedVsAlone' | 'tracedVsPlugin' | 'warnVsPlugin', Summary | undefined>
}

async function main(): Promise<void> {
  const root = findRoot()
  const opts = parseArgs(process.argv.slice(2), root)
  if (!gc) console.warn('bench: run node with --expose-gc for a collection before each measurement')
  const addonPath = join(root, 'test-fixtures', 'addons', 'bench', 'index.js')
  const addon = createRequire(import.meta.url)(addonPath) as BenchAddon
  const tmp = mkdtempSync(join(tmpdir(), 'napi-tracing-bench-'))
  const problems: string[] = []
  const started = Date.now()
  try {
    let modes: Mode[] = makeModes(addon, tmp)
    if (opts.modes) {
      const wanted = opts.modes
      for (const m of wanted) if (!modes.some((x) => x.name === m)) throw new Error(`unknown mode ${m}`)
      modes = modes.filter((m) => wanted.includes(m.name))
    } else if (!opts.diagnostics) {
      modes = modes.filter((m) => !m.diagnostic)
    }
    const workloads: Workload[] = []
    for (const where of opts.where) {
      for (const shape of opts.shapes) {
        workloads.push(where === 'js' ? { shape, threads: 0, n: opts.nJs } : { shape, threads: opts.threads, n: opts.nThread })
      }
    }
    console.log(
      `bench: ${workloads.length} workloads × ${modes.length} modes × ${opts.repeats} rounds; ` +
        `${opts.nJs} spans on the JS thread, ${opts.nThread} per thread on ${opts.threads} threads`,
    )

    // Warm-up of every mode on every workload (JIT tiers, files, thread-locals)
    // at a quarter of the size, not recorded: otherwise the first workload
    // measured pays for compiling the decoder and the collector.
    for (const w of workloads) {
      const warm: Workload = { ...w, n: Math.max(8, Math.floor(w.n / 4)) }
      for (const m of modes) {
        const s = m.run(warm)
        if (m.name === 'chrome-alone') {
          const bad = checkChromeFile(join(tmp, 'chrome.json'), warm)
          if (bad) problems.push(bad)
        }
        check(m, warm, s, problems)
        await tick()
      }
    }

    const results: WorkloadResult[] = []
    for (const w of workloads) {
      const samples = new Map<string, Sample[]>(modes.map((m) => [m.name, []]))
      /** Process CPU time (all threads) per span, around the whole mode run (session start and close included). */
      const cpuNs = new Map<string, number[]>(modes.map((m) => [m.name, []]))
      for (let round = 0; round < opts.repeats; round++) {
        for (let k = 0; k < modes.length; k++) {
          const m = modes[(k + round) % modes.length]!
          gc?.()
          await tick()
          const cpu0 = process.cpuUsage()
          const s = m.run(w)
          const cpu = process.cpuUsage(cpu0)
          check(m, w, s, problems)
          samples.get(m.name)!.push(s)
          cpuNs.get(m.name)!.push(((cpu.user + cpu.system) * 1000) / spanCount(w))
        }
      }
      const perSpan = (name: string) => (samples.get(name) ?? []).map((s) => s.ns / spanCount(w))
      const chrome = samples.has('chrome-alone') ? perSpan('chrome-alone') : undefined
      const byMode: Record<string, ModeResult> = {}
      for (const m of modes) {
        const values = perSpan(m.name)
        const phases: Record<string, number[]> = {}
        for (const s of samples.get(m.name) ?? []) {
          for (const [p, v] of Object.entries(s.phases)) (phases[p] ??= []).push(v / spanCount(w))
        }
        byMode[m.name] = {
          perSpan: values,
          phases,
          summary: summarize(values),
          cpu: summarize(cpuNs.get(m.name) ?? []),
          phaseSummary: Object.fromEntries(Object.entries(phases).map(([p, v]) => [p, summarize(v)])),
          vsChrome: chrome ? summarize(pairedRatios(values, chrome)) : undefined,
        }
      }
      const plugin = samples.has('plugin') ? perSpan('plugin') : undefined
      const callback = samples.has('callback') ? perSpan('callback') : undefined
      const flat = samples.has('plugin:flat') ? perSpan('plugin:flat') : undefined
      const floor = samples.has('floor') ? perSpan('floor') : undefined
      const floorFilter = samples.has('floor+filter') ? perSpan('floor+filter') : undefined
      const paired = (a: string, b: number[] | undefined) => (samples.has(a) && b ? summarize(pairedRatios(perSpan(a), b)) : undefined)
      const result: WorkloadResult = {
        workload: label(w),
        shape: w.shape,
        threads: w.threads,
        nPerThread: w.n,
        spans: spanCount(w),
        modes: byMode,
        pluginVsChrome: plugin && chrome ? summarize(pairedRatios(plugin, chrome)) : undefined,
        callbackVsPlugin: callback && plugin ? summarize(pairedRatios(callback, plugin)) : undefined,
        pathsVsFlat: plugin && flat ? summarize(pairedRatios(plugin, flat)) : undefined,
        pluginVsFloorFilter: plugin && floorFilter ? summarize(pairedRatios(plugin, floorFilter)) : undefined,
        pluginVsFloor: plugin && floor ? summarize(pairedRatios(plugin, floor)) : undefined,
        wrap: {
          quietVsAlone: paired('wrap:quiet', floorFilter),
          tracedVsAlone: paired('wrap:plugin', floorFilter),
          tracedVsPlugin: paired('wrap:plugin', plugin),
          warnVsPlugin: paired('wrap:warn', plugin),
        },
      }
      results.push(result)
      const line = modes.map((m) => `${m.name} ${ns(byMode[m.name]!.summary.median)}`).join(', ')
      console.log(`  ${label(w).padEnd(18)} ns/span: ${line}`)
    }

    const seconds = (Date.now() - started) / 1000
    const machine = machineInfo()
    print(results, modes, seconds, problems)
    console.log(`\nmachine: ${Object.values(machine).join(' · ')}`)
    mkdirSync(dirname(opts.out), { recursive: true })
    writeFileSync(
      opts.out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine,
          options: { ...opts, queueCapacity: QUEUE_CAPACITY, tmpdir: tmpdir() },
          seconds,
          problems,
          workloads: results,
        },
        null,
        2,
      ) + '\n',
    )
    console.log(`\nJSON: ${opts.out}`)
    if (problems.length > 0) process.exitCode = 1
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/** Every record delivered, every span counted, nothing dropped: otherwise the figures are not comparable. */
function check(m: Mode, w: Workload, s: Sample, problems: string[]): void {
  if (s.dropped > 0) problems.push(`${m.name} on ${label(w)}: ${s.dropped} records dropped`)
  const { spans, events } = madeSpans(w)
  const expected = m.records?.(spans, events)
  if (s.delivered !== undefined && expected !== undefined && s.delivered !== expected) {
    problems.push(`${m.name} on ${label(w)}: ${s.delivered} records delivered, expected ${expected}`)
  }
  if (s.summed !== undefined && s.summed !== spans) {
    problems.push(`${m.name} on ${label(w)}: ${s.summed} spans in the statistics, expected ${spans}`)
  }
}

function range(s: Summary | undefined, f: (v: number) => string): string {
  return s ? `${f(s.min)}–${f(s.max)}` : '–'
}

function print(results: readonly WorkloadResult[], modes: readonly Mode[], seconds: number, problems: readonly string[]): void {
  const main = modes.filter((m) => !m.diagnostic)
  console.log(
    `\n## ns per span (wall time, median of rounds; spread min–max and IQR; ratio to chrome-alone paired per round;\n` +
      `CPU: process CPU time of all threads per span, median)\n`,
  )
  const rows: string[][] = []
  for (const r of results) {
    for (const m of main) {
      const x = r.modes[m.name]!
      rows.push([
        r.workload,
        m.name,
        ns(x.summary.median),
        range(x.summary, ns),
        `${ns(x.summary.q1)}–${ns(x.summary.q3)}`,
        x.vsChrome ? ratio(x.vsChrome.median) : '–',
        ns(x.cpu.median),
      ])
    }
  }
  console.log(table(['workload', 'mode', 'ns/span', 'min–max', 'IQR', '× chrome', 'CPU ns/span'], rows, [false, false, true, true, true, true, true]))

  console.log(`\n## Targets (per-round paired ratios: median [min–max])\n`)
  console.log(
    table(
      ['workload', 'plugin / chrome-alone', 'target ≤ 1.5', 'callback / plugin', 'target ≥ 10'],
      results.map((r) => [
        r.workload,
        r.pluginVsChrome ? `${ratio(r.pluginVsChrome.median)} [${range(r.pluginVsChrome, ratio)}]` : '–',
        r.pluginVsChrome ? (r.pluginVsChrome.median <= 1.5 ? 'met' : 'missed') : '–',
        r.callbackVsPlugin ? `${ratio(r.callbackVsPlugin.median)} [${range(r.callbackVsPlugin, ratio)}]` : '–',
        r.callbackVsPlugin ? (r.callbackVsPlugin.median >= 10 ? 'met' : 'missed') : '–',
      ]),
      [false, true, false, true, false],
    ),
  )

  if (results.some((r) => r.pluginVsFloorFilter)) {
    console.log(
      `\n## Against the floor (plugin, everything until its output is complete, against the workload under\n` +
        `tracing-subscriber's Registry with a no-op layer: floor+filter with EnvFilter('trace') on top, as the\n` +
        `plugin's sessions have; paired per round)\n`,
    )
    console.log(
      table(
        ['workload', 'floor+filter ns', 'plugin ns', 'plugin / floor+filter', 'target ≤ 1.5', 'plugin / floor'],
        results.map((r) => [
          r.workload,
          ns(r.modes['floor+filter']?.summary.median ?? NaN),
          ns(r.modes['plugin']?.summary.median ?? NaN),
          r.pluginVsFloorFilter ? `${ratio(r.pluginVsFloorFilter.median)} [${range(r.pluginVsFloorFilter, ratio)}]` : '–',
          r.pluginVsFloorFilter ? (r.pluginVsFloorFilter.median <= 1.5 ? 'met' : 'missed') : '–',
          r.pluginVsFloor ? `${ratio(r.pluginVsFloor.median)} [${range(r.pluginVsFloor, ratio)}]` : '–',
        ]),
        [false, true, true, true, false, true],
      ),
    )
  }

  if (results.some((r) => r.wrap.quietVsAlone || r.wrap.tracedVsAlone)) {
    const cell = (x: Summary | undefined) => (x ? `${ratio(x.median)} [${range(x, ratio)}]` : '–')
    console.log(
      `\n## napi_tracing::wrap() (an addon's own subscriber, floor+filter, wrapped: with no session open\n` +
        `(wrap:quiet) and traced by the plugin's path (wrap:plugin), against that subscriber alone; and the\n` +
        `plugin's path through it, or through one whose global filter keeps warnings only (wrap:warn: the\n` +
        `spans are napi-tracing's alone), against the plugin on napi-tracing's own subscriber; paired per round)\n`,
    )
    console.log(
      table(
        ['workload', 'wrap:quiet / alone', 'wrap:plugin / alone', 'wrap:plugin / plugin', 'wrap:warn / plugin'],
        results.map((r) => [r.workload, cell(r.wrap.quietVsAlone), cell(r.wrap.tracedVsAlone), cell(r.wrap.tracedVsPlugin), cell(r.wrap.warnVsPlugin)]),
        [false, true, true, true, true],
      ),
    )
  }

  if (results.some((r) => r.pathsVsFlat)) {
    console.log(
      `\n## What call paths cost (plugin, which sums by span path for call trees, against plugin:flat,\n` +
        `collectLayer({ paths: false }), which sums by span name alone; paired per round)\n`,
    )
    console.log(
      table(
        ['workload', 'plugin / plugin:flat', 'target ≤ 1.10'],
        results.map((r) => [
          r.workload,
          r.pathsVsFlat ? `${ratio(r.pathsVsFlat.median)} [${range(r.pathsVsFlat, ratio)}]` : '–',
          r.pathsVsFlat ? (r.pathsVsFlat.median <= 1.1 ? 'met' : 'missed') : '–',
        ]),
        [false, true, false],
      ),
    )
  }

  if (modes.some((m) => m.name === 'plugin')) {
    const stages = ['plugin:native'].filter((n) => modes.some((m) => m.name === n))
    console.log(
      `\n## Where the plugin path spends its time (ns/span, medians)\n\n` +
        `plugin:native: the collect layer with its sums left unread (dispatch, timing, trace lines and sums in\n` +
        `the addon); plugin adds the SpanCollector and the worker's own lines. Phases of plugin: spans =\n` +
        `make_spans() returning; drain = flush() (the sums to JavaScript, the rest of the trace written);\n` +
        `finish = endTest, test slice, stats line.\n`,
    )
    console.log(
      table(
        ['workload', 'none', 'chrome-alone', ...stages, 'plugin', 'spans', 'drain', 'finish'],
        results.map((r) => {
          const p = r.modes['plugin']!
          const med = (name: string) => ns(r.modes[name]?.summary.median ?? NaN)
          return [
            r.workload,
            med('none'),
            med('chrome-alone'),
            ...stages.map(med),
            med('plugin'),
            ns(p.phaseSummary['spans']?.median ?? NaN),
            ns(p.phaseSummary['drain']?.median ?? NaN),
            ns(p.phaseSummary['finish']?.median ?? NaN),
          ]
        }),
        [false, ...Array<boolean>(stages.length + 6).fill(true)],
      ),
    )
  }
  console.log(`\n${seconds.toFixed(0)} s`)
  if (problems.length > 0) {
    console.log(`\nPROBLEMS (figures not comparable):`)
    for (const p of problems) console.log(`  - ${p}`)
  }
}

function machineInfo(): Record<string, unknown> {
  const tryRun = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim()
    } catch {
      return undefined
    }
  }
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model,
    node: `${process.version} (${process.execPath})`,
    rustc: tryRun('rustc', ['--version']),
    commit: tryRun('git', ['describe', '--always', '--dirty']),
    platform: `${process.platform} ${process.arch}`,
  }
}

await main()
