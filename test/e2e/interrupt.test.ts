/**
 * Ctrl+C on a hanging test, as installed: Vitest exits without calling any
 * reporter, so the plugin writes the run's report.json and trace.json from
 * what the workers checkpointed, marked interrupted; the previous run's
 * files never pass for this one's.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import type { SpanReport } from 'vitest-napi-tracing/plugin'
import { classicCalls } from '../support/counts.js'
import { loadTrace } from '../support/trace-engine.js'
import { calls, testNamed } from './support/report.js'
import { installedEnv, type Pool } from './support/run-vitest.js'

/** Runs the hanging project until its test hangs, then sends SIGINT to its process group, as a terminal's Ctrl+C does. */
async function interrupt(pool: Pool, outputDir: string): Promise<{ code: number | null; output: string }> {
  const env = installedEnv()
  const ready = join(mkdtempSync(join(tmpdir(), 'napi-tracing-ready-')), 'ready')
  const child = spawn(env.node, [env.vitest, 'run', '--root', join(env.projects, 'hanging'), '--pool', pool], {
    cwd: mkdtempSync(join(tmpdir(), 'napi-tracing-cwd-')),
    env: { ...process.env, FIXTURE_OUTPUT_DIR: outputDir, FIXTURE_READY: ready, NO_COLOR: '1' },
    detached: true,
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const until = Date.now() + 60_000
  while (!existsSync(ready) && Date.now() < until) await sleep(50)
  expect(existsSync(ready), output).toBe(true)
  // Past a checkpoint (every 100 ms) of the hanging test's spans.
  await sleep(400)
  process.kill(-child.pid!, 'SIGINT')
  const code = await Promise.race([exited, sleep(30_000).then(() => 'hung' as const)])
  if (code === 'hung') {
    process.kill(-child.pid!, 'SIGKILL')
    throw new Error(`vitest did not exit after SIGINT:\n${output}`)
  }
  return { code, output }
}

describe.each(['forks', 'threads'] as Pool[])('Ctrl+C on a hanging test (%s)', (pool) => {
  test('report.json and trace.json are this run\'s, marked interrupted, with the hanging test\'s spans so far', async () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'napi-tracing-interrupt-'))
    // An earlier run's files, which must not pass for this one's.
    mkdirSync(outputDir, { recursive: true })
    writeFileSync(join(outputDir, 'report.json'), '{"earlier":true}\n')
    writeFileSync(join(outputDir, 'trace.json'), '{"traceEvents":[]}\n')
    const { code, output } = await interrupt(pool, outputDir)
    expect(code, output).not.toBe(0)
    const report = JSON.parse(readFileSync(join(outputDir, 'report.json'), 'utf8')) as SpanReport
    expect(report.interrupted, output).toBe(true)
    expect(report.problems[0]).toMatch(/^the run was interrupted \(SIGINT\): these are the figures and trace the workers had written down/)
    expect(calls(testNamed(report, 'finishes'), 'fibonacci')).toBe(classicCalls(5))
    // Where it hangs: its spans up to the last checkpoint.
    expect(calls(testNamed(report, 'hangs'), 'fibonacci')).toBe(classicCalls(4))
    expect(report.trace?.events).toBeGreaterThan(0)
    const trace = await loadTrace(join(outputDir, 'trace.json'))
    expect(trace.slices.filter((s) => s.name === 'fibonacci').length).toBe(classicCalls(5) + classicCalls(4))
    expect(output).toMatch(/NAPI TRACING/)
  }, 120_000)
})
