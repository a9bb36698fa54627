//! Span and event fields as JSON object members (`"a":1,"b":"x"`), values
//! as values: what both trace writers (the collect layer's and
//! `chromeLayer`'s) put in a slice's or an instant's `args`.

use std::io::Write as _;

use tracing_core::field::{Field, Visit};
use tracing_core::Metadata;

/// The members every event's args start with: its level, and its file and
/// line when `locations` is set.
pub(crate) fn event_args(args: &mut Vec<u8>, meta: &Metadata<'_>, locations: bool) {
    args.extend_from_slice(b"\"level\":\"");
    args.extend_from_slice(meta.level().as_str().as_bytes());
    args.push(b'"');
    if !locations {
        return;
    }
    if let Some(file) = meta.file() {
        args.extend_from_slice(b",\"file\":");
        let _ = serde_json::to_writer(&mut *args, file);
    }
    if let Some(line) = meta.line() {
        args.extend_from_slice(b",\"line\":");
        args.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
    }
}

/// Field values as JSON object members (`"a":1,"b":"x"`), appended.
pub(crate) struct JsonMembers<'a>(pub(crate) &'a mut Vec<u8>);

impl JsonMembers<'_> {
    fn key(&mut self, field: &Field) {
        if !self.0.is_empty() {
            self.0.push(b',');
        }
        let name = field.name();
        // Field names are nearly always Rust identifiers: nothing to escape.
        if name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            self.0.push(b'"');
            self.0.extend_from_slice(name.as_bytes());
            self.0.extend_from_slice(b"\":");
        } else {
            let _ = serde_json::to_writer(&mut *self.0, name);
            self.0.push(b':');
        }
    }
}

impl Visit for JsonMembers<'_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.0
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        self.0
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(self.0, "{value}");
        } else {
            let _ = serde_json::to_writer(&mut *self.0, &value.to_string());
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.0.extend_from_slice(text);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        let _ = serde_json::to_writer(&mut *self.0, value);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.key(field);
        let _ = serde_json::to_writer(&mut *self.0, &format!("{value:?}"));
    }
}

/// An event's fields: the message apart (for the entry's name, as a JSON
/// string), the others as members when args are wanted.
pub(crate) struct EventMembers<'a> {
    pub(crate) members: JsonMembers<'a>,
    pub(crate) message: &'a mut Vec<u8>,
    pub(crate) include_args: bool,
}

impl EventMembers<'_> {
    fn handled(&mut self, field: &Field, value: impl FnOnce(&mut Vec<u8>)) -> bool {
        if field.name() != "message" {
            return !self.include_args;
        }
        value(self.message);
        true
    }
}

impl Visit for EventMembers<'_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        if !self.handled(field, |m| put_json_str(m, &value.to_string())) {
            self.members.record_i64(field, value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if !self.handled(field, |m| put_json_str(m, &value.to_string())) {
            self.members.record_u64(field, value);
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if !self.handled(field, |m| put_json_str(m, &value.to_string())) {
            self.members.record_f64(field, value);
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if !self.handled(field, |m| put_json_str(m, &value.to_string())) {
            self.members.record_bool(field, value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.handled(field, |m| put_json_str(m, value)) {
            self.members.record_str(field, value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.handled(field, |m| put_json_str(m, &format!("{value:?}"))) {
            self.members.record_debug(field, value);
        }
    }
}

fn put_json_str(buf: &mut Vec<u8>, text: &str) {
    let _ = serde_json::to_writer(&mut *buf, text);
}
