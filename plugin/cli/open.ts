/**
 * `vitest-napi-tracing open [trace.json]`: serves one trace file once on
 * 127.0.0.1, with the CORS header ui.perfetto.dev needs, and opens (or
 * prints, where there is no browser) the Perfetto link that loads it, the
 * way Perfetto's own opener script does. Resolves once the trace was fetched.
 */
import { spawn } from 'node:child_process'
import { createReadStream, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename } from 'node:path'
import { messageOf } from '../../src/errors.js'

/** The port ui.perfetto.dev fetches local traces from (its opener script's). */
export const PERFETTO_PORT = 9001
const ORIGIN = 'https://ui.perfetto.dev'

export interface Served {
  /** The link that opens the trace in Perfetto. */
  link: string
  /** Where the trace is served. */
  url: string
  port: number
  /** Resolves when the trace was fetched whole (then the server is closed). */
  fetched: Promise<void>
  close(): void
}

/** Listens on `port` on 127.0.0.1, or on a free port when it is taken. */
async function listen(server: Server, port: number): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
  try {
    return await attempt(port)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    return attempt(0)
  }
}

/** Serves `path` until it was fetched once. Throws (naming the file) when it cannot be read. */
export async function serveTrace(path: string, port = PERFETTO_PORT): Promise<Served> {
  let size: number
  try {
    size = statSync(path).size
  } catch (error) {
    throw new Error(`cannot read ${path}: ${messageOf(error)}; run the tests with the plugin first, or give the trace.json to open`)
  }
  const name = basename(path)
  let done: () => void = () => {}
  const fetched = new Promise<void>((resolve) => (done = resolve))
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', ORIGIN)
    res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS')
    res.setHeader('Cache-Control', 'no-cache')
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end()
      return
    }
    if (req.method !== 'GET' || req.url !== `/${encodeURIComponent(name)}`) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': size })
    createReadStream(path)
      .on('error', () => res.destroy())
      .pipe(res)
      .on('finish', () => {
        server.close()
        done()
      })
  })
  const bound = await listen(server, port)
  const url = `http://127.0.0.1:${bound}/${encodeURIComponent(name)}`
  return { link: `${ORIGIN}/#!/?url=${encodeURIComponent(url)}`, url, port: bound, fetched, close: () => server.close() }
}

/** Opens `link` in the desktop's browser; false where there is none to ask. */
export function openBrowser(link: string): boolean {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  if (process.platform === 'linux' && !process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY']) return false
  try {
    const child = spawn(command, [link], { stdio: 'ignore', detached: true })
    child.on('error', () => {})
    child.unref()
    return true
  } catch {
    return false
  }
}
