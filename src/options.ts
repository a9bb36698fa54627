/**
 * Checks of the option objects users pass (layer helpers, `Tracing.start()`,
 * the plugin): each mistake is a TypeError that names the option, what was
 * given and what is accepted.
 */

/** Throws when `options` has a key not in `allowed`, naming it and the valid ones. */
export function knownKeys(fn: string, options: object | undefined, allowed: readonly string[]): void {
  if (options === undefined || options === null) return
  const unknown = Object.keys(options).filter((key) => !allowed.includes(key))
  if (unknown.length > 0) {
    throw new TypeError(
      `vitest-napi-tracing: ${fn} got unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; ` +
        `the options are ${allowed.map((a) => `'${a}'`).join(', ')}`,
    )
  }
}

/** Throws unless `value` is one of `allowed`. */
export function oneOf(fn: string, option: string, value: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(value as string)) {
    throw new TypeError(
      `vitest-napi-tracing: ${fn} ${option} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
    )
  }
}
