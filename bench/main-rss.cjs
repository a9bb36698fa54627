// Preloaded into the Vitest main process by bench/suite.ts: records its peak RSS at exit.
const { writeFileSync } = require('node:fs')
const out = process.env.MAIN_RSS_FILE
if (out) process.on('exit', () => writeFileSync(out, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })))
