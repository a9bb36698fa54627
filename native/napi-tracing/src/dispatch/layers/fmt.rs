//! `fmtLayer`: tracing-subscriber's fmt layer, to stdout, stderr or a file,
//! formatted full, pretty, compact or json.
//!
//! Files are written unbuffered (one write per line, as fmt makes them), so
//! nothing is lost when a process dies and there is nothing to flush.

use std::io::IsTerminal;
use std::sync::Arc;

use serde::Deserialize;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::Layer;

use super::{create_file, BoxedLayer};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FmtConfig {
    pub(crate) writer: Writer,
    pub(crate) format: Format,
    /// Colours; by default only on a terminal and when NO_COLOR is unset.
    #[serde(default)]
    pub(crate) ansi: Option<bool>,
    /// Lines for span lifecycle moments, as tracing-subscriber's `FmtSpan`.
    #[serde(default)]
    pub(crate) span_events: SpanEvents,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum SpanEvents {
    #[default]
    None,
    New,
    Close,
    Active,
    Full,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum Writer {
    Stdout,
    Stderr,
    File { path: String },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Format {
    Full,
    Pretty,
    Compact,
    Json,
}

pub(crate) fn build(config: &FmtConfig) -> Result<BoxedLayer, String> {
    let (writer, terminal) = match &config.writer {
        Writer::Stdout => (
            BoxMakeWriter::new(std::io::stdout),
            std::io::stdout().is_terminal(),
        ),
        Writer::Stderr => (
            BoxMakeWriter::new(std::io::stderr),
            std::io::stderr().is_terminal(),
        ),
        Writer::File { path } => (
            BoxMakeWriter::new(Arc::new(create_file("fmtLayer", path)?)),
            false,
        ),
    };
    let ansi = config
        .ansi
        .unwrap_or(terminal && std::env::var_os("NO_COLOR").is_none());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi)
        .with_thread_ids(true)
        .with_thread_names(true)
        .with_span_events(match config.span_events {
            SpanEvents::None => FmtSpan::NONE,
            SpanEvents::New => FmtSpan::NEW,
            SpanEvents::Close => FmtSpan::CLOSE,
            SpanEvents::Active => FmtSpan::ACTIVE,
            SpanEvents::Full => FmtSpan::FULL,
        });
    Ok(match config.format {
        Format::Full => layer.boxed(),
        Format::Pretty => layer.pretty().boxed(),
        Format::Compact => layer.compact().boxed(),
        Format::Json => layer
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    })
}
