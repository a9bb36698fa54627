/** Types of doc-blocks.mjs, for the tests that run the docs' blocks. */
export function docFiles(repo: string): string[]
export function docBlocks(repo: string): Array<{ name: string; file: string; code: string | undefined }>
export function docBlock(repo: string, name: string): string
