/**
 * The docs' example blocks, which the end-to-end tests and the e2e install
 * run as written: each marker in README.md and docs/*.md names one fenced
 * block, no name is given twice, and every name the tests and scripts ask
 * for is there, so moving or renaming a block fails here first.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { docBlock, docBlocks } from '../scripts/doc-blocks.mjs'

const REPO = resolve(import.meta.dirname, '..')

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
