/**
 * Keys of maps keyed by several values at once (a test and a span path, a
 * target and a name): one way to join the values into a string and to split
 * it back. The values never hold U+0000, which separates them.
 */
const SEPARATOR = '\u0000'

/** One key for `parts`, in order. */
export function joinKey(...parts: ReadonlyArray<string | number>): string {
  return parts.join(SEPARATOR)
}

/** The parts `joinKey` was given, as strings. */
export function splitKey(key: string): string[] {
  return key.split(SEPARATOR)
}
