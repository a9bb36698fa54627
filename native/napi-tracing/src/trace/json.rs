//! Chrome trace entries (JSON Trace Event Format), written straight into a
//! byte buffer by the writer thread: one entry per line, each followed by a
//! comma, so that a worker's file is a run of complete entries at any
//! moment and the merged trace is the files' bytes (`plugin/trace/merge.ts`).

use std::sync::{OnceLock, RwLock};

use rustc_hash::FxHashMap;
use tracing_core::Metadata;

use crate::sync::{read, write};

/// A complete slice (`"ph":"X"`): a span entered at `start_ns` for `dur_ns`.
/// `names` comes from [`names_of`], `args` are JSON object members; with
/// `location`, the callsite's `.file` and `.line` (as tracing-chrome writes them).
pub(crate) fn slice(
    buf: &mut Vec<u8>,
    names: &[u8],
    (start_ns, dur_ns): (u64, u64),
    args: &[u8],
    location: Option<&Metadata<'_>>,
    pid: u64,
    tid: u64,
) {
    open_entry(buf, b"{\"ph\":\"X\",", names, start_ns);
    buf.extend_from_slice(b",\"dur\":");
    put_micros(buf, dur_ns);
    if let Some(meta) = location {
        if let Some(file) = meta.file() {
            buf.extend_from_slice(b",\".file\":");
            put_json_str(buf, file);
        }
        if let Some(line) = meta.line() {
            buf.extend_from_slice(b",\".line\":");
            put_int(buf, u64::from(line));
        }
    }
    close_entry(buf, args, pid, tid);
}

/// An instant event on its thread (`"ph":"I"`): a `tracing` event, named
/// by its message (`message`, a JSON string; empty: the callsite's name).
pub(crate) fn instant(
    buf: &mut Vec<u8>,
    names: &[u8],
    message: &[u8],
    ts_ns: u64,
    args: &[u8],
    pid: u64,
    tid: u64,
) {
    if message.is_empty() {
        open_entry(buf, b"{\"ph\":\"I\",\"s\":\"t\",", names, ts_ns);
    } else {
        buf.extend_from_slice(b"{\"ph\":\"I\",\"s\":\"t\",\"name\":");
        buf.extend_from_slice(message);
        // `names` is `"name":…,"cat":…`: the category is what follows the name.
        let cat = names
            .windows(7)
            .rposition(|w| w == b",\"cat\":")
            .map_or(&b""[..], |at| &names[at..]);
        buf.extend_from_slice(cat);
        buf.extend_from_slice(b",\"ts\":");
        put_micros(buf, ts_ns);
    }
    close_entry(buf, args, pid, tid);
}

/// What makes this addon's span ids unique among every addon's in one
/// process: the address of a static, of which each loaded addon has its own.
fn addon_scope() -> u64 {
    static SCOPE: u8 = 0;
    std::ptr::addr_of!(SCOPE) as u64
}

/// An id unique in a merged trace for span `uid`: pid, addon, uid.
fn put_span_id(buf: &mut Vec<u8>, pid: u64, uid: u64) {
    put_int(buf, pid);
    buf.push(b'.');
    buf.extend_from_slice(format!("{:x}", addon_scope()).as_bytes());
    buf.push(b'.');
    put_int(buf, uid);
}

/// A span's lifetime, for spans never entered: a nestable async slice
/// (`"ph":"b"` then `"ph":"e"`, one id), which viewers lay out on lanes of
/// their own, so lifetimes that overlap (handles of pending work) never
/// collide as a thread's slices would. Perfetto draws them; they are no
/// thread's busy time.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lifetime(
    buf: &mut Vec<u8>,
    names: &[u8],
    (start_ns, dur_ns): (u64, u64),
    uid: u64,
    args: &[u8],
    pid: u64,
    tid: u64,
) {
    for (phase, ts) in [(b'b', start_ns), (b'e', start_ns + dur_ns)] {
        buf.extend_from_slice(b"{\"ph\":\"");
        buf.push(phase);
        buf.extend_from_slice(b"\",\"id2\":{\"local\":\"");
        put_span_id(buf, pid, uid);
        buf.extend_from_slice(b"\"},");
        buf.extend_from_slice(names);
        buf.extend_from_slice(b",\"ts\":");
        put_micros(buf, ts);
        close_entry(buf, if phase == b'b' { args } else { b"" }, pid, tid);
    }
}

/// A flow's id: a hash of the pid, the addon, the span's uid and the flow's
/// number, written as hexadecimal digits, which is what Perfetto reads
/// (DevTools takes any string). Unique in a merged trace but by a chance of
/// about one in 2^64 per pair of flows.
fn put_flow_id(buf: &mut Vec<u8>, pid: u64, (uid, number): (u64, u32)) {
    let id = mix(pid ^ mix(addon_scope() ^ mix(uid ^ mix(u64::from(number) + 1))));
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        buf.push(HEX[((id >> (shift * 4)) & 0xf) as usize]);
    }
}

/// splitmix64's finaliser: every input bit moves every output bit.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// One end of a flow (`"ph":"s"` or `"ph":"f"`), bound to the slice of this
/// name and category that starts at `ts_ns` on `tid` (DevTools binds by that
/// start, Perfetto to the slice enclosing it). `flow` is the span's uid and
/// the flow's number: the later poll's between two polls of one span, 0
/// from the slice that caused the span to its first slice.
pub(crate) fn flow(
    buf: &mut Vec<u8>,
    names: &[u8],
    phase: u8,
    flow: (u64, u32),
    ts_ns: u64,
    pid: u64,
    tid: u64,
) {
    buf.extend_from_slice(b"{\"ph\":\"");
    buf.push(phase);
    buf.extend_from_slice(b"\",\"id\":\"");
    put_flow_id(buf, pid, flow);
    buf.extend_from_slice(b"\",");
    if phase == b'f' {
        // Bound to the enclosing slice, as the start is, not to the next one.
        buf.extend_from_slice(b"\"bp\":\"e\",");
    }
    buf.extend_from_slice(names);
    buf.extend_from_slice(b",\"ts\":");
    put_micros(buf, ts_ns);
    buf.extend_from_slice(b",\"pid\":");
    put_int(buf, pid);
    buf.extend_from_slice(b",\"tid\":");
    put_int(buf, tid);
    buf.extend_from_slice(b"},\n");
}

fn open_entry(buf: &mut Vec<u8>, head: &[u8], names: &[u8], ts_ns: u64) {
    buf.extend_from_slice(head);
    buf.extend_from_slice(names);
    buf.extend_from_slice(b",\"ts\":");
    put_micros(buf, ts_ns);
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
pub(crate) fn names_of(meta: &'static Metadata<'static>) -> &'static [u8] {
    static NAMES: OnceLock<RwLock<FxHashMap<usize, &'static [u8]>>> = OnceLock::new();
    let table = NAMES.get_or_init(Default::default);
    let key = callsite_key(meta);
    if let Some(names) = read(table).get(&key) {
        return names;
    }
    let mut names = b"\"name\":".to_vec();
    let _ = serde_json::to_writer(&mut names, meta.name());
    names.extend_from_slice(b",\"cat\":");
    let _ = serde_json::to_writer(&mut names, meta.target());
    let names: &'static [u8] = Box::leak(names.into_boxed_slice());
    write(table).entry(key).or_insert(names)
}

/// A callsite's identity: its metadata is a static that lives forever.
pub(crate) fn callsite_key(meta: &'static Metadata<'static>) -> usize {
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

/// A metadata entry naming a process or a track (`process_name`, `thread_name`).
pub(crate) fn name_entry(buf: &mut Vec<u8>, what: &str, name: &str, pid: u64, tid: u64) {
    buf.extend_from_slice(b"{\"ph\":\"M\",\"name\":\"");
    buf.extend_from_slice(what.as_bytes());
    buf.extend_from_slice(b"\",\"pid\":");
    put_int(buf, pid);
    buf.extend_from_slice(b",\"tid\":");
    put_int(buf, tid);
    buf.extend_from_slice(b",\"args\":{\"name\":");
    put_json_str(buf, name);
    buf.extend_from_slice(b"}},\n");
}

/// Appends `text` as a JSON string.
pub(crate) fn put_json_str(buf: &mut Vec<u8>, text: &str) {
    let _ = serde_json::to_writer(&mut *buf, text);
}

fn put_int(buf: &mut Vec<u8>, n: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_json_lines_ending_in_a_comma() {
        let mut buf = Vec::new();
        let names = b"\"name\":\"a\",\"cat\":\"t\"";
        slice(&mut buf, names, (1_234_567, 890), b"\"n\":1", None, 7, 8);
        instant(&mut buf, names, b"", 5, b"", 7, 8);
        instant(
            &mut buf,
            names,
            b"\"said \\\"hi\\\"\"",
            5,
            b"\"level\":\"INFO\"",
            7,
            8,
        );
        flow(&mut buf, names, b's', (42, 2), 1_000, 7, 8);
        flow(&mut buf, names, b'f', (42, 2), 2_000, 7, 9);
        name_entry(&mut buf, "thread_name", "fib \"0\"", 7, 9);
        lifetime(&mut buf, names, (3_000, 2_000), 42, b"\"n\":2", 7, 8);
        let text = String::from_utf8(buf).unwrap();
        let scope = format!("{:x}", addon_scope());
        let mut id = Vec::new();
        put_flow_id(&mut id, 7, (42, 2));
        let flow = String::from_utf8(id).unwrap();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        assert_eq!(
            lines,
            [
                r#"{"ph":"X","name":"a","cat":"t","ts":1234.567,"dur":0.890,"args":{"n":1},"pid":7,"tid":8},"#.to_owned(),
                r#"{"ph":"I","s":"t","name":"a","cat":"t","ts":0.005,"args":{},"pid":7,"tid":8},"#.to_owned(),
                r#"{"ph":"I","s":"t","name":"said \"hi\"","cat":"t","ts":0.005,"args":{"level":"INFO"},"pid":7,"tid":8},"#.to_owned(),
                format!(r#"{{"ph":"s","id":"{flow}","name":"a","cat":"t","ts":1.000,"pid":7,"tid":8}},"#),
                format!(r#"{{"ph":"f","id":"{flow}","bp":"e","name":"a","cat":"t","ts":2.000,"pid":7,"tid":9}},"#),
                r#"{"ph":"M","name":"thread_name","pid":7,"tid":9,"args":{"name":"fib \"0\""}},"#.to_owned(),
                format!(r#"{{"ph":"b","id2":{{"local":"7.{scope}.42"}},"name":"a","cat":"t","ts":3.000,"args":{{"n":2}},"pid":7,"tid":8}},"#),
                format!(r#"{{"ph":"e","id2":{{"local":"7.{scope}.42"}},"name":"a","cat":"t","ts":5.000,"args":{{}},"pid":7,"tid":8}},"#),
            ]
        );
        for line in lines {
            serde_json::from_str::<serde_json::Value>(line.strip_suffix(',').unwrap()).unwrap();
        }
    }

    #[test]
    fn flow_ids_are_hexadecimal_and_differ_by_each_part() {
        let id = |pid, uid, number| {
            let mut buf = Vec::new();
            put_flow_id(&mut buf, pid, (uid, number));
            String::from_utf8(buf).unwrap()
        };
        let one = id(7, 42, 2);
        // What Perfetto's importer parses: the whole string as base-16 digits.
        assert_eq!(one.len(), 16);
        assert!(u64::from_str_radix(&one, 16).is_ok(), "{one}");
        let others = [id(8, 42, 2), id(7, 43, 2), id(7, 42, 3), id(7, 42, 0)];
        assert!(others.iter().all(|o| *o != one), "{one} {others:?}");
    }
}
