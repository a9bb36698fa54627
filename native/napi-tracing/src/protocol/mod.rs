//! The binary record layout shared with `src/record.ts`, defined once.
//!
//! A batch is a byte string of records, each starting with a one-byte [`Kind`].
//! Integers are little-endian. Strings are a `u32` byte length and UTF-8 bytes.
//! Callsite and thread descriptions are sent once per session, before the first
//! record that refers to them, so the hot records carry only small ids.
//!
//! ```text
//! CALLSITE  u32 callsite, u8 level, u8 is_span, str name, str target, str module,
//!           str file, u32 line (0: unknown), u16 n, n × str field name
//! THREAD    u64 tid, str name
//! NEW_SPAN  u64 span, u32 callsite, u64 parent (0: root), u64 tid, u64 ts, u32 caller, fields
//! RECORD    u64 span, u64 tid, u64 ts, fields
//! ENTER     u64 span, u64 tid, u64 ts
//! EXIT      u64 span, u64 tid, u64 ts
//! CLOSE     u64 span, u64 tid, u64 ts
//! EVENT     u32 callsite, u64 parent (0: none), u64 tid, u64 ts, fields
//! SPAN_STATS u32 callsite, u32 path, anchor, u64 calls, u64 entered (calls
//!           entered at least once), u64 busy ns, u64 self ns (busy less
//!           children on their thread), u64 min busy ns, u64 max busy ns (of
//!           the entered ones; 0 without), u64 lifetime ns (creation to close,
//!           summed over the spans never entered)
//! PATH      u32 path, u32 parent path (0: a root), u32 callsite: a span path,
//!           sent once per session before the sums that name it
//! EVENT_STATS u32 callsite, u32 message (0: not kept), anchor, u64 count
//! MESSAGE   u32 message, str text: an event message, sent once per session
//! TRACK     u64 track, str name: a track the collect layer wrote trace entries
//!           on for the first time (a thread, or a track of its own), to be named
//! fields    u16 n, n × (u16 field index, u8 value tag, value)
//! anchor    u64 epoch ts, u32 caller tag, u8 flags (bit 0: caused, the
//!           call that made the span is known; else it was placed by time)
//! ```
//!
//! Span ids are this crate's own counters, never reused (tracing's ids are).
//! `caller` is the tag JavaScript set on the creating thread before calling
//! into the addon (`napiTracingCaller`), 0 for none: it tells which of
//! several concurrent tests made a span.
//! Timestamps are nanoseconds on the clock of `process.hrtime.bigint()`.

use std::fmt;
use tracing_core::field::{Field, Visit};
use tracing_core::{Level, Metadata};

pub(crate) mod tracks;

/// Bumped whenever the layout or the exported entry points change; the
/// TypeScript side refuses to talk to an addon built with another version.
pub const PROTOCOL_VERSION: u32 = 9;

/// The first byte of every record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Callsite = 1,
    Thread = 2,
    NewSpan = 3,
    Record = 4,
    Enter = 5,
    Exit = 6,
    Close = 7,
    Event = 8,
    /// The collect layer's sums of one callsite's spans with one anchor,
    /// made when JavaScript flushes (`collect/`).
    SpanStats = 9,
    /// A track the collect layer's trace entries are on, and its name; sent
    /// once per session, at the flush after its first entry.
    Track = 10,
    /// A span path (callsite under a parent path), before sums that name it.
    Path = 11,
    /// The collect layer's count of one event callsite and message with one anchor.
    EventStats = 12,
    /// An event message, before counts that name it.
    Message = 13,
}

/// The tag in front of each field value.
#[repr(u8)]
enum Tag {
    I64 = 0,
    U64 = 1,
    F64 = 2,
    Bool = 3,
    Str = 4,
    Debug = 5,
    I128 = 6,
    U128 = 7,
}

pub(crate) fn level_code(level: &Level) -> u8 {
    match *level {
        Level::TRACE => 0,
        Level::DEBUG => 1,
        Level::INFO => 2,
        Level::WARN => 3,
        Level::ERROR => 4,
    }
}

/// Appends little-endian values and length-prefixed strings to a byte buffer.
pub(crate) trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_str(&mut self, s: &str);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_str(&mut self, s: &str) {
        // Strings longer than 4 GiB cannot occur in practice; cut rather than wrap.
        let len = s.len().min(u32::MAX as usize);
        self.put_u32(len as u32);
        self.extend_from_slice(&s.as_bytes()[..len]);
    }
}

/// Encodes a callsite description record.
pub(crate) fn put_callsite(buf: &mut Vec<u8>, id: u32, meta: &Metadata<'_>) {
    buf.put_u8(Kind::Callsite as u8);
    buf.put_u32(id);
    buf.put_u8(level_code(meta.level()));
    buf.put_u8(meta.is_span() as u8);
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

/// Encodes a NEW_SPAN record up to its fields, which the caller appends.
pub(crate) fn put_new_span(
    buf: &mut Vec<u8>,
    span: u64,
    callsite: u32,
    parent: u64,
    tid: u64,
    ts: u64,
    caller: u32,
) {
    buf.put_u8(Kind::NewSpan as u8);
    buf.put_u64(span);
    buf.put_u32(callsite);
    buf.put_u64(parent);
    buf.put_u64(tid);
    buf.put_u64(ts);
    buf.put_u32(caller);
}

/// Encodes a track description record.
pub(crate) fn put_track(buf: &mut Vec<u8>, track: u64, name: &str) {
    buf.put_u8(Kind::Track as u8);
    buf.put_u64(track);
    buf.put_str(name);
}

/// Encodes a path description record.
pub(crate) fn put_path(buf: &mut Vec<u8>, path: u32, parent: u32, callsite: u32) {
    buf.put_u8(Kind::Path as u8);
    buf.put_u32(path);
    buf.put_u32(parent);
    buf.put_u32(callsite);
}

/// Encodes an event message record.
pub(crate) fn put_message(buf: &mut Vec<u8>, message: u32, text: &str) {
    buf.put_u8(Kind::Message as u8);
    buf.put_u32(message);
    buf.put_str(text);
}

/// Where a span is attributed from: the epoch it was made in (the moment
/// of the collection's last flush, on the clock of `process.hrtime`), the
/// caller tag of the JavaScript call that made it, and whether that call
/// is known (`caused`) or the span was only placed by time (a span with no
/// parent made on a thread no call is known to have started).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Anchor {
    pub(crate) ts: u64,
    pub(crate) caller: u32,
    pub(crate) caused: bool,
}

/// The sums of one path's spans with one anchor, in ns (see SPAN_STATS).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SpanFigures {
    pub(crate) calls: u64,
    /// Spans entered at least once; min and max are theirs.
    pub(crate) entered: u64,
    pub(crate) busy: u64,
    pub(crate) self_ns: u64,
    pub(crate) min: u64,
    pub(crate) max: u64,
    /// Creation to close, summed over the spans never entered.
    pub(crate) lifetime: u64,
}

fn put_anchor(buf: &mut Vec<u8>, anchor: Anchor) {
    buf.put_u64(anchor.ts);
    buf.put_u32(anchor.caller);
    buf.put_u8(u8::from(anchor.caused));
}

/// Encodes the sums of one path's spans with one anchor (see SPAN_STATS).
pub(crate) fn put_span_stats(
    buf: &mut Vec<u8>,
    callsite: u32,
    path: u32,
    anchor: Anchor,
    f: &SpanFigures,
) {
    buf.put_u8(Kind::SpanStats as u8);
    buf.put_u32(callsite);
    buf.put_u32(path);
    put_anchor(buf, anchor);
    let min = if f.entered == 0 { 0 } else { f.min };
    for figure in [
        f.calls, f.entered, f.busy, f.self_ns, min, f.max, f.lifetime,
    ] {
        buf.put_u64(figure);
    }
}

/// Encodes the count of one event callsite and message with one anchor.
pub(crate) fn put_event_stats(
    buf: &mut Vec<u8>,
    callsite: u32,
    message: u32,
    anchor: Anchor,
    count: u64,
) {
    buf.put_u8(Kind::EventStats as u8);
    buf.put_u32(callsite);
    buf.put_u32(message);
    put_anchor(buf, anchor);
    buf.put_u64(count);
}

/// Encodes a thread description record.
pub(crate) fn put_thread(buf: &mut Vec<u8>, tid: u64, name: &str) {
    buf.put_u8(Kind::Thread as u8);
    buf.put_u64(tid);
    buf.put_str(name);
}

/// Encodes field values as `u16 n, n × (u16 index, u8 tag, value)`.
///
/// The count is patched in once the visitor has run, so values are written
/// in one pass without collecting them first.
pub(crate) struct FieldEncoder<'a> {
    buf: &'a mut Vec<u8>,
    count_at: usize,
    count: u16,
    /// The indices of the fields recorded, below 64 (see [`FieldEncoder::finish`]).
    seen: u64,
}

impl<'a> FieldEncoder<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>) -> Self {
        let count_at = buf.len();
        buf.put_u16(0);
        FieldEncoder {
            buf,
            count_at,
            count: 0,
            seen: 0,
        }
    }

    fn head(&mut self, field: &Field, tag: Tag) -> bool {
        if self.count == u16::MAX {
            return false;
        }
        self.count += 1;
        if field.index() < 64 {
            self.seen |= 1 << field.index();
        }
        self.buf
            .put_u16(field.index().min(u16::MAX as usize) as u16);
        self.buf.put_u8(tag as u8);
        true
    }

    /// Ends the group of fields; returns the indices of those recorded, as
    /// bits (fields from the 65th on are not told).
    pub(crate) fn finish(self) -> u64 {
        self.buf[self.count_at..self.count_at + 2].copy_from_slice(&self.count.to_le_bytes());
        self.seen
    }
}

impl Visit for FieldEncoder<'_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.head(field, Tag::I64) {
            self.buf.extend_from_slice(&value.to_le_bytes());
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.head(field, Tag::U64) {
            self.buf.put_u64(value);
        }
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        if self.head(field, Tag::I128) {
            self.buf.extend_from_slice(&value.to_le_bytes());
        }
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        if self.head(field, Tag::U128) {
            self.buf.extend_from_slice(&value.to_le_bytes());
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.head(field, Tag::F64) {
            self.buf.extend_from_slice(&value.to_le_bytes());
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.head(field, Tag::Bool) {
            self.buf.put_u8(value as u8);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.head(field, Tag::Str) {
            self.buf.put_str(value);
        }
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // Errors read best through Display, as `tracing-subscriber`'s fmt shows them.
        if self.head(field, Tag::Str) {
            let text = value.to_string();
            self.buf.put_str(&text);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.head(field, Tag::Debug) {
            let at = self.buf.len();
            self.buf.put_u32(0);
            // Format straight into the buffer, then patch the length in.
            let mut writer = ByteWriter(self.buf);
            let _ = fmt::write(&mut writer, format_args!("{value:?}"));
            let len = (self.buf.len() - at - 4).min(u32::MAX as usize) as u32;
            self.buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
        }
    }
}

struct ByteWriter<'a>(&'a mut Vec<u8>);

impl fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
