// The docs' marked code blocks: `<!-- example:name -->` right above a fenced
// block in README.md or docs/*.md. Tests and the e2e install run them as
// written, so each name is one block in one place, wherever it moves.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const MARKER = /<!-- example:([\w-]+) -->(\n```\w*\n([\s\S]*?)```)?/g

/** The files blocks may live in, relative to `repo`: README.md, then docs/*.md by name. */
export function docFiles(repo) {
  const docs = existsSync(join(repo, 'docs')) ? readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).sort() : []
  return ['README.md', ...docs.map((f) => `docs/${f}`)]
}

/** Every marker in those files: its name, its file, and the code of the fence below it (undefined when none is). */
export function docBlocks(repo) {
  return docFiles(repo).flatMap((file) =>
    [...readFileSync(join(repo, file), 'utf8').matchAll(MARKER)].map((m) => ({ name: m[1], file, code: m[3] })),
  )
}

/**
 * The code of the block named `name`. Throws, naming the files, when no
 * marker has that name, when two have it, or when its marker has no fenced
 * block right below it.
 */
export function docBlock(repo, name) {
  const found = docBlocks(repo).filter((b) => b.name === name)
  if (found.length === 0) throw new Error(`no <!-- example:${name} --> block in ${docFiles(repo).join(', ')}`)
  if (found.length > 1) throw new Error(`<!-- example:${name} --> is in ${found.map((b) => b.file).join(' and ')}: give each block one name, in one place`)
  const [block] = found
  if (!block.code) throw new Error(`${block.file}: <!-- example:${name} --> has no fenced code block on the line below it`)
  return block.code
}
