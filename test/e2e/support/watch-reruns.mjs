// Runs Vitest in watch mode on a fixture project and reruns one file many
// times, printing one JSON line per run: span counts from report.json and the
// main process's memory. Usage: node watch-reruns.mjs <vitest dir> <root> <file> <runs>
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [vitestDir, root, file, runs] = process.argv.slice(2)
const { createVitest } = await import(pathToFileURL(join(vitestDir, 'dist/node.js')).href)
const vitest = await createVitest('test', { root, watch: true, reporters: [] })
const report = () => JSON.parse(readFileSync(join(process.env.FIXTURE_OUTPUT_DIR, 'report.json'), 'utf8'))
const line = (run) => {
  globalThis.gc?.()
  const tests = report().tests.map((t) => [t.name, t.spans.reduce((n, s) => n + s.calls, 0)])
  console.log(JSON.stringify({ run, tests, heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss }))
}
await vitest.start()
line(1)
for (let run = 2; run <= Number(runs); run++) {
  await vitest.rerunFiles([join(root, file)])
  line(run)
}
await vitest.close()
