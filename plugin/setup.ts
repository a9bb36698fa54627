/**
 * The setup file the plugin adds: runs in every worker before each test
 * file. It starts tracing once per worker and marks files and tests on the
 * addons' clock, so spans can be attributed to the test they ran in.
 */
import * as vitest from 'vitest'
import { WorkerTracer } from './worker/tracer.js'
import './provided.js'

const { afterAll, afterEach, beforeAll, beforeEach, inject } = vitest
// Awaited: an addon whose loader is an ES module is imported, not required.
const tracer = await WorkerTracer.get(inject('napiTracing'))
// Module loading of the test file happens after this line: it counts for the file.
tracer?.markFileStart()

interface FileSuite {
  filepath?: string
  name: string
  meta?: object
}

if (tracer) {
  const aroundEach = (vitest as { aroundEach?: (fn: (runTest: () => Promise<void>, context: { task: Parameters<WorkerTracer['runTest']>[0] }) => Promise<void>) => void }).aroundEach
  if (aroundEach) {
    // Vitest 4.1+ passes the file to top-level hooks as the second argument;
    // the first must be a destructuring pattern.
    beforeAll(({}, suite) => {
      const file = suite as unknown as FileSuite
      tracer.beginFile(file.filepath ?? file.name, file)
    })
    // Each test runs inside its caller store, so its calls into the addons are tagged.
    aroundEach(async (runTest, context) => {
      await tracer.runTest(context.task, runTest)
    })
  } else {
    // Vitest 4.0: the file is the first argument, and without aroundEach
    // the calls of concurrent tests cannot be told apart.
    beforeAll((suite) => {
      const file = suite as unknown as FileSuite
      tracer.beginFile(file.filepath ?? file.name, file)
    })
    beforeEach((context) => tracer.beginTest(context.task))
    afterEach((context) => tracer.endTest(context.task))
  }
  afterAll(() => {
    tracer.endFile()
  })
}
