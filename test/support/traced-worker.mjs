// A worker_threads worker that loads the fixture addon and traces it with its
// own layer. Imports the built package (dist/), as a user's worker would.
import { parentPort, workerData, threadId } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { Tracing, callbackLayer } from '../../dist/src/index.js'

const fib = createRequire(import.meta.url)('../../test-fixtures/addons/fib/index.js')
const spans = []
const tracing = Tracing.start(fib, {
  filter: 'trace',
  layers: [callbackLayer({ onNewSpan: (s) => void spans.push({ name: s.name, index: s.fields.index, threadId: s.threadId, parent: s.parent, id: s.id }) })],
})

if (workerData.mode === 'busy') {
  // Leave background threads making spans, and tell the parent how many of
  // their `tick` spans this worker's own layer has received so far.
  fib.spawnBackground(4, 5_000)
  const loop = () => {
    fib.fibonacci(3, false)
    setImmediate(loop)
  }
  setInterval(() => parentPort.postMessage({ threadId, ticks: spans.filter((s) => s.name === 'tick').length }), 10)
  loop()
} else {
  fib.fibonacci(workerData.index, false)
  fib.fanOut(2, workerData.index)
  const stats = tracing.close()
  parentPort.postMessage({ threadId, spans, stats })
}
