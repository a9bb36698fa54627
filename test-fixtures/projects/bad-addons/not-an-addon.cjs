// A module that is not a napi-rs addon at all.
module.exports = { add: (a, b) => a + b }
