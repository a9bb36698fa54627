// Traces the fixture addon with a TypeScript layer and prints the span tree.
import { createRequire } from 'node:module'
import { Tracing, callbackLayer } from '../../dist/src/index.js'

const fib = createRequire(import.meta.url)('../addons/fib/index.js')

class TreePrinter {
  depth = new Map()
  onNewSpan(span) {
    const depth = span.parent ? (this.depth.get(span.parent) ?? 0) + 1 : 0
    this.depth.set(span.id, depth)
    const fields = Object.entries(span.fields).map(([k, v]) => `${k}=${v}`).join(' ')
    console.log(`${'  '.repeat(depth)}${span.name} {${fields}} [${span.threadName}]`)
    return { start: span.timestamp }
  }
  onEvent(event) {
    const depth = event.parent ? (this.depth.get(event.parent) ?? 0) + 1 : 0
    console.log(`${'  '.repeat(depth)}${event.level} ${event.message ?? ''}`)
  }
  onClose(span, state) {
    this.depth.delete(span.id)
    if (span.name !== 'fibonacci') console.log(`  (${span.name} closed after ${Number(span.timestamp - state.start) / 1e3} µs)`)
  }
}

const tracing = Tracing.start(fib, { filter: 'trace', layers: [callbackLayer(new TreePrinter())] })
try {
  console.log('fibonacci(4, false) =', fib.fibonacci(4, false))
  console.log('fanOut(2, 2) =', fib.fanOut(2, 2))
  fib.emitEvents()
  console.log('fibonacciAsync(10) =', await fib.fibonacciAsync(10))
} finally {
  console.log(tracing.close())
}
