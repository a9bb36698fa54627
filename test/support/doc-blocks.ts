/** The docs' marked code blocks (`<!-- example:name -->` above a fence, in README.md or docs/*.md), which tests run as written. */
import { resolve } from 'node:path'
import { docBlock as blockIn } from '../../scripts/doc-blocks.mjs'

const REPO = resolve(import.meta.dirname, '../..')

/** The code of the block named `name`; throws when it is missing, or named twice. */
export function docBlock(name: string): string {
  return blockIn(REPO, name)
}
