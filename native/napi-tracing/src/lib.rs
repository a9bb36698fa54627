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

#[doc(hidden)]
pub mod api;
mod callsites;
mod clock;
mod config;
mod dispatch;
mod js_thread;
mod layers;
mod macros;
mod record;
mod session;
mod thread_info;

pub use record::PROTOCOL_VERSION;
