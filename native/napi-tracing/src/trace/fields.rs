//! Span and event fields in trace entries: recorded on the traced thread in
//! the binary field encoding (`protocol/`, cheap: no formatting but a
//! field's own `Debug`), turned into JSON object members (`"a":1,"b":"x"`,
//! values as values) on the writer thread.

use std::io::Write as _;

use tracing_core::Metadata;

use super::json::put_json_str;
use crate::protocol::encoding::Tag;

const I64: u8 = Tag::I64 as u8;
const U64: u8 = Tag::U64 as u8;
const F64: u8 = Tag::F64 as u8;
const BOOL: u8 = Tag::Bool as u8;
const STR: u8 = Tag::Str as u8;
const DEBUG: u8 = Tag::Debug as u8;
const I128: u8 = Tag::I128 as u8;
const U128: u8 = Tag::U128 as u8;

/// One decoded field value, borrowing the encoding's bytes.
enum Value<'a> {
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    Text(&'a [u8]),
    Wide(String),
}

/// Reads field sets (`u16 n, n × (u16 index, u8 tag, value)`, one after
/// another: a span's own, then each `record`'s) and calls `each` with the
/// field's name and value. Stops at the first malformed byte: never panics.
fn decode(bytes: &[u8], meta: &Metadata<'_>, mut each: impl FnMut(&str, Value<'_>)) {
    let fields = meta.fields();
    let mut at = 0;
    let take = |at: &mut usize, n: usize| -> Option<&[u8]> {
        let part = bytes.get(*at..*at + n)?;
        *at += n;
        Some(part)
    };
    while at < bytes.len() {
        let Some(count) = take(&mut at, 2).map(|b| u16::from_le_bytes([b[0], b[1]])) else {
            return;
        };
        for _ in 0..count {
            let Some(head) = take(&mut at, 3) else { return };
            let index = usize::from(u16::from_le_bytes([head[0], head[1]]));
            let name = fields.iter().nth(index).map_or("?", |field| field.name());
            let value = match head[2] {
                I64 => take(&mut at, 8)
                    .map(|b| Value::I64(i64::from_le_bytes(b.try_into().unwrap_or_default()))),
                U64 => take(&mut at, 8)
                    .map(|b| Value::U64(u64::from_le_bytes(b.try_into().unwrap_or_default()))),
                F64 => take(&mut at, 8)
                    .map(|b| Value::F64(f64::from_le_bytes(b.try_into().unwrap_or_default()))),
                BOOL => take(&mut at, 1).map(|b| Value::Bool(b[0] != 0)),
                STR | DEBUG => take(&mut at, 4)
                    .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
                    .and_then(|len| take(&mut at, len))
                    .map(Value::Text),
                I128 => take(&mut at, 16).map(|b| {
                    Value::Wide(i128::from_le_bytes(b.try_into().unwrap_or_default()).to_string())
                }),
                U128 => take(&mut at, 16).map(|b| {
                    Value::Wide(u128::from_le_bytes(b.try_into().unwrap_or_default()).to_string())
                }),
                _ => None,
            };
            let Some(value) = value else { return };
            each(name, value);
        }
    }
}

/// Appends `"name":` after a comma when `out` already holds members.
fn key(out: &mut Vec<u8>, name: &str) {
    if !out.is_empty() {
        out.push(b',');
    }
    // Field names are nearly always Rust identifiers: nothing to escape.
    if name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    } else {
        put_json_str(out, name);
        out.push(b':');
    }
}

fn value(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::I64(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
        Value::U64(v) => out.extend_from_slice(itoa::Buffer::new().format(*v).as_bytes()),
        Value::F64(v) if v.is_finite() => {
            let _ = write!(out, "{v}");
        }
        Value::F64(v) => put_json_str(out, &v.to_string()),
        Value::Bool(v) => out.extend_from_slice(if *v { b"true" } else { b"false" }),
        Value::Text(text) => put_json_str(out, &String::from_utf8_lossy(text)),
        Value::Wide(text) => put_json_str(out, text),
    }
}

/// A value as text, for an event's message.
fn text(value: &Value<'_>) -> String {
    match value {
        Value::I64(v) => v.to_string(),
        Value::U64(v) => v.to_string(),
        Value::F64(v) => v.to_string(),
        Value::Bool(v) => v.to_string(),
        Value::Text(t) => String::from_utf8_lossy(t).into_owned(),
        Value::Wide(t) => t.clone(),
    }
}

/// Appends a span's fields as JSON object members (no braces).
pub(crate) fn members(out: &mut Vec<u8>, encoded: &[u8], meta: &Metadata<'_>) {
    decode(encoded, meta, |name, v| {
        key(out, name);
        value(out, &v);
    });
}

/// An event's fields: its message (as a JSON string, empty when it has none)
/// and its args members: level, file and line (with `locations`), and its
/// other fields (with `include_args`).
pub(crate) fn event(
    args: &mut Vec<u8>,
    message: &mut Vec<u8>,
    encoded: &[u8],
    meta: &Metadata<'_>,
    include_args: bool,
    locations: bool,
) {
    args.extend_from_slice(b"\"level\":\"");
    args.extend_from_slice(meta.level().as_str().as_bytes());
    args.push(b'"');
    if locations {
        if let Some(file) = meta.file() {
            args.extend_from_slice(b",\"file\":");
            put_json_str(args, file);
        }
        if let Some(line) = meta.line() {
            args.extend_from_slice(b",\"line\":");
            args.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
        }
    }
    decode(encoded, meta, |name, v| {
        if name == "message" {
            put_json_str(message, &text(&v));
        } else if include_args {
            key(args, name);
            value(args, &v);
        }
    });
}

/// The message of an event, from its encoded fields (empty: none).
pub(crate) fn message_of(encoded: &[u8], meta: &Metadata<'_>) -> Vec<u8> {
    let mut message = Vec::new();
    decode(encoded, meta, |name, v| {
        if name == "message" {
            put_json_str(&mut message, &text(&v));
        }
    });
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encoding::FieldEncoder;
    use tracing_core::field::Visit;

    #[test]
    fn encoded_fields_become_json_members_values_as_values() {
        let meta = crate::test_support::meta_with_fields();
        let fields = meta.fields();
        let field = |name: &str| fields.field(name).unwrap();
        let mut bytes = Vec::new();
        let mut enc = FieldEncoder::new(&mut bytes);
        enc.record_u64(&field("index"), 5);
        enc.record_str(&field("name"), "a \"b\"");
        enc.record_bool(&field("ok"), true);
        enc.record_f64(&field("ratio"), 0.5);
        enc.finish();
        // A later record of the same span: a second field set.
        let mut enc = FieldEncoder::new(&mut bytes);
        enc.record_i64(&field("index"), -2);
        enc.finish();
        let mut out = Vec::new();
        members(&mut out, &bytes, meta);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""index":5,"name":"a \"b\"","ok":true,"ratio":0.5,"index":-2"#
        );
        // Cut short: what is whole is kept, nothing panics.
        let mut out = Vec::new();
        members(&mut out, &bytes[..bytes.len() - 3], meta);
        assert!(String::from_utf8(out).unwrap().starts_with(r#""index":5"#));
    }

    #[test]
    fn an_events_message_is_its_name_and_the_rest_its_args() {
        let meta = crate::test_support::meta_with_fields();
        let fields = meta.fields();
        let mut bytes = Vec::new();
        let mut enc = FieldEncoder::new(&mut bytes);
        enc.record_str(&fields.field("message").unwrap(), "said \"hi\"");
        enc.record_u64(&fields.field("index").unwrap(), 3);
        enc.finish();
        let (mut args, mut message) = (Vec::new(), Vec::new());
        event(&mut args, &mut message, &bytes, meta, true, false);
        assert_eq!(String::from_utf8(message).unwrap(), r#""said \"hi\"""#);
        assert_eq!(
            String::from_utf8(args).unwrap(),
            r#""level":"INFO","index":3"#
        );
    }
}
