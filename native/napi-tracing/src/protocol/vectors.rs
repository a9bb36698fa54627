//! The protocol's test vectors: one record of each kind of both streams, as
//! this crate encodes them with known values, in `test/vectors/*.hex`,
//! which the TypeScript readers' tests (`test/protocol.test.ts`) decode
//! value by value. A test fails while the files differ from what the
//! encoders write now, and writes them instead when `NAPI_TRACING_BLESS`
//! is `vectors` (`npm run protocol -- --vectors`): the TypeScript tests
//! then fail until the readers follow.

use std::fmt::Write as _;
use std::path::PathBuf;

use tracing_core::field::Visit;

use super::encoding::FieldEncoder;
use super::lifecycle::{put_callsite, put_event, put_new_span, put_span_hook, put_thread, Kind};
use super::sums::{
    self, put_event_sums, put_message, put_path, put_span_sums, Anchor, SpanFigures,
};
use crate::test_support::meta_for_vectors;

const CALLSITE: u32 = 7;
const TID: u64 = 4242;
const SPAN: u64 = (1 << 32) + 1;
const TS: u64 = 123_456_789_012_345;

/// Records each field of the vectors' callsite once, with its known value.
fn every_field(buf: &mut Vec<u8>) {
    let meta = meta_for_vectors();
    let field = |name| meta.fields().field(name).unwrap();
    let mut fields = FieldEncoder::new(buf);
    fields.record_i64(&field("i64"), -42);
    fields.record_u64(&field("u64"), (1 << 53) + 1);
    fields.record_f64(&field("f64"), 1.5);
    fields.record_bool(&field("bool"), true);
    fields.record_str(&field("str"), "héllo");
    fields.record_debug(&field("debug"), &Some(1));
    fields.record_i128(&field("i128"), i128::MIN);
    fields.record_u128(&field("u128"), 12_345);
    fields.finish();
}

fn one_field(buf: &mut Vec<u8>, name: &str, value: &str) {
    let meta = meta_for_vectors();
    let mut fields = FieldEncoder::new(buf);
    fields.record_str(&meta.fields().field(name).unwrap(), value);
    fields.finish();
}

/// Each record, named, as the encoders write it.
fn lifecycle() -> Vec<(&'static str, Vec<u8>)> {
    let record = |encode: &dyn Fn(&mut Vec<u8>)| {
        let mut buf = Vec::new();
        encode(&mut buf);
        buf
    };
    vec![
        (
            "callsite",
            record(&|b| put_callsite(b, CALLSITE, meta_for_vectors())),
        ),
        ("thread", record(&|b| put_thread(b, TID, "worker-1"))),
        (
            "new_span",
            record(&|b| {
                put_new_span(b, SPAN, CALLSITE, 3, TID, TS);
                every_field(b);
            }),
        ),
        (
            "record",
            record(&|b| {
                put_span_hook(b, Kind::Record, SPAN, TID, TS + 1);
                one_field(b, "str", "later");
            }),
        ),
        (
            "enter",
            record(&|b| put_span_hook(b, Kind::Enter, SPAN, TID, TS + 2)),
        ),
        (
            "exit",
            record(&|b| put_span_hook(b, Kind::Exit, SPAN, TID, TS + 3)),
        ),
        (
            "close",
            record(&|b| put_span_hook(b, Kind::Close, SPAN, TID, TS + 4)),
        ),
        (
            "event",
            record(&|b| {
                put_event(b, CALLSITE, SPAN, TID, TS + 5);
                one_field(b, "debug", "[1, 2]");
            }),
        ),
    ]
}

fn sums() -> Vec<(&'static str, Vec<u8>)> {
    let record = |encode: &dyn Fn(&mut Vec<u8>)| {
        let mut buf = Vec::new();
        encode(&mut buf);
        buf
    };
    let caused = Anchor {
        ts: TS,
        caller: 3,
        caused: true,
    };
    let by_time = Anchor {
        ts: TS,
        caller: 0,
        caused: false,
    };
    // Two spans, one never entered; one more; both sums added the crate's way.
    let mut first = SpanFigures::of_span(true, 300, 100, 0);
    first.add(&SpanFigures::of_span(false, 0, 0, 5_000));
    let second = SpanFigures::of_span(true, 100, 0, 0);
    let mut both = first;
    both.add(&second);
    let never = SpanFigures::of_span(false, 0, 0, 7_000);
    vec![
        (
            "callsite",
            record(&|b| sums::put_callsite(b, CALLSITE, meta_for_vectors())),
        ),
        ("path", record(&|b| put_path(b, 1, 0, CALLSITE))),
        ("path", record(&|b| put_path(b, 2, 1, CALLSITE))),
        ("message", record(&|b| put_message(b, 1, "a message"))),
        (
            "span_sums",
            record(&|b| put_span_sums(b, 2, caused, &first)),
        ),
        (
            "span_sums",
            record(&|b| put_span_sums(b, 2, caused, &second)),
        ),
        ("span_sums", record(&|b| put_span_sums(b, 2, caused, &both))),
        (
            "span_sums",
            record(&|b| put_span_sums(b, 1, by_time, &never)),
        ),
        (
            "event_sums",
            record(&|b| put_event_sums(b, CALLSITE, 1, caused, 4)),
        ),
        (
            "event_sums",
            record(&|b| put_event_sums(b, CALLSITE, 0, by_time, 1)),
        ),
    ]
}

fn text(stream: &str, records: &[(&str, Vec<u8>)]) -> String {
    let mut out = format!(
        "# The {stream} stream's test vectors: one record a line, its kind and its bytes in hex.\n\
         # Written by native/napi-tracing/src/protocol/vectors.rs; decoded by test/protocol.test.ts.\n"
    );
    for (name, bytes) in records {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(out, "{name} {hex}");
    }
    out
}

fn check(file: &str, text: String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../test/vectors")
        .join(file);
    if std::env::var("NAPI_TRACING_BLESS").is_ok_and(|v| v == "vectors") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some(difference) = super::first_difference(&written, &text) {
        panic!(
            "test/vectors/{file} is not what the encoders write now, {difference}\n\
             If the change is meant, write them with `npm run protocol -- --vectors` and make the \
             TypeScript readers follow (test/protocol.test.ts)."
        );
    }
}

#[test]
fn the_lifecycle_vectors_are_what_the_encoders_write() {
    check("lifecycle.hex", text("lifecycle", &lifecycle()));
}

#[test]
fn the_sums_vectors_are_what_the_encoders_write() {
    check("sums.hex", text("sums", &sums()));
}
