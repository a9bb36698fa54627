//! `otlpLayer`: its configuration, and the builder an addon registers from
//! the `napi-tracing-otlp` crate (`export_tracing_api!(otlp = ...)`), which
//! holds the exporter: without it, an error naming that crate.

use std::sync::OnceLock;

use serde::Deserialize;

use super::{BoxedLayer, Output};

/// `otlpLayer`'s options, as the TypeScript side sends them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OtlpConfig {
    /// OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318`; spans go to `<endpoint>/v1/traces`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Print spans with OpenTelemetry's stdout exporter instead.
    #[serde(default)]
    pub stdout: bool,
    /// `service.name` of the exported resource.
    pub service_name: String,
    /// Upper bound for flush and close, in milliseconds.
    pub timeout_ms: u64,
    /// `binary` (protobuf, the default) or `json`.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// What builds `otlpLayer`: the layer, and the output that flushes and
/// closes its exporter; an error is a sentence for the user.
pub type OtlpBuilder = fn(&OtlpConfig) -> Result<(BoxedLayer, Box<dyn Output>), String>;

/// The builder this addon registered, if any (one per addon image).
static BUILDER: OnceLock<OtlpBuilder> = OnceLock::new();

/// Registers `builder` for this addon's `otlpLayer`. The first one stays.
pub fn register(builder: OtlpBuilder) {
    let _ = BUILDER.set(builder);
}

/// Builds the layer with the registered builder, or says how to add one.
pub(crate) fn build(config: &OtlpConfig) -> Result<(BoxedLayer, Box<dyn Output>), String> {
    match BUILDER.get() {
        Some(build) => build(config),
        None => Err(
            "otlpLayer: this addon was built without OpenTelemetry support; add the \
             napi-tracing-otlp crate beside napi-tracing in the addon's Cargo.toml and name it \
             in its export line, napi_tracing::export_tracing_api!(otlp = napi_tracing_otlp::layer), \
             then rebuild it"
                .to_owned(),
        ),
    }
}
