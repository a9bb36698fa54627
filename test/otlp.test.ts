/**
 * otlpLayer end to end: spans from the fib fixture addon reach a real OTLP/HTTP
 * receiver (decoded with OpenTelemetry's own protocol definitions), the stdout
 * exporter, and an endpoint that refuses connections.
 */
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { Tracing, callbackLayer, otlpLayer } from '../src/index.js'
import { FIB_ADDON_PATH, fib } from './support/addons.js'
import { classicCalls } from './support/counts.js'
import { RecordingLayer } from './support/recording-layer.js'

const require = createRequire(import.meta.url)
const DIST_INDEX = fileURLToPath(new URL('../dist/src/index.js', import.meta.url))

/** The protobufjs code OpenTelemetry generated from opentelemetry-proto. */
interface ProtoMessage {
  decode(bytes: Uint8Array): unknown
  toObject(message: unknown, options: Record<string, unknown>): unknown
}
const otlpProto = require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoMessage } } } } }
}
const ExportTraceServiceRequest = otlpProto.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest

interface OtlpEvent {
  name: string
  attributes: Record<string, unknown>
}
interface OtlpSpan {
  name: string
  traceId: string
  spanId: string
  /** '' for a root span. */
  parentSpanId: string
  attributes: Record<string, unknown>
  events: OtlpEvent[]
}
interface OtlpExport {
  resource: Record<string, unknown>
  spans: OtlpSpan[]
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
/** Ids: hex strings in OTLP/JSON, byte arrays from protobuf. */
function hex(value: unknown): string {
  if (typeof value === 'string') return value.toLowerCase()
  if (Array.isArray(value) || value instanceof Uint8Array) return Buffer.from(value as number[]).toString('hex')
  return ''
}
/** An OTLP AnyValue as a plain value (64-bit integers arrive as strings or numbers). */
function anyValue(value: unknown): unknown {
  const v = record(value)
  if ('stringValue' in v) return v['stringValue']
  if ('boolValue' in v) return v['boolValue']
  if ('intValue' in v) return Number(v['intValue'])
  if ('doubleValue' in v) return Number(v['doubleValue'])
  if ('arrayValue' in v) return list(record(v['arrayValue'])['values']).map(anyValue)
  return value
}
function attributes(value: unknown): Record<string, unknown> {
  return Object.fromEntries(list(value).map((kv) => [String(record(kv)['key']), anyValue(record(kv)['value'])]))
}

/** Reads an ExportTraceServiceRequest in its object form (protobuf's toObject or OTLP/JSON). */
function readExport(request: unknown): OtlpExport[] {
  return list(record(request)['resourceSpans']).map((rs) => ({
    resource: attributes(record(record(rs)['resource'])['attributes']),
    spans: list(record(rs)['scopeSpans']).flatMap((ss) =>
      list(record(ss)['spans']).map((s) => {
        const span = record(s)
        return {
          name: String(span['name']),
          traceId: hex(span['traceId']),
          spanId: hex(span['spanId']),
          parentSpanId: hex(span['parentSpanId']),
          attributes: attributes(span['attributes']),
          events: list(span['events']).map((e) => ({
            name: String(record(e)['name']),
            attributes: attributes(record(e)['attributes']),
          })),
        }
      }),
    ),
  }))
}

interface Received {
  path: string
  contentType: string
  body: Uint8Array
}

/**
 * An OTLP/HTTP receiver on 127.0.0.1. It runs on a worker thread: close()
 * blocks this thread while the exporter waits for the receiver's answer.
 */
class Receiver {
  readonly requests: Received[] = []
  private constructor(
    private readonly worker: Worker,
    readonly port: number,
  ) {
    worker.on('message', (m: { kind: string } & Received) => {
      if (m.kind === 'request') this.requests.push({ path: m.path, contentType: m.contentType, body: m.body })
    })
  }

  static async start(): Promise<Receiver> {
    const worker = new Worker(
      `
      const { parentPort } = require('node:worker_threads')
      const http = require('node:http')
      const server = http.createServer((req, res) => {
        const chunks = []
        req.on('data', (c) => chunks.push(c))
        req.on('end', () => {
          const contentType = req.headers['content-type'] ?? ''
          parentPort.postMessage({ kind: 'request', path: req.url, contentType, body: Buffer.concat(chunks) })
          // An empty ExportTraceServiceResponse: full success.
          const json = contentType.includes('json')
          res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
          res.end(json ? '{}' : '')
        })
      })
      server.listen(0, '127.0.0.1', () => parentPort.postMessage({ kind: 'listening', port: server.address().port }))
      parentPort.on('message', () => server.close(() => parentPort.close()))
      `,
      { eval: true },
    )
    const [message] = (await once(worker, 'message')) as [{ kind: string; port: number }]
    return new Receiver(worker, message.port)
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Everything received, decoded by content type. */
  exports(): OtlpExport[] {
    return this.requests.flatMap((r) => {
      if (r.contentType.includes('json')) return readExport(JSON.parse(Buffer.from(r.body).toString('utf8')))
      const message = ExportTraceServiceRequest.decode(r.body)
      return readExport(ExportTraceServiceRequest.toObject(message, { longs: String, bytes: Array, arrays: true }))
    })
  }

  spans(): OtlpSpan[] {
    return this.exports().flatMap((e) => e.spans)
  }

  async stop(): Promise<void> {
    this.worker.postMessage('close')
    await this.worker.terminate()
  }
}

/** A port on 127.0.0.1 that nothing listens on any more. */
async function closedPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  server.close()
  await once(server, 'close')
  return port
}

/** Runs an ES module script with node; resolves with its output, whatever the exit code. */
function runScript(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'otlp-test-'))
  const script = join(dir, 'script.mjs')
  writeFileSync(script, source)
  return new Promise((resolve) => {
    execFile(process.execPath, [script], { timeout: 60_000, env: { ...process.env, RUST_LOG: '' } }, (error, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true })
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr })
    })
  })
}

/** A script's preamble: the built library and the fixture addon. */
const PREAMBLE = `
import { createRequire } from 'node:module'
import { Tracing, otlpLayer } from ${JSON.stringify(DIST_INDEX)}
const fib = createRequire(import.meta.url)(${JSON.stringify(FIB_ADDON_PATH)})
`

/** Checks fibonacci(index, false)'s spans: one per call, each under its caller. */
function expectFibonacciTree(spans: OtlpSpan[], index: number): void {
  const fibs = spans.filter((s) => s.name === 'fibonacci')
  expect(fibs).toHaveLength(classicCalls(index))
  const byId = new Map(fibs.map((s) => [s.spanId, s]))
  const roots = fibs.filter((s) => s.parentSpanId === '')
  expect(roots).toHaveLength(1)
  // tracing-opentelemetry records unsigned integers (index is a u32) through Debug, as strings.
  expect(roots[0]?.attributes).toMatchObject({ index: String(index), use_memoized: false })
  expect(new Set(fibs.map((s) => s.traceId)).size).toBe(1)
  for (const span of fibs) {
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/)
    if (span === roots[0]) continue
    const parent = byId.get(span.parentSpanId)
    expect(parent, `parent of ${span.spanId}`).toBeDefined()
    // fibonacci(n) calls fibonacci(n - 1) and fibonacci(n - 2).
    expect([1, 2]).toContain(Number(parent?.attributes['index']) - Number(span.attributes['index']))
  }
  // Each index appears as often as the recursion calls it.
  const count = (i: number) => fibs.filter((s) => Number(s.attributes['index']) === i).length
  for (const [i, calls] of callCounts(index)) expect(count(i), `spans with index ${i}`).toBe(calls)
}

/** How often fibonacci(index, false) calls fibonacci with each index. */
function callCounts(index: number, counts = new Map<number, number>()): Map<number, number> {
  counts.set(index, (counts.get(index) ?? 0) + 1)
  if (index >= 2) {
    callCounts(index - 1, counts)
    callCounts(index - 2, counts)
  }
  return counts
}

let tracing: Tracing | undefined
afterEach(() => {
  tracing?.close()
  tracing = undefined
  vi.restoreAllMocks()
})

describe('OTLP/HTTP to a real receiver', () => {
  let receiver: Receiver
  beforeAll(async () => {
    receiver = await Receiver.start()
  })
  afterAll(async () => {
    await receiver.stop()
  })

  test.each([
    ['binary', 'application/x-protobuf'],
    ['json', 'application/json'],
  ] as const)('protocol %s: spans, parents, fields, events and the resource arrive', async (protocol, contentType) => {
    receiver.requests.length = 0
    const serviceName = `otlp-test-${protocol}`
    tracing = Tracing.start(fib, {
      filter: 'trace',
      layers: [otlpLayer({ endpoint: receiver.endpoint, protocol, serviceName, timeoutMs: 10_000 })],
    })
    expect(fib.fibonacci(5, false)).toBe(5)
    fib.emitEvents()
    const stats = tracing.close()
    expect(stats).toMatchObject({ dropped: 0, warnings: [] })
    // close() returned once the receiver answered; its messages follow.
    await vi.waitFor(() => expect(receiver.spans()).toHaveLength(classicCalls(5) + 1))

    for (const r of receiver.requests) {
      expect(r.path).toBe('/v1/traces')
      expect(r.contentType).toContain(contentType)
    }
    const exports = receiver.exports()
    for (const e of exports) expect(e.resource['service.name']).toBe(serviceName)
    const spans = exports.flatMap((e) => e.spans)
    expectFibonacciTree(spans, 5)

    const [emit, ...others] = spans.filter((s) => s.name === 'emit_events')
    expect(others).toHaveLength(0)
    expect(emit?.parentSpanId).toBe('')
    expect(emit?.events.map((e) => e.name)).toEqual([
      'a trace event',
      'a debug event',
      'an info event',
      'a warn event',
      'an error event',
    ])
    expect(emit?.events[0]?.attributes).toMatchObject({ answer: 42 })
    expect(emit?.events[2]?.attributes).toMatchObject({ ratio: 0.5, ok: true })
    expect(emit?.events[3]?.attributes).toMatchObject({ name: 'fib' })
  })

  test('flush() sends what has ended so far; the HTTP stack traces nothing into the session', async () => {
    receiver.requests.length = 0
    const layer = new RecordingLayer()
    tracing = Tracing.start(fib, {
      filter: 'trace',
      layers: [otlpLayer({ endpoint: receiver.endpoint, timeoutMs: 10_000 }), callbackLayer(layer)],
    })
    const unattributed = tracing.stats().unattributed
    fib.fibonacci(4, false)
    tracing.flush()
    await vi.waitFor(() => expect(receiver.spans()).toHaveLength(classicCalls(4)))
    expectFibonacciTree(receiver.spans(), 4)
    // A second export, received: records the HTTP stack made during the first (on the exporter's
    // threads, which are muted) would have been queued by now. Without the muting, they arrive.
    fib.fibonacci(1, false)
    tracing.flush()
    await vi.waitFor(() => expect(receiver.spans()).toHaveLength(classicCalls(4) + 1))
    tracing.flush()
    const targets = new Set([...layer.spans.values()].map((s) => s.target).concat(layer.events().map((e) => e.target)))
    expect([...targets]).toEqual(['fib_addon'])
    expect(layer.named('fibonacci')).toHaveLength(classicCalls(4) + 1)
    expect(tracing.stats().unattributed).toBe(unattributed)
    expect(tracing.close()).toMatchObject({ dropped: 0, warnings: [] })
  })
})

describe('the stdout exporter', () => {
  test('prints every span with its parent and fields', async () => {
    const { code, stdout, stderr } = await runScript(`${PREAMBLE}
const tracing = Tracing.start(fib, { filter: 'trace', layers: [otlpLayer({ stdout: true, serviceName: 'otlp-stdout-test' })] })
fib.fibonacci(4, false)
console.error(JSON.stringify(tracing.close()))
`)
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stderr.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ dropped: 0, warnings: [] })
    expect(stdout).toMatch(/service\.name=.*otlp-stdout-test/)
    expectFibonacciTree(parseStdoutExporter(stdout), 4)
  })
})

/** Reads opentelemetry-stdout's text: `Span #n` blocks of `\tKey : value` lines. */
function parseStdoutExporter(text: string): OtlpSpan[] {
  const spans: OtlpSpan[] = []
  let span: OtlpSpan | undefined
  let inEvents = false
  for (const line of text.split('\n')) {
    if (/^Span #\d+$/.test(line)) {
      span = { name: '', traceId: '', spanId: '', parentSpanId: '', attributes: {}, events: [] }
      spans.push(span)
      inEvents = false
      continue
    }
    if (!span) continue
    if (line === '\tEvents:') inEvents = true
    if (inEvents) continue
    const field = /^\t(Name|TraceId|SpanId|ParentSpanId)\s*: (.*)$/.exec(line)
    if (field) {
      const [, key, value = ''] = field
      if (key === 'Name') span.name = value
      if (key === 'TraceId') span.traceId = value
      if (key === 'SpanId') span.spanId = value
      if (key === 'ParentSpanId') span.parentSpanId = value.startsWith('None') ? '' : value
      continue
    }
    // `\t\t ->  index: I64(3)`, `\t\t ->  use_memoized: Bool(false)`
    const attribute = /^\t\t -> {2}([\w.]+): (\w+)\((.*)\)$/.exec(line)
    if (attribute) {
      const [, key = '', type, raw = ''] = attribute
      // Strings print as String(Owned("4")) or String(Static("4")).
      span.attributes[key] =
        type === 'I64' || type === 'F64' ? Number(raw) : type === 'Bool' ? raw === 'true' : (/"(.*)"/.exec(raw)?.[1] ?? raw)
    }
  }
  return spans
}

describe('an endpoint that refuses connections', () => {
  test('flush() and close() return within the timeout; the spans are counted as dropped', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const endpoint = `http://127.0.0.1:${await closedPort()}`
    const timeoutMs = 1000
    tracing = Tracing.start(fib, { filter: 'info', layers: [otlpLayer({ endpoint, timeoutMs })] })
    fib.fibonacci(5, false)

    let started = performance.now()
    tracing.flush()
    expect(performance.now() - started).toBeLessThan(timeoutMs + 2000)

    started = performance.now()
    const stats = tracing.close()
    expect(performance.now() - started).toBeLessThan(timeoutMs + 2000)
    expect(stats.dropped).toBe(classicCalls(5))
    expect(stats.warnings).toHaveLength(1)
    expect(stats.warnings[0]).toContain(`${classicCalls(5)} spans could not be exported to ${endpoint}/v1/traces`)
    expect(stats.warnings[0]).toContain('is an OTLP/HTTP receiver listening there?')
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`${endpoint}/v1/traces`))
  })

  test('a process that never closes its Tracing still exits, and says what was lost', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`
    const { code, stderr } = await runScript(`${PREAMBLE}
Tracing.start(fib, { filter: 'info', layers: [otlpLayer({ endpoint: ${JSON.stringify(endpoint)}, timeoutMs: 1000 })] })
fib.fibonacci(3, false)
`)
    expect(code, stderr).toBe(0)
    expect(stderr).toContain(`${classicCalls(3)} spans could not be exported to ${endpoint}/v1/traces`)
  })
})

describe('configuration errors', () => {
  test('an invalid endpoint is named, with the fix', () => {
    expect(() => Tracing.start(fib, { layers: [otlpLayer({ endpoint: 'localhost 4318' })] })).toThrow(
      /otlpLayer: endpoint "localhost 4318" is not a valid URL.*http:\/\/127\.0\.0\.1:4318/,
    )
    expect(() => Tracing.start(fib, { layers: [otlpLayer({ endpoint: 'https://collector:4318' })] })).toThrow(
      /https.*without TLS/,
    )
  })
})
