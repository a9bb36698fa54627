/**
 * The TypeScript modules import one way, bottom to top: the library, the
 * shapes the workers and the reporter share, the pure report and trace
 * modules, the worker side, the reporter, the entry points. Read from each
 * file's relative imports, so an import that goes up (a cycle in the making)
 * fails here with the file and the import.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'

const REPO = resolve(import.meta.dirname, '..')

/** Each group of modules and its rank: a module may import only modules of a lower rank, or of its own group. */
const RANKS: Array<[RegExp, number, string]> = [
  [/^src\//, 0, 'the library'],
  [/^plugin\/data\//, 1, "the shapes workers write and the reporter reads"],
  [/^plugin\/package-manager\.ts$/, 0, "the project's package manager"],
  [/^plugin\/vitest-version\.ts$/, 1, 'the Vitest check'],
  [/^plugin\/(report|trace)\//, 2, 'the report model, its printers and the trace merge'],
  [/^plugin\/(options|spans)\.ts$/, 3, "the options and napiSpans()'s data"],
  [/^plugin\/(worker\/|provided\.ts$)/, 4, 'the worker side'],
  [/^plugin\/cli\//, 4, 'the command'],
  [/^plugin\/reporter\//, 5, 'the reporter and its steps'],
  [/^plugin\/(index|setup|test)\.ts$/, 6, 'the entry points'],
]

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(REPO, join(e.parentPath, e.name)))
}

function rankOf(file: string): [number, string] {
  const found = RANKS.find(([pattern]) => pattern.test(file))
  if (!found) throw new Error(`${file} is in no rank of test/imports-one-way.test.ts: add it where it belongs`)
  return [found[1], found[2]]
}

/** The repository files a module imports, from its relative `import` and `export … from` specifiers. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO, file), 'utf8')
  const specifiers = [...text.matchAll(/^(?:(?:import|export)\s[^'";]*?\sfrom\s+|import\s+)['"](\.[^'"]+)['"]/gm)].map((m) => m[1]!)
  return specifiers.map((s) => relative(REPO, resolve(REPO, dirname(file), s.replace(/\.js$/, '.ts'))))
}

const files = [...sources('src'), ...sources('plugin')]

describe('TypeScript imports', () => {
  test('every module imports only modules below it, or beside it in its group', () => {
    const upward: string[] = []
    for (const file of files) {
      const [rank, group] = rankOf(file)
      for (const imported of importsOf(file)) {
        const [theirs, theirGroup] = rankOf(imported)
        if (theirs > rank || (theirs === rank && theirGroup !== group)) upward.push(`${file} (${group}) imports ${imported} (${theirGroup})`)
      }
    }
    expect(upward).toEqual([])
  })

  test('no import cycle, within a group either', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f)]))
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '))
        return
      }
      state.set(file, 'open')
      for (const next of graph.get(file) ?? []) visit(next, [...path, file])
      state.set(file, 'done')
    }
    for (const file of files) visit(file, [])
    expect(cycles).toEqual([])
  })

  test('the reader finds the imports it guards', () => {
    expect(importsOf('plugin/reporter/build.ts')).toContain('plugin/report/model.ts')
    expect(importsOf('plugin/index.ts')).toContain('plugin/provided.ts')
  })
})
