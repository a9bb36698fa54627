/** report.json: the report model, version 2, written whole. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { SpanReport } from './model.js'

export type { SpanReport, ReportTest, ReportSpan, ReportFile, ReportNode, ReportEvent, ReportBenchmark, ReportProfile, ReportFunction, ReportNativeTime, ReportMemory, TestState, Milliseconds, Change, Comparison, CountGate } from './model.js'

export function writeReport(path: string, report: SpanReport): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n')
}
