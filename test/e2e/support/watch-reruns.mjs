// Runs Vitest in watch mode on some files of a fixture project and reruns
// them many times, printing one JSON line per run from report.json: each
// test's span count, its counts by span name apart for spans placed by
// time, the run's problems, and the main process's memory.
// Usage: node watch-reruns.mjs <vitest dir> <root> <file[,file…]> <runs> [pool]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [vitestDir, root, files, runs, pool] = process.argv.slice(2)
const { createVitest } = await import(pathToFileURL(join(vitestDir, 'dist/node.js')).href)
const vitest = await createVitest('test', { root, watch: true, reporters: [], ...(pool ? { pool } : {}) })
const report = () => JSON.parse(readFileSync(join(process.env.FIXTURE_OUTPUT_DIR, 'report.json'), 'utf8'))
const byName = (spans, timed) => Object.fromEntries(spans.filter((s) => Boolean(s.timed || s.shared) === timed).map((s) => [s.name, s.calls]))
const line = (run) => {
  globalThis.gc?.()
  const r = report()
  const tests = r.tests.map((t) => [t.name, t.spans.reduce((n, s) => n + s.calls, 0)])
  const exact = Object.fromEntries(r.tests.map((t) => [t.name, byName(t.spans, false)]))
  const timed = Object.fromEntries(r.tests.map((t) => [t.name, byName(t.spans, true)]))
  // Outside tests, a file with only spans placed by time has none known to be there.
  const files = Object.fromEntries(r.files.map((f) => [f.file, byName(f.spans, false)]).filter(([, spans]) => Object.keys(spans).length > 0))
  const { heapUsed, rss } = process.memoryUsage()
  console.log(JSON.stringify({ run, tests, exact, timed, files, problems: r.problems, comparison: r.comparison, heapUsed, rss }))
}
await vitest.start(files.split(','))
line(1)
for (let run = 2; run <= Number(runs); run++) {
  await vitest.rerunFiles(files.split(',').map((file) => join(root, file)))
  line(run)
}
await vitest.close()
