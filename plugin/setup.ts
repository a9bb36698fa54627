/**
 * The setup file the plugin adds: runs in every worker before each test
 * file. It starts tracing once per worker and marks files and tests on the
 * hrtime clock, so spans can be attributed to the test they ran in.
 */
import { afterAll, aroundEach, beforeAll, inject } from 'vitest'
import { WorkerTracer } from './worker.js'
import './provided.js'

const tracer = WorkerTracer.get(inject('napiTracing'))
// Module loading of the test file happens after this line: it counts for the file.
const fileStart = process.hrtime.bigint()

// Vitest 4.1+ passes the file to top-level hooks as the second argument; the
// first must be a destructuring pattern.
if (tracer) {
  beforeAll(({}, suite) => {
    tracer.beginFile((suite as { filepath?: string }).filepath ?? suite.name, fileStart, suite)
  })

  aroundEach(async (runTest, context) => {
    await tracer.runTest(context.task, runTest)
  })

  afterAll(() => {
    tracer.endFile()
  })
}
