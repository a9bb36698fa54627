/** Span counts the fixture addons make, worked out independently of them. */

/** Calls made by `fibonacci(index, false)`: the classic recursion with base cases 0 and 1. */
export function classicCalls(index: number): number {
  return index < 2 ? 1 : 1 + classicCalls(index - 1) + classicCalls(index - 2)
}
