//! Forward `tracing` spans and events from a napi-rs addon to TypeScript.
//!
//! Add the crate to the addon and one line to its `lib.rs`:
//!
//! ```ignore
//! napi_tracing::export_tracing_api!();
//! ```
//!
//! The addon then exports the entry points the `vitest-napi-tracing` package
//! calls. The addon gets its own `tracing` dispatcher (each cdylib links its
//! own `tracing-core`), so two addons in one process are set up separately and
//! never see each other's spans. Within one addon, each JavaScript thread
//! (main thread or worker) that starts tracing gets only its own spans.
#![deny(missing_docs, unreachable_pub)]
#![deny(
    clippy::all,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

// Leaves: each imports no module of this crate but `sync`.
mod caller;
mod callsites;
mod clock;
mod record;
mod span_data;
mod sync;
mod thread_info;
// The record queue, then the layers that fill it and write traces.
mod layers;
mod queue;
// What composes them: a session's configuration, the session (a Layer of
// its filter and layers), the open sessions, the router (this addon's
// dispatcher), the JavaScript thread's side, the entry points, the macro.
#[doc(hidden)]
pub mod api;
mod config;
mod js_thread;
mod macros;
mod router;
mod session;
mod sessions;

pub use record::PROTOCOL_VERSION;
