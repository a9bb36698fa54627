//! The binding: one traced function, and napi-tracing's entry points.
use napi_derive::napi;

#[tracing::instrument]
#[napi]
pub fn reverse_words(text: String) -> String {
    text_core::reverse_words(&text)
}

napi_tracing::export_tracing_api!();
