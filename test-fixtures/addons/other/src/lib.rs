//! A second addon, to show that each addon has its own tracing.
#![deny(clippy::all)]

use napi_derive::napi;
use tracing::instrument;

napi_tracing::export_tracing_api!();

/// Sums the bytes of `text`, one `add` span per chunk of 4.
#[instrument(skip(text), fields(len = text.len()))]
#[napi]
pub fn checksum(text: String) -> u32 {
    text.as_bytes()
        .chunks(4)
        .map(|chunk| {
            tracing::info_span!("add", bytes = chunk.len())
                .in_scope(|| chunk.iter().map(|&b| u32::from(b)).sum::<u32>())
        })
        .sum()
}

/// `#[instrument]` below `#[napi]`, a common slip: it instruments napi's
/// generated callback too, whose spans the report points out.
#[napi]
#[instrument]
pub fn misplaced(n: u32) -> u32 {
    n + 1
}
