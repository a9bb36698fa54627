//! The TypeScript package's copy of this protocol, `src/protocol.generated.ts`,
//! rendered from the definitions here: a test fails while the file differs
//! from them, and writes it instead when `NAPI_TRACING_BLESS` is set (as
//! `npm run protocol` does).

use std::fmt::Write as _;
use std::path::PathBuf;

use super::encoding::{level_code, Tag, LEVELS};
use super::sums::SpanFigures;
use super::{lifecycle, sums, tracks, PROTOCOL_VERSION};

/// The file, from this crate's folder in the repository.
const FILE: &str = "../../src/protocol.generated.ts";
/// The markers around the part rendered here; the rest of the file (the
/// entry points' types, from an addon's index.d.ts) is `scripts/protocol.mjs`'s.
const BEGIN: &str = "// <crate>\n";
const END: &str = "// </crate>\n";

fn object(out: &mut String, doc: &str, name: &str, all: &[(&str, u8)]) {
    let members: Vec<String> = all.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    let _ = writeln!(
        out,
        "\n/** {doc} */\nexport const {name} = {{ {} }} as const",
        members.join(", ")
    );
}

/// The part of the TypeScript module rendered from this crate.
fn render() -> String {
    let mut out = String::from(BEGIN);
    let _ = writeln!(
        out,
        "/** The version of the record layout and entry points this package speaks. */\n\
         export const PROTOCOL_VERSION = {PROTOCOL_VERSION}"
    );
    let levels: Vec<String> = LEVELS.iter().map(|l| format!("'{l}'")).collect();
    assert!(LEVELS
        .iter()
        .enumerate()
        .all(|(i, l)| usize::from(level_code(l)) == i));
    let _ = writeln!(
        out,
        "\n/** `tracing`'s levels, in the order of their codes. */\nexport const LEVELS = [{}] as const",
        levels.join(", ")
    );
    object(
        &mut out,
        "The tag in front of each field value.",
        "FieldTag",
        Tag::ALL,
    );
    object(
        &mut out,
        "The first byte of each record of the lifecycle stream.",
        "LifecycleKind",
        lifecycle::Kind::ALL,
    );
    object(
        &mut out,
        "The first byte of each record of the sums stream.",
        "SumsKind",
        sums::Kind::ALL,
    );
    let figures: Vec<String> = SpanFigures::NAMES
        .iter()
        .map(|n| format!("'{n}'"))
        .collect();
    let _ = writeln!(
        out,
        "\n/** The figures of a SPAN_SUMS record, each a u64, in their order (ns but for the counts). */\n\
         export const SPAN_FIGURES = [{}] as const",
        figures.join(", ")
    );
    let _ = writeln!(
        out,
        "\n/**\n * Where a trace's tracks lie: OS threads below `threads`; concurrent test\n \
         * slot s (1 to `slots` - 1) at `concurrent` + s; each of those displaced\n \
         * k levels by out-of-order exits (k up to `maxLevel`) at + k × `displaced`.\n \
         */\nexport const TRACKS = {{ threads: {:#x}, concurrent: {:#x}, slots: {:#x}, displaced: {:#x}, maxLevel: {} }} as const",
        tracks::THREADS,
        tracks::GIVEN,
        tracks::SLOTS,
        tracks::DISPLACED,
        tracks::MAX_LEVEL
    );
    out.push_str(END);
    out
}

#[test]
fn the_typescript_module_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let rendered = render();
    let current = text.find(BEGIN).and_then(|at| {
        text[at..]
            .find(END)
            .map(|len| &text[at..at + len + END.len()])
    });
    if std::env::var_os("NAPI_TRACING_BLESS").is_some() {
        let text = match current {
            Some(part) => text.replacen(part, &rendered, 1),
            None => rendered.clone(),
        };
        std::fs::write(&path, text).unwrap();
        return;
    }
    if let Some(difference) = super::first_difference(current.unwrap_or(""), &rendered) {
        panic!(
            "the <crate> part of src/protocol.generated.ts does not follow native/napi-tracing/src/protocol/, {difference}\n\
             Run `npm run protocol` to write it, then make the TypeScript side follow."
        );
    }
}
