//! The lifecycle stream: every hook of every span and event, for a
//! session's callback layers (`dispatch/layers/callback.rs` writes it,
//! `src/lifecycle.ts` reads it). Layout: `mod.rs`.

use super::encoding::{Put, CALLSITE};
use super::wire_enum;

wire_enum! {
    /// The first byte of each record of the lifecycle stream.
    pub(crate) enum Kind {
        /// Written by `encoding::put_callsite`, the same in both streams.
        #[allow(dead_code)]
        Callsite = CALLSITE,
        Thread = 2,
        NewSpan = 3,
        Record = 4,
        Enter = 5,
        Exit = 6,
        Close = 7,
        Event = 8,
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
