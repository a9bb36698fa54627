// The fib addon as it presents itself when its napi-tracing was built at
// opt-level 0 (a debug build without the README's profile lines).
const fib = require('../../addons/fib/index.js')
module.exports = { ...fib, napiTracingBuild: () => ({ ...fib.napiTracingBuild(), optLevel: '0', debugAssertions: true }) }
