//! Everything that runs on the instrumented thread: the subscribers that
//! receive the addon's spans (`subscribers/`, and tracing-subscriber's
//! Registry where a session's layers need it: `registry_path.rs`), who owns
//! a span (`router.rs`), what is kept per span (`span.rs`), the spans
//! entered on each thread (`entered.rs`), the JavaScript call a thread works
//! for (`call_context.rs`, and `napi_tracing::caller()`: `caller.rs`), the
//! sessions and their filters, and the hooks of their layers (`layers/`).
//! What is summed from it is `collect/`'s, what is written `trace/`'s.

pub(crate) mod calibration;
pub(crate) mod call_context;
pub(crate) mod caller;
pub(crate) mod entered;
pub(crate) mod filter;
pub(crate) mod install;
pub(crate) mod layers;
pub(crate) mod open_sessions;
pub(crate) mod registry_path;
pub(crate) mod router;
pub(crate) mod session;
pub(crate) mod span;
pub(crate) mod subscribers;
pub(crate) mod values;
