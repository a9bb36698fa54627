//! `otlpLayer`: its configuration, always (so that an addon built without
//! the `otlp` feature can say which feature to enable), and the exporter
//! (`export.rs`) when the feature is on.

#[cfg(feature = "otlp")]
mod export;

use serde::Deserialize;

use super::{BoxedLayer, Output};

/// `otlpLayer`: parsed whether or not the `otlp` feature is built in, so an
/// addon without it can say which feature to enable.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub(crate) struct OtlpConfig {
    /// OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318`; spans go to `<endpoint>/v1/traces`.
    #[serde(default)]
    pub(crate) endpoint: Option<String>,
    /// Print spans with OpenTelemetry's stdout exporter instead.
    #[serde(default)]
    pub(crate) stdout: bool,
    /// `service.name` of the exported resource.
    pub(crate) service_name: String,
    /// Upper bound for flush and close, in milliseconds.
    pub(crate) timeout_ms: u64,
    /// `binary` (protobuf, the default) or `json`.
    #[serde(default)]
    pub(crate) protocol: Option<String>,
}

/// Builds the layer and the output that flushes and closes its exporter.
#[cfg(feature = "otlp")]
pub(crate) fn build(config: &OtlpConfig) -> Result<(BoxedLayer, Box<dyn Output>), String> {
    export::build(config)
}

/// Without the `otlp` feature: an error that names the feature to enable.
#[cfg(not(feature = "otlp"))]
pub(crate) fn build(_config: &OtlpConfig) -> Result<(BoxedLayer, Box<dyn Output>), String> {
    Err(
        "otlpLayer: this addon was built without OpenTelemetry support; enable the `otlp` \
         feature of napi-tracing in the addon's Cargo.toml \
         (napi-tracing = { ..., features = [\"otlp\"] }) and rebuild it"
            .to_owned(),
    )
}
