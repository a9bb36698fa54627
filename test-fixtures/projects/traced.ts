// The plugin as the fixture projects use it: everything traced, and the
// output folder chosen by the test that runs the project (FIXTURE_OUTPUT_DIR),
// so that runs never share files. The demo project shows the plain form.
import napiTracing, { type NapiTracingOptions } from 'vitest-napi-tracing/plugin'

export function traced(addons: string[], options: Partial<NapiTracingOptions> = {}) {
  const outputDir = process.env['FIXTURE_OUTPUT_DIR']
  return napiTracing({ addons, filter: 'trace', ...(outputDir ? { outputDir } : {}), ...options })
}
