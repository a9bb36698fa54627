// The plugin as the fixture projects use it: everything traced, and the
// output folder (FIXTURE_OUTPUT_DIR), report mode (FIXTURE_REPORT) and
// profiling (FIXTURE_PROFILE=js, for the benchmarks) chosen by the test that
// runs the project, so that runs never share files. The demo project shows
// the plain form.
import napiTracing, { type NapiTracingOptions } from 'vitest-napi-tracing/plugin'

export function traced(addons: string[], options: Partial<NapiTracingOptions> = {}) {
  const outputDir = process.env['FIXTURE_OUTPUT_DIR']
  const report = process.env['FIXTURE_REPORT'] as NapiTracingOptions['report'] | undefined
  const profile = process.env['FIXTURE_PROFILE'] === 'js' ? { profile: 'js' as const } : {}
  return napiTracing({ addons, filter: 'trace', ...(outputDir ? { outputDir } : {}), ...(report ? { report } : {}), ...profile, ...options })
}
