//! The lifecycle stream: every hook of every span and event, for a
//! session's callback layers (`dispatch/layers/callback.rs` writes it,
//! `src/lifecycle.ts` reads it). Layout: `mod.rs`.

use tracing_core::Metadata;

use super::encoding::{level_code, Put};
use super::wire_enum;

wire_enum! {
    /// The first byte of each record of the lifecycle stream.
    pub(crate) enum Kind {
        Callsite = 1,
        Thread = 2,
        NewSpan = 3,
        Record = 4,
        Enter = 5,
        Exit = 6,
        Close = 7,
        Event = 8,
    }
}

/// Encodes the description of callsite `id`: all a callback layer's
/// `SpanInfo` and `EventInfo` tell of it.
pub(crate) fn put_callsite(buf: &mut Vec<u8>, id: u32, meta: &Metadata<'_>) {
    buf.put_u8(Kind::Callsite as u8);
    buf.put_u32(id);
    buf.put_u8(level_code(meta.level()));
    buf.put_str(meta.name());
    buf.put_str(meta.target());
    buf.put_str(meta.module_path().unwrap_or(""));
    buf.put_str(meta.file().unwrap_or(""));
    buf.put_u32(meta.line().unwrap_or(0));
    let fields = meta.fields();
    buf.put_u16(fields.len().min(u16::MAX as usize) as u16);
    for field in fields.iter().take(u16::MAX as usize) {
        buf.put_str(field.name());
    }
}

/// Encodes the description of thread `tid`.
pub(crate) fn put_thread(buf: &mut Vec<u8>, tid: u64, name: &str) {
    buf.put_u8(Kind::Thread as u8);
    buf.put_u64(tid);
    buf.put_str(name);
}

/// Encodes a NEW_SPAN record up to its fields, which the caller appends.
pub(crate) fn put_new_span(
    buf: &mut Vec<u8>,
    span: u64,
    callsite: u32,
    parent: u64,
    tid: u64,
    ts: u64,
) {
    buf.put_u8(Kind::NewSpan as u8);
    buf.put_u64(span);
    buf.put_u32(callsite);
    buf.put_u64(parent);
    buf.put_u64(tid);
    buf.put_u64(ts);
}

/// Encodes a record about an existing span (RECORD, ENTER, EXIT, CLOSE):
/// a RECORD's fields follow, appended by the caller.
pub(crate) fn put_span_hook(buf: &mut Vec<u8>, kind: Kind, span: u64, tid: u64, ts: u64) {
    debug_assert!(matches!(
        kind,
        Kind::Record | Kind::Enter | Kind::Exit | Kind::Close
    ));
    buf.put_u8(kind as u8);
    buf.put_u64(span);
    buf.put_u64(tid);
    buf.put_u64(ts);
}

/// Encodes an EVENT record up to its fields, which the caller appends.
pub(crate) fn put_event(buf: &mut Vec<u8>, callsite: u32, parent: u64, tid: u64, ts: u64) {
    buf.put_u8(Kind::Event as u8);
    buf.put_u32(callsite);
    buf.put_u64(parent);
    buf.put_u64(tid);
    buf.put_u64(ts);
}
