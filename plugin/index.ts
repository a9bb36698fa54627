/**
 * `napiTracing()`: the Vitest plugin. It adds a setup file that traces the
 * addons in every worker, and a reporter that prints the span report and
 * writes report.json and trace.json. Nothing else in the config changes.
 */
import { accessSync, constants, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { Plugin } from 'vite'
import type { TestProject, Vitest } from 'vitest/node'
import { messageOf } from '../src/errors.js'
import { resolveFilter } from '../src/tracing.js'
import { checkOptions, isDisabled, outputDirOf, profileConfig, PROVIDE_KEY, resolveAddons, type NapiTracingOptions, type WorkerConfig } from './options.js'
import { NapiTracingReporter } from './reporter/index.js'
import { checkVitest, installedVitest } from './vitest-version.js'
import './provided.js'

export type { NapiTracingOptions, AddonOption, ProfileOption } from './options.js'
export type { SubscriberMode } from '../src/tracing.js'
export type { SpanReport, ReportTest, ReportSpan, ReportFile, ReportNode, ReportEvent, ReportBenchmark, ReportProfile, ReportFunction, ReportNativeTime, ReportMemory, TestState, Milliseconds, Change, Comparison, CountGate } from './report/json.js'

const SETUP_FILE = fileURLToPath(new URL('./setup.js', import.meta.url))
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url)).replaceAll('\\', '/')
/**
 * What the setup file loads (this package's compiled modules, the setup file
 * itself aside): run by Node as they are, not transformed by Vite in every
 * worker. Under node_modules Vitest does this by itself; a linked package,
 * a workspace or a checkout would otherwise pay for the transform in each
 * worker (about 0.2 s of the suite per worker here).
 */
const OWN_MODULES = new RegExp(`^${escapeRegExp(PACKAGE_ROOT)}(?:src/|plugin/(?!setup\\.js$))`)
/**
 * The setup file itself, always run through Vitest's module runner. Vitest
 * re-runs a setup file before each test file by re-evaluating it, which only
 * works for an inlined module: externalized (Vitest's default under
 * node_modules), Node evaluates it once per worker, and its hooks would
 * miss every later file of that worker (isolation off, the vm pools).
 */
const SETUP_MODULE = new RegExp(`^${escapeRegExp(SETUP_FILE.replaceAll('\\', '/'))}$`)
/** Marks a Vitest instance that has our reporter; survives config re-bundling per project. */
const REPORTER_ADDED = Symbol.for('vitest-napi-tracing.reporter')

/**
 * The plugin. Throws a TypeError for options it does not know or cannot use
 * (an unknown key, a blank filter), naming the option and what it accepts.
 */
export function napiTracing(options: NapiTracingOptions): Plugin {
  checkOptions(options)
  // Before anything else: a Vitest too old has no hook the plugin could use to say so later.
  checkVitest(installedVitest(process.cwd()))
  const filter = resolveFilter(options.filter)
  return {
    name: 'vitest:napi-tracing',
    config() {
      if (isDisabled()) return
      return { test: { server: { deps: { external: [OWN_MODULES], inline: [SETUP_MODULE] } } } }
    },
    configureVitest({ vitest, project }: { vitest: Vitest; project: TestProject }) {
      checkVitest({ version: vitest.version, path: 'the running Vitest' })
      const root = vitest.config.root
      const shard = vitest.config.shard
      const outputDir = outputDirOf(options, root, shard)
      const mergeDir = outputDirOf(options, root)
      const marked = vitest as unknown as Record<symbol, NapiTracingReporter | undefined>
      if (isDisabled()) {
        // Says so once, and leaves earlier output alone.
        if (!marked[REPORTER_ADDED]) {
          marked[REPORTER_ADDED] = new NapiTracingReporter({ ...options, outputDir, mergeDir, rawDir: join(outputDir, '.workers'), problems: [], filter, off: 'VITEST_NAPI_TRACING=0' })
          vitest.config.reporters.push(marked[REPORTER_ADDED] as never)
        }
        return
      }
      const addons = resolveAddons(options.addons, root, options.subscriber)
      const found = addons.filter((a) => a.path !== undefined)
      const config: WorkerConfig = {
        addons: found.map((a) => ({ label: a.label, path: a.path! })),
        // null, not undefined: Vitest 3 sends what is provided as JSON, where an array's undefined becomes null.
        subscribers: found.map((a) => a.subscriber ?? null),
        filter: filter.directives,
        rawDir: join(outputDir, '.workers'),
        root,
        queueCapacity: options.queueCapacity,
        shard: shard ? `${shard.index}/${shard.count}` : undefined,
        profile: profileConfig(options.profile),
      }
      // A --merge-reports job loads no addon, and need not have built one.
      const problems = vitest.config.mergeReports ? [] : addons.flatMap((a) => (a.problem ? [a.problem] : []))
      const unwritable = checkWritable(config.rawDir)
      let traced = false
      if (unwritable) {
        // The tests run untraced rather than not at all.
        problems.push(`tracing is off: ${unwritable}; set napiTracing({ outputDir }) to a folder you can write to`)
      } else {
        traced = true
        // Called once per project: add the setup file once to each, first, so
        // that it runs before the user's (which may install fake timers) and its
        // hooks wrap theirs: a beforeEach's spans are then its test's.
        if (!project.config.setupFiles.includes(SETUP_FILE)) project.config.setupFiles.unshift(SETUP_FILE)
      }
      project.provide(PROVIDE_KEY, config)
      let reporter = marked[REPORTER_ADDED]
      if (!reporter) {
        reporter = new NapiTracingReporter({ ...options, outputDir, mergeDir, rawDir: config.rawDir, problems, filter })
        marked[REPORTER_ADDED] = reporter
        // Added here, not in test.reporters, so that --reporter flags keep it;
        // `vitest bench` (Vitest 4) reports through benchmark.reporters instead.
        vitest.config.reporters.push(reporter as never)
        const bench = vitest.config.benchmark
        if (benchmarking(vitest) && bench) bench.reporters = [...[bench.reporters ?? []].flat(), reporter as never]
      }
      if (traced) reporter.traces(project.name)
    },
  } as Plugin
}

/** Whether this is a `vitest bench` run (Vitest 4's benchmark mode). */
function benchmarking(vitest: Vitest): boolean {
  return (vitest.config as { mode?: string }).mode === 'benchmark'
}

/** Why `dir` cannot be written, or undefined when it can. */
function checkWritable(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true })
    accessSync(dir, constants.W_OK)
    return undefined
  } catch (error) {
    return `cannot write to ${dir} (${messageOf(error)})`
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export default napiTracing
