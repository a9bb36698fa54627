// Records this worker's peak resident set size after each file, for the benchmark
// (forks are stopped with a signal at the end, so 'exit' handlers do not run).
import { appendFileSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import { afterAll } from 'vitest'

const out = process.env['PEAK_RSS_FILE']
if (out) {
  afterAll(() => {
    appendFileSync(out, `${JSON.stringify({ pid: process.pid, threadId, maxRssKb: process.resourceUsage().maxRSS })}\n`)
  })
}
