//! Records how this crate is optimised, so that the report can warn when it
//! is not: the tracing hot path runs inside every traced call, and built at
//! opt-level 0 it makes each span cost several times more, time the report
//! then counts against the user's own functions.

fn main() {
    // The profile's opt-level for this package, per-package overrides applied.
    let level = std::env::var("OPT_LEVEL").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=NAPI_TRACING_OPT_LEVEL={level}");
    println!("cargo:rerun-if-changed=build.rs");
}
