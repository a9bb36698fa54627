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
mod calibration;
mod callsites;
mod clock;
mod sync;
mod thread_info;
mod tracks;
mod values;
// What a span carries and where it is attributed from, the binary records,
// the record queue, the trace entries and their writer, the per-thread
// collections, the filters.
mod caller;
mod collection;
mod crash;
mod entered;
mod filter;
mod queue;
mod record;
mod span;
mod trace;
// The layers, the session (its filter and layers), the open sessions, who
// owns a span (the router), the subscribers that feed them (the Registry
// path, napi-tracing's own, the addon's through the layer, the addon's
// wrapped), how one is installed, the JavaScript thread's side, the entry
// points, the macro.
#[doc(hidden)]
pub mod api;
#[cfg(feature = "async-runtime")]
#[doc(hidden)]
pub mod async_runtime;
mod carry;
mod config;
mod core;
mod install;
mod js_thread;
mod layer;
mod layers;
// For crates that add a layer (napi-tracing-otlp).
pub mod extension;
mod macros;
mod registry_path;
mod router;
mod session;
mod sessions;
#[cfg(test)]
mod test_support;
mod wrap;

pub use carry::{caller, Caller, Carry};
pub use layer::{layer, NapiTracingLayer};
pub use record::PROTOCOL_VERSION;
pub use wrap::{wrap, Wrapped};
