//! The configuration `Tracing.start()` sends, parsed into a filter and layers.
//! Every error names what is wrong and how to fix it.

use serde::Deserialize;

use crate::dispatch::install::Requested;

/// Default room for records waiting for the JavaScript thread: 16 MiB.
pub(crate) const DEFAULT_QUEUE_BYTES: usize = 16 << 20;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct StartConfig {
    /// EnvFilter directives; the TypeScript side resolves `RUST_LOG` and defaults.
    pub(crate) filter: String,
    pub(crate) layers: Vec<LayerConfig>,
    /// Bytes of records that may wait for the JavaScript thread.
    #[serde(default)]
    pub(crate) queue_capacity: Option<usize>,
    /// `process.hrtime.bigint()` at start, for platforms whose clock needs it.
    #[serde(default)]
    pub(crate) clock_ns: Option<String>,
    /// How napi-tracing reaches the addon's spans (`dispatch/install.rs`).
    #[serde(default)]
    pub(crate) subscriber: Requested,
    /// The name of the calling JavaScript thread in traces.
    #[serde(default)]
    pub(crate) thread_name: Option<String>,
    /// A file to append a line to when the process panics (`crash.rs`).
    #[serde(default)]
    pub(crate) panic_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum LayerConfig {
    /// Records for the TypeScript layers behind the sink, each at once.
    Callback {},
    /// The Vitest plugin's per-worker collection (`dispatch/layers/trace.rs`).
    Collect(crate::dispatch::layers::trace::CollectConfig),
    Fmt(crate::dispatch::layers::fmt::FmtConfig),
    Chrome(crate::dispatch::layers::trace::ChromeConfig),
    Otlp(crate::dispatch::layers::otlp::OtlpConfig),
}

pub(crate) fn parse(json: &str) -> Result<StartConfig, String> {
    serde_json::from_str(json).map_err(|e| {
        format!(
            "invalid tracing configuration: {e}. Build it with Tracing.start() and the \
             layer helpers (callbackLayer, ...) from 'vitest-napi-tracing'"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_layer_is_named() {
        let err = parse(r#"{"filter":"info","layers":[{"kind":"nope"}]}"#).unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }

    #[test]
    fn the_subscriber_defaults_to_auto_and_names_the_choices() {
        let config = parse(r#"{"filter":"info","layers":[]}"#).unwrap();
        assert_eq!(config.subscriber, Requested::Auto);
        let err = parse(r#"{"filter":"info","layers":[],"subscriber":"mine"}"#).unwrap_err();
        assert!(err.contains("mine") && err.contains("scoped"), "{err}");
    }
}
