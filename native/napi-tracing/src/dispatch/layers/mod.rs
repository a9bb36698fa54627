//! The layers a session can stack, one module each, each owning its config,
//! and what they share: outputs that must be flushed and closed, and the
//! one way a layer creates its file.
//!
//! napi-tracing's own layers (`trace.rs`: chrome and collect; `callback.rs`)
//! receive the spans napi-tracing keeps (`span.rs`), from whichever
//! subscriber made them. `fmt.rs` and `otlp/` are tracing-subscriber layers
//! (tracing-subscriber's fmt; tracing-opentelemetry, from the
//! napi-tracing-otlp crate), which need its Registry: a session with one of
//! them runs on the Registry path.

pub(crate) mod callback;
pub(crate) mod fmt;
pub(crate) mod otlp;
pub(crate) mod outbox;
pub(crate) mod trace;

use std::fs::File;
use std::path::Path;

use tracing_subscriber::{Layer, Registry};

/// A tracing-subscriber layer of a session: it receives only its session's spans.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// A layer's destination that must be flushed and closed (a file, an
/// exporter). `flush` returns once everything received so far is written.
pub trait Output: Send + Sync {
    /// Returns once everything received so far is written.
    fn flush(&self);
    /// Flushes and releases the destination; what was lost or went wrong.
    fn close(&self) -> Closed;
}

/// What closing an output reports.
#[derive(Default, Debug)]
pub struct Closed {
    /// Spans or records that never reached the destination.
    pub dropped: u64,
    /// Sentences for the user: what went wrong and what to do.
    pub warnings: Vec<String>,
}

/// Creates (truncates) `path` for a layer, with an error that names the layer,
/// the path, the cause and the fix.
pub(crate) fn create_file(layer: &str, path: &str) -> Result<File, String> {
    File::create(Path::new(path)).map_err(|e| {
        let fix = match e.kind() {
            std::io::ErrorKind::NotFound => {
                "create the directory first, or choose a file in an existing directory"
            }
            std::io::ErrorKind::PermissionDenied => "choose a file in a directory you can write to",
            std::io::ErrorKind::NotADirectory => {
                "a parent of the path is a file, not a directory; choose another path"
            }
            std::io::ErrorKind::IsADirectory => "the path is a directory; name a file in it",
            _ => "choose another file",
        };
        format!("{layer}: cannot write {path:?}: {e}; {fix}")
    })
}
