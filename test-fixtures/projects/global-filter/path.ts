// Which build of the addon the run loads: its debug build, or with
// GLOBAL_FILTER_BUILD=release its stripped release build.
export const addonPath = process.env['GLOBAL_FILTER_BUILD'] === 'release' ? '../../addons/global-filter-release/index.js' : '../../addons/global-filter/index.js'
