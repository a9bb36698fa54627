/**
 * The setup file the plugin adds: runs in every worker before each test
 * file. It starts tracing once per worker and marks files and tests on the
 * addons' clock, so spans can be attributed to the test they ran in.
 */
import * as vitest from 'vitest'
import { messageOf } from '../src/errors.js'
import { benchTasks, watchBenchmarks, type SuiteSource } from './worker/bench.js'
import { WorkerTracer } from './worker/tracer.js'
import './provided.js'

const { afterAll, beforeAll, beforeEach, inject } = vitest
// Awaited: an addon whose loader is an ES module is imported, not required.
const tracer = await WorkerTracer.get(inject('napiTracing'))
/**
 * Vitest's worker state (4.0, 4.1 and 5): the test file it runs now, and
 * the listeners it calls before the worker stops.
 */
const worker = (
  globalThis as {
    __vitest_worker__?: { filepath?: string; onCleanup?: (listener: () => unknown) => void; config?: { mode?: string; benchmark?: { enabled?: boolean } } }
  }
).__vitest_worker__
// Module loading of the test file happens after this line: it counts for the file.
tracer?.markFileStart(worker?.filepath)
// A file whose loading threw runs no hook: it ends when the worker stops, if no file follows.
if (worker?.onCleanup) tracer?.endFilesWhen(worker.onCleanup)

// Benchmarks run, through tinybench, in `vitest bench` (Vitest 4's benchmark
// mode) and in Vitest 5's benchmark project: each one's measured iterations are told apart.
const benchmarkMode = worker?.config?.mode === 'benchmark'
if (tracer && (benchmarkMode || worker?.config?.benchmark?.enabled)) {
  try {
    await watchBenchmarks(tracer.benchmarks)
    // `vitest bench` runs no test hook: a benchmark is found by its name. The
    // runner's static methods (4.1) replace vitest/suite (4.0), which 4.1 warns about.
    if (benchmarkMode) tracer.benchTaskOf = await benchTasks((vitest as { TestRunner?: SuiteSource }).TestRunner)
  } catch (error) {
    tracer.problemOnce(`benchmarks are not traced per iteration in this worker: ${messageOf(error)}`)
  }
}

interface FileSuite {
  filepath?: string
  name: string
  meta?: object
}

if (tracer) {
  const aroundEach = (vitest as { aroundEach?: (fn: (runTest: () => Promise<void>, context: { task: Parameters<WorkerTracer['runTest']>[0] }) => Promise<void>) => void }).aroundEach
  // Vitest reads each hook's source for the test.extend fixtures it uses,
  // and refuses a context parameter that is not destructured: every hook
  // here takes `{ task }`, which names no fixture.
  if (aroundEach) {
    // Vitest 4.1+ passes the file to top-level hooks as the second argument;
    // the first must be a destructuring pattern.
    beforeAll(({}, suite) => {
      const file = suite as unknown as FileSuite
      tracer.beginFile(file.filepath ?? file.name, file)
    })
    // Each test runs inside its caller store, so its calls into the addons are tagged.
    aroundEach(async (runTest, { task }) => {
      await tracer.runTest(task, runTest)
    })
  } else {
    // Vitest 4.0: the file is the first argument, and without aroundEach
    // the calls of concurrent tests cannot be told apart.
    beforeAll((suite) => {
      const file = suite as unknown as FileSuite
      tracer.beginFile(file.filepath ?? file.name, file)
    })
    // The window closes in the test's first onTestFinished handler, which
    // runs last (they run in reverse): after afterEach, fixture teardown and
    // the test's own onTestFinished handlers, whose spans are the test's.
    beforeEach(({ task, onTestFinished }) => {
      tracer.beginTest(task)
      onTestFinished(() => tracer.endTest(task))
    })
  }
  afterAll(() => {
    tracer.endFile()
  })
}
