//! Chrome trace entries (JSON Trace Event Format), written straight into a
//! byte buffer: one entry per line, each followed by a comma, so that a
//! worker's file is a run of complete entries at any moment and the merged
//! trace is the files' bytes (`src/trace/merge.ts`).

use std::io::Write as _;
use std::sync::{OnceLock, RwLock};

use rustc_hash::FxHashMap;
use tracing_core::field::{Field, Visit};
use tracing_core::Metadata;

/// A complete slice (`"ph":"X"`): a span entered at `start_ns` for `dur_ns`.
/// `names` comes from [`names_of`], `args` are JSON object members.
pub(super) fn slice(
    buf: &mut Vec<u8>,
    names: &[u8],
    start_ns: u64,
    dur_ns: u64,
    args: &[u8],
    pid: u64,
    tid: u64,
) {
    open_entry(buf, b"{\"ph\":\"X\",", names, start_ns);
    buf.extend_from_slice(b",\"dur\":");
    put_micros(buf, dur_ns);
    close_entry(buf, args, pid, tid);
}

/// An instant event on its thread (`"ph":"I"`): a `tracing` event.
pub(super) fn instant(
    buf: &mut Vec<u8>,
    names: &[u8],
    ts_ns: u64,
    args: &[u8],
    pid: u64,
    tid: u64,
) {
    open_entry(buf, b"{\"ph\":\"I\",\"s\":\"t\",", names, ts_ns);
    close_entry(buf, args, pid, tid);
}

fn open_entry(buf: &mut Vec<u8>, head: &[u8], names: &[u8], ts_ns: u64) {
    buf.extend_from_slice(head);
    buf.extend_from_slice(names);
    buf.extend_from_slice(b",\"ts\":");
    put_micros(buf, ts_ns);
}

/// The metadata entry that names a thread track.
pub(super) fn thread_name(buf: &mut Vec<u8>, name: &str, pid: u64, tid: u64) {
    buf.extend_from_slice(b"{\"ph\":\"M\",\"name\":\"thread_name\",\"args\":{\"name\":");
    let _ = serde_json::to_writer(&mut *buf, if name.is_empty() { "thread" } else { name });
    let _ = writeln!(buf, "}},\"pid\":{pid},\"tid\":{tid}}},");
}

fn close_entry(buf: &mut Vec<u8>, args: &[u8], pid: u64, tid: u64) {
    buf.extend_from_slice(b",\"args\":{");
    buf.extend_from_slice(args);
    buf.extend_from_slice(b"},\"pid\":");
    put_int(buf, pid);
    buf.extend_from_slice(b",\"tid\":");
    put_int(buf, tid);
    buf.extend_from_slice(b"},\n");
}

/// `"name":…,"cat":…` of a callsite, made once per process: callsites are
/// few and live forever. Callers keep their own cache in front of this
/// table, so the table's lock is not taken per entry.
pub(super) fn names_of(meta: &'static Metadata<'static>) -> &'static [u8] {
    static NAMES: OnceLock<RwLock<FxHashMap<usize, &'static [u8]>>> = OnceLock::new();
    let table = NAMES.get_or_init(Default::default);
    let key = callsite_key(meta);
    if let Some(names) = table.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return names;
    }
    let mut names = b"\"name\":".to_vec();
    let _ = serde_json::to_writer(&mut names, meta.name());
    names.extend_from_slice(b",\"cat\":");
    let _ = serde_json::to_writer(&mut names, meta.target());
    let names: &'static [u8] = Box::leak(names.into_boxed_slice());
    table
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert(names)
}

/// A callsite's identity: its metadata is a static that lives forever.
pub(super) fn callsite_key(meta: &'static Metadata<'static>) -> usize {
    meta as *const Metadata<'static> as usize
}

/// Appends nanoseconds as microseconds with three decimals (`1234.567`).
fn put_micros(buf: &mut Vec<u8>, ns: u64) {
    let mut digits = itoa::Buffer::new();
    buf.extend_from_slice(digits.format(ns / 1000).as_bytes());
    let frac = ns % 1000;
    buf.extend_from_slice(&[
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

fn put_int(buf: &mut Vec<u8>, n: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Field values as JSON object members (`"a":1,"b":"x"`), appended.
pub(super) struct JsonMembers<'a>(pub(super) &'a mut Vec<u8>);

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
        put_int(self.0, value);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_json_lines_ending_in_a_comma() {
        let mut buf = Vec::new();
        slice(
            &mut buf,
            b"\"name\":\"a\",\"cat\":\"t\"",
            1_234_567,
            890,
            b"\"n\":1",
            7,
            8,
        );
        instant(&mut buf, b"\"name\":\"e\",\"cat\":\"t\"", 5, b"", 7, 8);
        thread_name(&mut buf, "", 7, 8);
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"ph":"X","name":"a","cat":"t","ts":1234.567,"dur":0.890,"args":{"n":1},"pid":7,"tid":8},"#
        );
        assert_eq!(
            lines[1],
            r#"{"ph":"I","s":"t","name":"e","cat":"t","ts":0.005,"args":{},"pid":7,"tid":8},"#
        );
        assert_eq!(
            lines[2],
            r#"{"ph":"M","name":"thread_name","args":{"name":"thread"},"pid":7,"tid":8},"#
        );
    }
}
