//! What a crate that adds a layer to napi-tracing builds on: today the
//! `napi-tracing-otlp` crate, which holds `otlpLayer`'s exporter so that the
//! OpenTelemetry stack stays out of every other addon's lock file. An addon
//! registers it through its one line, `export_tracing_api!(otlp = ...)`.

pub use crate::dispatch::layers::otlp::{register as register_otlp, OtlpBuilder, OtlpConfig};
pub use crate::dispatch::layers::{BoxedLayer, Closed, Output};
pub use crate::thread_info::mute_this_thread;
