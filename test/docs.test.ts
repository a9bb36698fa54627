/**
 * The docs hold together. Their example blocks, which the end-to-end tests
 * and the e2e install run as written: each marker in README.md and
 * docs/*.md names one fenced block, no name is given twice, and every name
 * the tests and scripts ask for is there, so moving or renaming a block
 * fails here first. And their links: every relative link and image points
 * at a file that exists, and its #anchor at a heading there. And the
 * reference: every option of napiTracing() and every field of report.json
 * (and of its tests) has its row.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { docBlock, docBlocks, docFiles } from '../scripts/doc-blocks.mjs'
import { OPTION_KEYS } from '../plugin/options.js'

const REPO = resolve(import.meta.dirname, '..')
/** The pages whose links are checked, relative to the repository. */
const PAGES = [...docFiles(REPO), 'ARCHITECTURE.md', 'CONTRIBUTING.md']

/** The block names asked for in the files under `dirs`: `docBlock('name')`, or `docBlock(repo, 'name')`. */
function namesAskedFor(dirs: string[]): string[] {
  const files = dirs.flatMap((dir) =>
    readdirSync(join(REPO, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.(ts|mjs)$/.test(e.name))
      .map((e) => join(e.parentPath, e.name))
      // This file asks for blocks of its own, in docs of its own.
      .filter((file) => file !== import.meta.filename),
  )
  const names = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bdocBlock\((?:\w+, )?'([\w-]+)'\)/g)].map((m) => m[1]!))
  return [...new Set(names)].sort()
}

describe("the repository's docs", () => {
  test('each marker names one fenced block, and no name is given twice', () => {
    const blocks = docBlocks(REPO)
    expect(blocks.filter((b) => !b.code).map((b) => `${b.file}: ${b.name}`)).toEqual([])
    const names = blocks.map((b) => b.name)
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([])
  })

  test('every block the tests and scripts run is in the docs', () => {
    const asked = namesAskedFor(['test', 'scripts'])
    // The reader must see the names it guards.
    expect(asked).toEqual(expect.arrayContaining(['install', 'plugin', 'profile', 'tracing']))
    const present = new Set(docBlocks(REPO).map((b) => b.name))
    expect(asked.filter((n) => !present.has(n))).toEqual([])
  })
})

describe('docBlock', () => {
  const repo = mkdtempSync(join(tmpdir(), 'doc-blocks-'))
  afterAll(() => rmSync(repo, { recursive: true, force: true }))
  mkdirSync(join(repo, 'docs'))
  writeFileSync(join(repo, 'README.md'), '# x\n\n<!-- example:one -->\n```sh\necho one\n```\n\n<!-- example:twice -->\n```sh\necho a\n```\n')
  writeFileSync(join(repo, 'docs/a.md'), '<!-- example:two -->\n```toml\nkey = 2\n```\n\n<!-- example:bare -->\ntext, no fence\n')
  writeFileSync(join(repo, 'docs/b.md'), '<!-- example:twice -->\n```sh\necho b\n```\n')

  test('finds a block in the README or in any docs page', () => {
    expect(docBlock(repo, 'one')).toBe('echo one\n')
    expect(docBlock(repo, 'two')).toBe('key = 2\n')
  })

  test('a name given twice, a missing name and a marker without a fence are errors naming the files', () => {
    expect(() => docBlock(repo, 'twice')).toThrow('<!-- example:twice --> is in README.md and docs/b.md')
    expect(() => docBlock(repo, 'three')).toThrow('no <!-- example:three --> block in README.md, docs/a.md, docs/b.md')
    expect(() => docBlock(repo, 'bare')).toThrow('docs/a.md: <!-- example:bare --> has no fenced code block')
  })
})

/** A page's text without its fenced blocks and inline code, where brackets are code, not links. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '')
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const [, heading] of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

describe('links', () => {
  test('every relative link and image points at a file that exists, and its anchor at a heading there', () => {
    const broken: string[] = []
    for (const page of PAGES) {
      const text = readFileSync(join(REPO, page), 'utf8')
      for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue
        const [path, anchor] = target!.split('#') as [string, string | undefined]
        const file = path === '' ? join(REPO, page) : resolve(REPO, dirname(page), path)
        if (!existsSync(file)) broken.push(`${page}: ${target} (no ${relative(REPO, file)})`)
        else if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
          broken.push(`${page}: ${target} (no heading #${anchor} in ${relative(REPO, file)})`)
        }
      }
    }
    expect(broken).toEqual([])
  })

  test('anchors are the ones GitHub makes', () => {
    const page = '# Title\n## `napi_tracing::wrap()`\n### `#[napi] async fn`s\n## `vitest-napi-tracing/plugin`\n## A, b: c\n## A, b: c\n```sh\n# not a heading\n```\n'
    expect([...anchors(page)]).toEqual(['title', 'napi_tracingwrap', 'napi-async-fns', 'vitest-napi-tracingplugin', 'a-b-c', 'a-b-c-1'])
  })
})

describe('the reference', () => {
  test('docs/plugin.md documents every option of napiTracing() once, and no other', () => {
    const page = readFileSync(join(REPO, 'docs/plugin.md'), 'utf8')
    const options = page.slice(page.indexOf('\n## Options\n'), page.indexOf('\n## ', page.indexOf('\n## Options\n') + 1))
    const rows = [...options.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!)
    expect(rows.sort()).toEqual([...OPTION_KEYS].sort())
  })
  test('docs/report-json.md documents every field of report.json and of each test, as the report model declares them', () => {
    const fieldsOf = (type: string) => {
      const model = readFileSync(join(REPO, 'plugin/report/model.ts'), 'utf8')
      const body = model.slice(model.indexOf(`export interface ${type} {`), model.indexOf('\n}', model.indexOf(`export interface ${type} {`)))
      return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]!)
    }
    // The table's first cells: `tests[].warnings`, `errors` names tests[].errors too.
    const documented = new Set(
      [...readFileSync(join(REPO, 'docs/report-json.md'), 'utf8').matchAll(/^\| (`[^|]+`) \|/gm)].flatMap((m) => {
        const names = [...m[1]!.matchAll(/`([^`]+)`/g)].map((n) => n[1]!.replace(/\[\]$/, ''))
        const prefix = /^(.*\.)/.exec(names[0]!)?.[1] ?? ''
        return names.map((n, i) => (i > 0 && !n.includes('.') ? prefix + n : n))
      }),
    )
    expect(fieldsOf('SpanReport').filter((f) => !documented.has(f))).toEqual([])
    expect(fieldsOf('ReportTest').filter((f) => !documented.has(`tests[].${f}`))).toEqual([])
  })
})
