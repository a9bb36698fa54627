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
import { checkOptions, isDisabled, outputDirOf, PROVIDE_KEY, resolveAddons, type NapiTracingOptions, type WorkerConfig } from './options.js'
import { NapiTracingReporter } from './reporter.js'
import './provided.js'

export type { NapiTracingOptions } from './options.js'
export { NapiTracingReporter } from './reporter.js'

const SETUP_FILE = fileURLToPath(new URL('./setup.js', import.meta.url))
/**
 * What the setup file loads (this package's compiled modules, the setup file
 * itself aside): run by Node as they are, not transformed by Vite in every
 * worker. Under node_modules Vitest does this by itself; a linked package,
 * a workspace or a checkout would otherwise pay for the transform in each
 * worker (about 0.2 s of the suite per worker here). The setup file stays
 * inlined: Vitest runs setup files through its module runner.
 */
const OWN_MODULES = new RegExp(
  `^${escapeRegExp(fileURLToPath(new URL('..', import.meta.url)).replaceAll('\\', '/'))}(?:src/|plugin/(?!setup\\.js$))`,
)
/** Marks a Vitest instance that has our reporter; survives config re-bundling per project. */
const REPORTER_ADDED = Symbol.for('vitest-napi-tracing.reporter')

export function napiTracing(options: NapiTracingOptions): Plugin {
  checkOptions(options)
  return {
    name: 'vitest:napi-tracing',
    config() {
      if (isDisabled()) return
      return { test: { server: { deps: { external: [OWN_MODULES] } } } }
    },
    configureVitest({ vitest, project }: { vitest: Vitest; project: TestProject }) {
      if (isDisabled()) return
      const root = vitest.config.root
      const outputDir = outputDirOf(options, root)
      const addons = resolveAddons(options.addons, root)
      const config: WorkerConfig = {
        addons: addons.flatMap((a) => (a.path ? [{ label: a.label, path: a.path }] : [])),
        filter: options.filter,
        rawDir: join(outputDir, '.workers'),
        root,
        queueCapacity: options.queueCapacity,
      }
      const problems = addons.flatMap((a) => (a.problem ? [a.problem] : []))
      const unwritable = checkWritable(config.rawDir)
      if (unwritable) {
        // The tests run untraced rather than not at all.
        problems.push(`tracing is off: ${unwritable}; set napiTracing({ outputDir }) to a folder you can write to`)
      } else if (!project.config.setupFiles.includes(SETUP_FILE)) {
        // Called once per project: add the setup file once to each.
        project.config.setupFiles.push(SETUP_FILE)
      }
      project.provide(PROVIDE_KEY, config)
      const marked = vitest as unknown as Record<symbol, boolean>
      if (!marked[REPORTER_ADDED]) {
        marked[REPORTER_ADDED] = true
        // Added here, not in test.reporters, so that --reporter flags keep it.
        vitest.config.reporters.push(new NapiTracingReporter({ ...options, outputDir, rawDir: config.rawDir, problems }) as never)
      }
    },
  } as Plugin
}

/** Why `dir` cannot be written, or undefined when it can. */
function checkWritable(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true })
    accessSync(dir, constants.W_OK)
    return undefined
  } catch (error) {
    return `cannot write to ${dir} (${error instanceof Error ? error.message : String(error)})`
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export default napiTracing
