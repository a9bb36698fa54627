/**
 * A test's spans as data it can assert on and snapshot: what `napiSpans()`
 * (from `vitest-napi-tracing/test`) returns. Counts, nesting and event
 * messages, which the same code makes the same way on every run, machine and
 * pool; times are there to read, never in a snapshot.
 *
 * By default only the spans the test's own calls are known to have made:
 * those made on its JavaScript thread during it, those under them, and
 * those carried with `napi_tracing::caller()`. Spans shared with concurrent
 * tests, or placed in the test by time alone, can differ from run to run;
 * asked for by name, they make `count()` throw rather than miscount.
 */
import { treeOf, type ReportEvent, type ReportNode } from './report/model.js'
import type { Made } from './data/worker-file.js'

/** A span path: names from the root, as an array or joined with ` › ` (or ` > `). */
export type SpanPath = string | readonly string[]

export interface SpansOptions {
  /**
   * `'caused'`: the spans the test's calls are known to have made. `'all'`:
   * also those shared with concurrent tests and those placed by time.
   * @default 'caused'
   */
  include?: 'caused' | 'all'
}

export class NapiSpans {
  readonly #tree: ReportNode[]
  readonly #events: ReportEvent[]
  /** What was left out: shared or placed by time. */
  readonly #left: ReportNode[]

  /** From what the test's addons made (see `Made`). */
  constructor(made: Made, options: SpansOptions = {}) {
    const all = options.include === 'all'
    const own = (p: { shared?: boolean; timed?: boolean }) => all || (!p.shared && !p.timed)
    this.#tree = treeOf(made.tree.filter(own))
    this.#left = treeOf(made.tree.filter((p) => !own(p)))
    this.#events = made.events.filter(own)
  }

  /**
   * Spans named `name` the test made (every path), or all of them without a
   * name. Throws when spans of that name were left out (shared with a
   * concurrent test, or placed by time): the count would be a guess.
   */
  count(name?: string): number {
    const left = countIn(this.#left, name)
    if (left.calls > 0) throw new Error(leftOut(name, left))
    return countIn(this.#tree, name).calls
  }

  /** Why spans named `name` are not in this test's figures, if some are not. */
  leftOut(name?: string): string | undefined {
    const left = countIn(this.#left, name)
    return left.calls > 0 ? leftOut(name, left) : undefined
  }

  /** The call tree: root spans, each with its children by path; times in ms. */
  tree(): ReportNode[] {
    return this.#tree
  }

  /** The test's events, or those whose message is `message` (a string) or matches it (a RegExp). */
  events(message?: string | RegExp): ReportEvent[] {
    if (message === undefined) return this.#events
    return this.#events.filter((e) => (typeof message === 'string' ? e.message === message : message.test(e.message)))
  }

  /** The node at `path` (from a root), if the test made spans there. */
  find(path: SpanPath): ReportNode | undefined {
    const names = typeof path === 'string' ? path.split(/\s+[›>]\s+/) : path
    let level: readonly ReportNode[] = this.#tree
    let found: ReportNode | undefined
    for (const name of names) {
      found = level.find((n) => n.name === name)
      if (!found) return undefined
      level = found.children
    }
    return found
  }

  /**
   * The text a span snapshot holds: one line per span path, depth first and
   * by name (never by time), with its calls; a step names its target where
   * it differs from its parent's; then the events by level and message.
   */
  snapshot(): string {
    const lines: string[] = []
    const visit = (nodes: readonly ReportNode[], prefix: string, parentTarget: string | undefined) => {
      for (const n of [...nodes].sort((a, b) => byCodePoint(a.name, b.name) || byCodePoint(a.target, b.target))) {
        const step = n.target === parentTarget ? n.name : `${n.target}::${n.name}`
        const path = prefix ? `${prefix} › ${step}` : step
        lines.push(`${path} ×${n.calls}`)
        visit(n.children, path, n.target)
      }
    }
    visit(this.#tree, '', undefined)
    const events = [...this.#events].sort((a, b) => byCodePoint(a.level, b.level) || byCodePoint(a.message, b.message))
    for (const e of events) lines.push(`event ${e.level} ${JSON.stringify(e.message)} ×${e.count}`)
    return lines.join('\n')
  }
}

/** How many spans named `name` (all without one) a tree holds, and how they were placed. */
function countIn(tree: readonly ReportNode[], name: string | undefined): { calls: number; shared: number; timed: number } {
  const counted = { calls: 0, shared: 0, timed: 0 }
  walk(tree, (node) => {
    if (name !== undefined && node.name !== name) return
    counted.calls += node.calls
    if (node.shared) counted.shared += node.calls
    if (node.timed) counted.timed += node.calls
  })
  return counted
}

function leftOut(name: string | undefined, left: { calls: number; shared: number; timed: number }): string {
  const what = name === undefined ? 'spans' : `span${left.calls === 1 ? '' : 's'} named ${JSON.stringify(name)}`
  const why = [
    left.shared > 0 ? `${left.shared} may belong to a concurrent test as well (made on another thread with no parent while both ran)` : '',
    left.timed > 0 ? `${left.timed} ${left.timed === 1 ? 'was' : 'were'} placed in this test by time only (made on another thread with no parent: an AsyncTask's compute, a thread or task of the addon's)` : '',
  ]
    .filter(Boolean)
    .join('; ')
  return (
    `vitest-napi-tracing: napiSpans().count(${name === undefined ? '' : JSON.stringify(name)}): ${left.calls} ${what} ${left.calls === 1 ? 'is' : 'are'} not known to be this test's: ${why}. ` +
    `Carry the test's call into that work (let caller = napi_tracing::caller() in the #[napi] function, caller.in_scope(|| ...) where the work runs) ` +
    `to make them the test's, or count them too with napiSpans({ include: 'all' })`
  )
}

/** An order that is the same on every machine, whatever its locale. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function walk(nodes: readonly ReportNode[], f: (node: ReportNode) => void): void {
  for (const n of nodes) {
    f(n)
    walk(n.children, f)
  }
}
