/**
 * Which package manager a project uses, so that a command printed for the
 * user is one they can paste: from the nearest lock file above a folder,
 * else from the one running us (`npm_config_user_agent`), else npm.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun'

/** Lock files in the order they are looked for in each folder. */
const LOCK_FILES: ReadonlyArray<[string, PackageManager]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
]

/** The package manager of the project `dir` is in (a folder), and how it was told. */
export function packageManagerOf(dir: string, env: NodeJS.ProcessEnv = process.env): { name: PackageManager; from: string } {
  for (let at = dir; ; at = dirname(at)) {
    for (const [file, name] of LOCK_FILES) if (existsSync(join(at, file))) return { name, from: join(at, file) }
    if (dirname(at) === at) break
  }
  const agent = /^(npm|pnpm|yarn|bun)\//.exec(env['npm_config_user_agent'] ?? '')?.[1] as PackageManager | undefined
  if (agent) return { name: agent, from: 'npm_config_user_agent' }
  return { name: 'npm', from: 'no lock file found' }
}

/** The command that adds `spec` (`vitest@^4`) to the project's devDependencies. */
export function addDevCommand(manager: PackageManager, spec: string): string {
  switch (manager) {
    case 'npm':
      return `npm install --save-dev ${spec}`
    case 'pnpm':
      return `pnpm add -D ${spec}`
    case 'yarn':
      return `yarn add -D ${spec}`
    case 'bun':
      return `bun add -d ${spec}`
  }
}
