//! The addon's own logging: one init line, set up once per process (worker
//! threads share it). `filter` picks the line's global filter:
//!
//! - `EnvFilter`: `registry().with(EnvFilter::new("warn")).with(fmt::layer())`,
//!   the docs' line;
//! - `Targets`: the same with `Targets::new().with_default(Level::WARN)`;
//! - `LevelFilter`: the same with `LevelFilter::WARN`;
//! - `fmt`: `fmt().with_env_filter("warn")`, the builder.
//!
//! `edit` picks what the line becomes: `none` (as it is), `layer`
//! (`.with(napi_tracing::layer())` appended; not with `fmt`, whose
//! subscriber takes no per-layer filter, so no napi-tracing layer) or `wrap`
//! (the docs' edit, `napi_tracing::wrap(...)`). `wrap` with `EnvFilter` is the docs' block
//! as written (`readme_edit`; the tests check that it is).

use std::sync::Once;

use napi::{Error, Result};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::layer as fmt;
use tracing_subscriber::prelude::*;

static SET_UP: Once = Once::new();

pub fn init(edit: &str, filter: &str) -> Result<()> {
    let known = ["none", "layer", "wrap"].contains(&edit)
        && ["EnvFilter", "Targets", "LevelFilter", "fmt"].contains(&filter)
        && (edit, filter) != ("layer", "fmt");
    if !known {
        return Err(Error::from_reason(format!(
            "unknown logging setup {edit:?} {filter:?}: edit is 'none', 'layer' or 'wrap', \
             filter 'EnvFilter', 'Targets', 'LevelFilter' or 'fmt' (not with 'layer')"
        )));
    }
    SET_UP.call_once(|| install(edit, filter));
    Ok(())
}

/// The docs' edit (`<!-- example:global-filter -->` in docs/addon.md), as written.
fn readme_edit() {
    napi_tracing::wrap(
        tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("warn"))
            .with(tracing_subscriber::fmt::layer()),
    )
    .init();
}

fn install(edit: &str, filter: &str) {
    let registry = tracing_subscriber::registry();
    match (edit, filter) {
        ("wrap", "EnvFilter") => readme_edit(),
        ("none", "EnvFilter") => registry
            .with(tracing_subscriber::EnvFilter::new("warn"))
            .with(fmt())
            .init(),
        ("layer", "EnvFilter") => registry
            .with(tracing_subscriber::EnvFilter::new("warn"))
            .with(fmt())
            .with(napi_tracing::layer())
            .init(),
        ("none", "Targets") => registry.with(targets()).with(fmt()).init(),
        ("layer", "Targets") => registry
            .with(targets())
            .with(fmt())
            .with(napi_tracing::layer())
            .init(),
        ("wrap", "Targets") => napi_tracing::wrap(registry.with(targets()).with(fmt())).init(),
        ("none", "LevelFilter") => registry.with(LevelFilter::WARN).with(fmt()).init(),
        ("layer", "LevelFilter") => registry
            .with(LevelFilter::WARN)
            .with(fmt())
            .with(napi_tracing::layer())
            .init(),
        ("wrap", "LevelFilter") => {
            napi_tracing::wrap(registry.with(LevelFilter::WARN).with(fmt())).init()
        }
        ("none", _) => tracing_subscriber::fmt().with_env_filter("warn").init(),
        (_, _) => {
            napi_tracing::wrap(tracing_subscriber::fmt().with_env_filter("warn").finish()).init()
        }
    }
}

fn targets() -> Targets {
    Targets::new().with_default(tracing::Level::WARN)
}
