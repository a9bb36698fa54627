/** The README's marked code blocks (`<!-- example:name -->` above a fence), which tests run as written. */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

const README = resolve(import.meta.dirname, '../../README.md')

export function readmeBlock(name: string): string {
  const readme = readFileSync(README, 'utf8')
  const match = new RegExp(`<!-- example:${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme)
  if (!match?.[1]) throw new Error(`README.md has no <!-- example:${name} --> block`)
  return match[1]
}
