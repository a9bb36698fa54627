//! A small napi-rs addon instrumented with `tracing`, before tracing is set up.
#![deny(clippy::all)]

use napi_derive::napi;

/// The sum of `values`, each added in an `add` span.
#[tracing::instrument(skip(values), fields(count = values.len()))]
#[napi]
pub fn sum(values: Vec<u32>) -> u32 {
    values
        .into_iter()
        .map(|value| tracing::info_span!("add", value).in_scope(|| value))
        .sum()
}
