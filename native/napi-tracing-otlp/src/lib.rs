//! `otlpLayer` for napi-tracing: OpenTelemetry export through the
//! opentelemetry crates. A crate of its own so that the OpenTelemetry stack
//! (and the newer tracing-subscriber that tracing-opentelemetry needs) is in
//! no lock file but those of the addons that export to OpenTelemetry: cargo
//! resolves a crate's optional dependencies whether or not their feature is
//! on. An addon adds it beside napi-tracing and names it in its one line:
//!
//! ```no_run
//! napi_tracing::export_tracing_api!(otlp = napi_tracing_otlp::layer);
//! # fn main() {}
//! ```
#![deny(clippy::all)]

mod export;

use napi_tracing::extension::{BoxedLayer, OtlpConfig, Output};

/// Builds `otlpLayer` from its configuration: the layer, and the output
/// that flushes and closes its exporter. What `export_tracing_api!(otlp =
/// ...)` registers; an error is a sentence for the user.
pub fn layer(config: &OtlpConfig) -> Result<(BoxedLayer, Box<dyn Output>), String> {
    export::build(config)
}
