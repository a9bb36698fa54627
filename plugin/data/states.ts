/** A test's state in the report's words: the one mapping from the words of Vitest's runner and reporters. */

export type TestState = 'passed' | 'failed' | 'skipped' | 'pending'

/**
 * A test's state in the report's words, from the runner's (a worker sees
 * `pass`, `fail`, `skip`, `todo`, `run`; reporters get the report's words
 * already, which pass through).
 */
export function stateOf(state: string | undefined): TestState {
  switch (state) {
    case 'pass':
    case 'passed':
      return 'passed'
    case 'fail':
    case 'failed':
      return 'failed'
    case 'skip':
    case 'skipped':
    case 'todo':
      return 'skipped'
    default:
      return 'pending'
  }
}
