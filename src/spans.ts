/**
 * A test's spans as data it can assert on and snapshot: what `napiSpans()`
 * (from `vitest-napi-tracing/test`) returns. Counts, nesting and event
 * messages, which the same code makes the same way on every run, machine and
 * pool; times are there to read, never in a snapshot.
 */
import { treeOf, type ReportEvent, type ReportNode } from './report/model.js'
import type { Made } from './trace/worker-file.js'

/** A span path: names from the root, as an array or joined with ` › ` (or ` > `). */
export type SpanPath = string | readonly string[]

export class NapiSpans {
  readonly #tree: ReportNode[]
  readonly #events: ReportEvent[]

  /** From what the test's addons made (see `Made`); spans and events shared with concurrent tests are left out. */
  constructor(made: Made) {
    this.#tree = treeOf(made.tree.filter((p) => !p.shared))
    this.#events = made.events.filter((e) => !e.shared)
  }

  /** Spans named `name` the test made (every path), or all of them without a name. */
  count(name?: string): number {
    let n = 0
    walk(this.#tree, (node) => {
      if (name === undefined || node.name === name) n += node.calls
    })
    return n
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
