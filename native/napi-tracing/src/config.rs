//! The configuration `Tracing.start()` sends, parsed into a filter and layers.
//! Every error names what is wrong and how to fix it.

use serde::Deserialize;
use std::str::FromStr;
use tracing_subscriber::filter::Directive;
use tracing_subscriber::EnvFilter;

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
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum LayerConfig {
    /// Records for the TypeScript layers behind the sink, each at once.
    Callback {},
    /// The Vitest plugin's per-worker collection (`layers/collect/`).
    Collect(crate::layers::collect::CollectConfig),
    Fmt(crate::layers::fmt::FmtConfig),
    Chrome(crate::layers::chrome::ChromeConfig),
    Otlp(crate::layers::otlp::OtlpConfig),
}

pub(crate) fn parse(json: &str) -> Result<StartConfig, String> {
    serde_json::from_str(json).map_err(|e| {
        format!(
            "invalid tracing configuration: {e}. Build it with Tracing.start() and the \
             layer helpers (callbackLayer, ...) from 'vitest-napi-tracing'"
        )
    })
}

/// Parses EnvFilter directives strictly, quoting the first bad one.
pub(crate) fn parse_filter(spec: &str) -> Result<EnvFilter, String> {
    for directive in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if let Err(e) = Directive::from_str(directive) {
            return Err(format!(
                "invalid filter directive {directive:?} in {spec:?}: {e}. Use \
                 tracing-subscriber's EnvFilter syntax, e.g. \"info\" or \
                 \"warn,my_addon=trace\""
            ));
        }
    }
    EnvFilter::builder().parse(spec).map_err(|e| {
        format!("invalid filter {spec:?}: {e}. Use tracing-subscriber's EnvFilter syntax")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_directive_is_quoted() {
        let err = parse_filter("info,my_addon=loud").unwrap_err();
        assert!(err.contains("\"my_addon=loud\""), "{err}");
        assert!(err.contains("EnvFilter syntax"), "{err}");
    }

    #[test]
    fn good_filter_parses() {
        assert!(parse_filter("warn,my_addon[span{n=1}]=trace").is_ok());
    }

    #[test]
    fn unknown_layer_is_named() {
        let err = parse(r#"{"filter":"info","layers":[{"kind":"nope"}]}"#).unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }
}
