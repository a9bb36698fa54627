// The fib addon as an addon built against another protocol version of
// napi-tracing would present itself: same entry points, another version.
const fib = require('../../addons/fib/index.js')
module.exports = { ...fib, napiTracingProtocol: () => 999 }
