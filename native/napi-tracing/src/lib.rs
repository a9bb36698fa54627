//! See inside a napi-rs addon while its JavaScript tests run: `tracing`
//! spans and events to TypeScript layers, per-test sums and Chrome traces.
//!
//! Add the crate to the addon and one line to its `lib.rs`:
//!
//! ```no_run
//! napi_tracing::export_tracing_api!();
//! # fn main() {}
//! ```
//!
//! The addon then exports the entry points the `vitest-napi-tracing` package
//! calls. The addon gets its own `tracing` dispatcher (each cdylib links its
//! own `tracing-core`), so two addons in one process are set up separately and
//! never see each other's spans. Within one addon, each JavaScript thread
//! (main thread or worker) that starts tracing gets only its own spans.
//!
//! An addon that keeps a subscriber of its own wraps it with [`wrap()`]
//! (whatever its filters) or adds [`layer()`] to it (without a global
//! filter); work
//! napi-tracing cannot see started (an `AsyncTask`'s `compute`, a thread or
//! a task of the addon's) carries its JavaScript caller with [`caller()`].
//! With the `async-runtime` feature (napi 3.11 or later, with napi's
//! `async-runtime` and `tokio_rt` features), the futures of the addon's
//! `#[napi] async fn`s carry theirs with no line of the addon's changed:
//! `export_tracing_api!()` then registers napi's own Tokio runtime as the
//! addon's napi async runtime, each future taking its caller when napi
//! hands it over on the JavaScript thread.
#![deny(missing_docs, unreachable_pub)]
#![deny(
    clippy::all,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

// Leaves: each imports no module of this crate but `sync`.
mod callsites;
mod clock;
mod sync;
mod thread_info;
// Bottom to top, each folder importing only those above it here: what
// this crate and JavaScript agree on (the wire format of both streams, the
// track layout), the trace entries and their writer, the per-thread sums,
// everything that runs on the instrumented thread, and the seam to
// JavaScript (the entry points, the JavaScript thread's side, the macro).
mod collect;
mod dispatch;
mod js;
mod protocol;
mod trace;
// For crates that add a layer (napi-tracing-otlp).
pub mod extension;
#[cfg(test)]
mod test_support;

pub use dispatch::caller::{caller, Caller, Carry};
// What `export_tracing_api!` expands to calls, from the addon's crate.
pub use dispatch::subscribers::as_layer::{layer, NapiTracingLayer};
pub use dispatch::subscribers::wrap::{wrap, Wrapped};
#[doc(hidden)]
pub use js::api;
#[cfg(feature = "async-runtime")]
#[doc(hidden)]
pub use js::async_runtime;
pub use protocol::PROTOCOL_VERSION;
