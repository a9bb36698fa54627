/** How a caught error reads inside one of our messages. */

/** The error's message (anything thrown, not only Errors), without our own prefix repeated. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/^vitest-napi-tracing: /, '')
}
