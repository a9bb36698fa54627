/** Types of registry.mjs, for the end-to-end tests that use its helpers. */
export function crateVersion(repo: string): string
export function sourceConfig(vendor: string): string
export function buildRegistry(options: { repo: string; dir: string; workspaces: Array<{ dir: string; pins?: Record<string, string> }> }): string
