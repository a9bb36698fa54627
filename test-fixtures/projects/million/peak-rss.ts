// Records this worker's peak resident set size when it exits, for the benchmark.
import { appendFileSync } from 'node:fs'
import { threadId } from 'node:worker_threads'

const out = process.env['PEAK_RSS_FILE']
if (out) {
  process.once('exit', () => {
    appendFileSync(out, `${JSON.stringify({ pid: process.pid, threadId, maxRssKb: process.resourceUsage().maxRSS })}\n`)
  })
}
