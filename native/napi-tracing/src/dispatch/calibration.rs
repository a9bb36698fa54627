//! What a span costs the session that traces it, measured on this machine
//! when the session starts: the callsite the measurement makes its spans
//! with, which every filter lets through and every sum and trace leaves
//! out again (`Collection::forget`).

use tracing_core::callsite::Callsite;
use tracing_core::metadata::Kind;
use tracing_core::subscriber::Interest;
use tracing_core::{Level, Metadata};

struct Site;

impl Callsite for Site {
    fn set_interest(&self, _: Interest) {}
    fn metadata(&self) -> &Metadata<'_> {
        meta()
    }
}

static SITE: Site = Site;
static META: Metadata<'static> = tracing_core::metadata!(
    name: "napi-tracing calibration",
    target: "napi_tracing::calibration",
    level: Level::TRACE,
    fields: &[],
    callsite: &SITE,
    kind: Kind::SPAN
);

/// The callsite of the measurement's spans.
pub(crate) fn meta() -> &'static Metadata<'static> {
    &META
}

/// Whether `meta` is the measurement's callsite.
pub(crate) fn is(meta: &Metadata<'_>) -> bool {
    std::ptr::eq(meta, &META)
}

/// Registers the callsite once, so that dispatchers decide its interest.
pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| tracing_core::callsite::register(&SITE));
}
