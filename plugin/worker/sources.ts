/**
 * Where a sampled frame is in the source: V8 samples the code Vite's
 * transform produced, whose lines are not the file's (TypeScript stripped,
 * imports hoisted, code reformatted). The module runner Vitest evaluates
 * test files with keeps each module's inline source map; through it and
 * Node's `SourceMap`, a frame's line becomes the source's. Frames of
 * modules Vitest did not transform (Node's own, node_modules run by Node)
 * keep their lines, which are already the source's.
 */
import { SourceMap } from 'node:module'
import { dirname, isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CallFrame } from '../data/profile.js'

/** What this needs of the module runner's `EvaluatedModules` (Vite's, which Vitest 4 and 5 keep on their worker state). */
interface EvaluatedModules {
  getModuleSourceMapById(id: string): { map?: object } | null
}

function evaluatedModules(): EvaluatedModules | undefined {
  const state = (globalThis as { __vitest_worker__?: { evaluatedModules?: Partial<EvaluatedModules> } }).__vitest_worker__
  const modules = state?.evaluatedModules
  return typeof modules?.getModuleSourceMapById === 'function' ? (modules as EvaluatedModules) : undefined
}

/** Maps frames to their sources, one source map per module, read once. */
export class SourceLocator {
  readonly #maps = new Map<string, SourceMap | undefined>()

  /** `frame` at its place in the source, or as it is when no map covers it. */
  locate(frame: CallFrame): CallFrame {
    if (frame.lineNumber < 0 || !frame.url) return frame
    const map = this.#map(frame.url)
    if (!map) return frame
    const entry = map.findEntry(frame.lineNumber, Math.max(0, frame.columnNumber)) as { originalSource?: string; originalLine?: number; originalColumn?: number }
    if (entry.originalLine === undefined || entry.originalSource === undefined) return frame
    return { ...frame, url: this.#source(frame.url, entry.originalSource), lineNumber: entry.originalLine, columnNumber: entry.originalColumn ?? 0 }
  }

  /** A map's source as a path: relative ones are relative to the module. */
  #source(url: string, source: string): string {
    if (isAbsolute(source) || /^[a-z][a-z0-9+.-]*:/i.test(source)) return source
    return resolve(dirname(url.startsWith('file://') ? fileURLToPath(url) : url), source)
  }

  #map(url: string): SourceMap | undefined {
    if (this.#maps.has(url)) return this.#maps.get(url)
    let map: SourceMap | undefined
    try {
      const id = url.startsWith('file://') ? fileURLToPath(url) : url
      const payload = evaluatedModules()?.getModuleSourceMapById(id)?.map
      if (payload) map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0])
    } catch {
      map = undefined
    }
    this.#maps.set(url, map)
    return map
  }

  /** Forgets the maps read (the next file's modules are evaluated anew). */
  clear(): void {
    this.#maps.clear()
  }
}
