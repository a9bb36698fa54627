/** Types what the plugin provides to workers through Vitest's provide/inject. */
import type { WorkerConfig } from './options.js'

declare module 'vitest' {
  interface ProvidedContext {
    napiTracing: WorkerConfig
  }
}
