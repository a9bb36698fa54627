//! The addon's own logging, set up once, the first time a `Resolver` is
//! made (or when the module loads): a global fmt subscriber printing its
//! warnings to stderr, as many real addons have. `RESOLVER_LOG_SETUP` picks
//! how (the default is `init`):
//!
//! - `init`: `tracing_subscriber::fmt()...init()`, which panics when a
//!   global default is already set;
//! - `try_init`: the same with `try_init()`, its error ignored;
//! - `layer`: `registry().with(fmt layer).with(napi_tracing::layer()).init()`;
//! - `load`: like `init`, when the module loads rather than on first use;
//! - `none`: no subscriber of its own.

use std::sync::Once;

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

static SET_UP: Once = Once::new();

fn setup() -> String {
    std::env::var("RESOLVER_LOG_SETUP").unwrap_or_else(|_| "init".to_owned())
}

/// Sets the addon's subscriber up, once (on first use).
pub fn on_first_use() {
    if setup() != "load" {
        SET_UP.call_once(install);
    }
}

/// Sets it up when the module loads, for `load`.
pub fn on_load() {
    if setup() == "load" {
        SET_UP.call_once(install);
    }
}

fn install() {
    let fmt = || {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(LevelFilter::WARN)
    };
    match setup().as_str() {
        "init" | "load" => fmt().init(),
        "try_init" => {
            let _ = fmt().try_init();
        }
        "layer" => tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_filter(LevelFilter::WARN),
            )
            .with(napi_tracing::layer())
            .init(),
        _ => {}
    }
}
