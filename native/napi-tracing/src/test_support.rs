//! Callsites for the crate's unit tests.

use tracing_core::callsite::Callsite;
use tracing_core::metadata::Kind;
use tracing_core::{Level, Metadata};

struct Site(fn() -> &'static Metadata<'static>);

impl Callsite for Site {
    fn set_interest(&self, _: tracing_core::subscriber::Interest) {}
    fn metadata(&self) -> &Metadata<'_> {
        (self.0)()
    }
}

/// A span callsite named `span`, target `t`, without fields.
pub(crate) fn meta() -> &'static Metadata<'static> {
    static SITE: Site = Site(meta);
    static META: Metadata<'static> = tracing_core::metadata!(
        name: "span",
        target: "t",
        level: Level::INFO,
        fields: &[],
        callsite: &SITE,
        kind: Kind::SPAN
    );
    &META
}

/// A callsite with the fields `message`, `index`, `name`, `ok`, `ratio`.
pub(crate) fn meta_with_fields() -> &'static Metadata<'static> {
    static SITE: Site = Site(meta_with_fields);
    static META: Metadata<'static> = tracing_core::metadata!(
        name: "fields",
        target: "t",
        level: Level::INFO,
        fields: &["message", "index", "name", "ok", "ratio"],
        callsite: &SITE,
        kind: Kind::EVENT
    );
    &META
}

/// Sessions and dispatchers are process-wide: the tests that open sessions
/// or install napi-tracing's subscribers take turns.
pub(crate) static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A callsite with every detail a callsite description carries, and one
/// field per kind of field value: the protocol's test vectors describe it.
pub(crate) fn meta_for_vectors() -> &'static Metadata<'static> {
    static SITE: Site = Site(meta_for_vectors);
    static FIELDS: &[&str] = &["i64", "u64", "f64", "bool", "str", "debug", "i128", "u128"];
    static META: Metadata<'static> = Metadata::new(
        "parse",
        "my_addon::parser",
        Level::DEBUG,
        Some("src/parser.rs"),
        Some(42),
        Some("my_addon::parser"),
        tracing_core::field::FieldSet::new(FIELDS, tracing_core::identify_callsite!(&SITE)),
        Kind::SPAN,
    );
    &META
}
