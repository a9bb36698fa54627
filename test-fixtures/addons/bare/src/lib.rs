//! An addon instrumented with `tracing` that forgot `export_tracing_api!()`.
#![deny(clippy::all)]

use napi_derive::napi;

/// Doubles `n` inside a span nobody can see.
#[tracing::instrument]
#[napi]
pub fn double(n: u32) -> u32 {
    n * 2
}
