//! The seam to JavaScript: what the exported entry points do and the
//! objects they return (`api.rs`), the macro that exports them
//! (`macros.rs`), the configuration `Tracing.start()` sends (`config.rs`),
//! the JavaScript thread's side of a session (`thread.rs`), the panic file
//! (`crash.rs`), and napi's async runtime with each future carrying its
//! caller (`async_runtime.rs`, the `async-runtime` feature).

pub mod api;
#[cfg(feature = "async-runtime")]
pub mod async_runtime;
pub(crate) mod config;
pub(crate) mod crash;
mod macros;
pub(crate) mod thread;
