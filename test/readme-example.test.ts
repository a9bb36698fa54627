/**
 * The README's TypeScript example runs as written: in a project outside the
 * repository whose `./native/index.js` is the fixture addon, on Node 24
 * (TypeScript and `using` natively), with an OTLP/HTTP receiver listening on
 * the endpoint the example names.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { FIB_ADDON_PATH } from './support/addons.js'
import { NODE_24, REPO } from './support/run-vitest.js'
import { loadTrace } from './support/trace-engine.js'

const dir = mkdtempSync(join(tmpdir(), 'napi-tracing-readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
  const match = /<!-- example:tracing -->\n```ts\n([\s\S]*?)```/.exec(readme)
  if (!match?.[1]) throw new Error('README.md has no <!-- example:tracing --> block')
  return match[1]
}

test('the section-2 example runs as written', async () => {
  mkdirSync(join(dir, 'native'))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(REPO, join(dir, 'node_modules', 'vitest-napi-tracing'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(join(dir, 'native', 'package.json'), JSON.stringify({ type: 'commonjs' }))
  writeFileSync(join(dir, 'native', 'index.js'), `module.exports = require(${JSON.stringify(FIB_ADDON_PATH)})\n`)
  writeFileSync(join(dir, 'example.ts'), readmeExample())

  // The OTLP endpoint the example names.
  const received: Buffer[] = []
  const receiver = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => received.push(chunk))
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end())
  })
  receiver.listen(4318, '127.0.0.1')
  await once(receiver, 'listening')
  try {
    // Asynchronous, so that the receiver in this process can answer.
    const child = await run(NODE_24, ['example.ts'], dir)
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
