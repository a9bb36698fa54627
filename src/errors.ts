/** How a caught error reads inside one of our messages. */

/** The error's message (anything thrown, not only Errors), without our own prefix repeated. */
export function messageOf(error: unknown): string {
  // An error of another realm (a vm pool's context) is not `instanceof Error` here.
  const message = (error as { message?: unknown } | null)?.message
  const text = typeof message === 'string' ? message : String(error)
  return text.replace(/^vitest-napi-tracing: /, '')
}
