/**
 * The library's TypeScript example (docs/library.md) runs as written, with
 * the packed package installed: in a project whose `./index.js` is the
 * fixture addon (built against the packaged crate), on Node 24 (TypeScript
 * and `using` natively), with an OTLP/HTTP receiver listening where the
 * example sends.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { docBlock } from '../support/doc-blocks.js'
import { loadTrace } from '../support/trace-engine.js'
import { installedEnv } from './support/run-vitest.js'

const env = installedEnv(5)
// Inside the installed project: its node_modules holds the package.
const dir = mkdtempSync(join(env.dir, 'readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('the Tracing.start() example runs as written', async () => {
  // The example's OTLP endpoint, on a port that is free here.
  const received: Buffer[] = []
  const receiver: Server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => received.push(chunk))
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end())
  })
  receiver.listen(0, '127.0.0.1')
  await once(receiver, 'listening')
  const { port } = receiver.address() as AddressInfo
  const example = docBlock('tracing')
  expect(example).toContain("'http://127.0.0.1:4318'")
  // A napi-rs package: CommonJS, its loader at the root.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-example', private: true }))
  writeFileSync(join(dir, 'index.js'), `module.exports = require(${JSON.stringify(join(env.addons, 'fib/index.js'))})\n`)
  writeFileSync(join(dir, 'example.ts'), example.replace('127.0.0.1:4318', `127.0.0.1:${port}`))

  try {
    // Asynchronous, so that the receiver in this process can answer.
    const child = await run(env.node, ['example.ts'], dir)
    expect(child.status, child.stderr).toBe(0)
    // callbackLayer: one line per span, fmtLayer: pretty lines on stderr.
    expect(child.stdout).toMatch(/^fibonacci took \d+ ns$/m)
    expect(child.stdout.match(/^fibonacci_memoized took \d+ ns$/gm)).toHaveLength(19)
    expect(child.stderr).toContain('fib_addon')
    // chromeLayer: a trace DevTools reads.
    const trace = await loadTrace(join(dir, 'trace.json'))
    expect(trace.slices.filter((s) => s.name === 'fibonacci_memoized')).toHaveLength(19)
    // otlpLayer: the export reached the endpoint and names the spans.
    expect(Buffer.concat(received).toString('latin1')).toContain('fibonacci_memoized')
  } finally {
    receiver.close()
  }
})

function run(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}
