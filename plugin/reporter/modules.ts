/**
 * What Vitest's test modules tell the report: which ran, in which file and
 * project, with which results, and which are type tests no worker runs.
 */
import { relative } from 'node:path'
import type { TestCase, TestModule } from 'vitest/node'
import type { RanFile } from '../report/checks.js'
import type { TestResult } from '../report/model.js'
import { stateOf } from '../data/states.js'

/** A module of type tests: Vitest checks them with tsc, in no worker (its tasks' meta says `typecheck`). */
export function isTypecheck(module: TestModule): boolean {
  const tests = [...module.children.allTests()]
  return tests.length > 0 && tests.every((t) => (t.meta() as { typecheck?: unknown }).typecheck === true)
}

/** The module's path, file and whether any of its tests ran (passed or failed). */
export function ranFile(module: TestModule): RanFile {
  const ran = [...module.children.allTests()].some((t) => ['passed', 'failed'].includes(t.result().state))
  return { path: module.moduleId, file: fileOf(module), ran }
}

/** A test file's path from its project's root (Vitest 3.2 has no `relativeModuleId`; it is this). */
export function fileOf(module: TestModule): string {
  return (module as { relativeModuleId?: string }).relativeModuleId ?? relative(module.project.config.root, module.moduleId)
}

/** Each test of the module as the report sees it; `labelled` adds its project (a run of several projects). */
export function testResults(module: TestModule, labelled: boolean): TestResult[] {
  const file = fileOf(module)
  return [...module.children.allTests()].map((test: TestCase) => ({
    id: test.id,
    file,
    name: test.fullName,
    state: stateOf(test.result().state),
    durationMs: test.diagnostic()?.duration ?? 0,
    ...(labelled ? { project: module.project.name } : {}),
  }))
}

/** Tests by project, of `modules`, in the order projects first appear; projects without tests are left out. */
export function untracedProjects(modules: readonly TestModule[]): Array<{ project: string; tests: number }> {
  const tests = new Map<string, number>()
  for (const m of modules) tests.set(m.project.name, (tests.get(m.project.name) ?? 0) + [...m.children.allTests()].length)
  return [...tests].filter(([, n]) => n > 0).map(([project, n]) => ({ project, tests: n }))
}
