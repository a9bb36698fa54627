//! The subscribers napi-tracing receives the addon's spans through: its
//! own (`own.rs`), a layer of the addon's own subscriber (`as_layer.rs`,
//! `napi_tracing::layer()`), or around it (`wrap.rs`, `napi_tracing::wrap()`).
//! Each hands spans to the router (`../router.rs`), which decides the rest.

pub(crate) mod as_layer;
pub(crate) mod own;
pub(crate) mod wrap;
