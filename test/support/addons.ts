/** Loads the fixture addons the way a user's test would. */
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

export const FIB_ADDON_PATH = fileURLToPath(new URL('../../test-fixtures/addons/fib/index.js', import.meta.url))

export type FibAddon = typeof import('../../test-fixtures/addons/fib/index.js')

export const fib: FibAddon = require(FIB_ADDON_PATH)

export const OTHER_ADDON_PATH = fileURLToPath(new URL('../../test-fixtures/addons/other/index.js', import.meta.url))

export type OtherAddon = typeof import('../../test-fixtures/addons/other/index.js')

/** A second addon, built without napi-tracing's `otlp` feature. */
export const other: OtherAddon = require(OTHER_ADDON_PATH)
