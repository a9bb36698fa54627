import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { FIB_ADDON_PATH } from './support/addons.js'

test("export_tracing_api!() entry points are typed in the addon's generated index.d.ts", () => {
  const dts = readFileSync(FIB_ADDON_PATH.replace(/index\.js$/, 'index.d.ts'), 'utf8')
  const declared = dts
    .split('\n')
    .filter((line) => /napiTracing|NapiTracing/.test(line))
    .map((line) => line.trim())
  expect(declared).toEqual([
    'export interface NapiTracingAnchor {',
    'export declare function napiTracingBuild(): NapiTracingBuild',
    'export interface NapiTracingBuild {',
    'export declare function napiTracingCaller(tag: number, slot: number): number',
    'export declare function napiTracingFlush(wait?: boolean | undefined | null): NapiTracingFlushed',
    'export interface NapiTracingFlushed {',
    'export declare function napiTracingOpenSpans(): Array<NapiTracingAnchor>',
    'export declare function napiTracingProtocol(): number',
    'export declare function napiTracingStart(config: string, sink?: ((arg: Buffer) => void) | undefined | null): void',
    'export declare function napiTracingStats(): NapiTracingStats',
    'export interface NapiTracingStats {',
    'export declare function napiTracingStop(): NapiTracingStats',
  ])
})
