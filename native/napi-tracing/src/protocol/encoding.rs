//! The encoding both streams share: little-endian integers, length-prefixed
//! strings, levels and field values.

use std::fmt;
use tracing_core::field::{Field, Visit};
use tracing_core::Level;

use super::wire_enum;

/// `tracing`'s levels in the order of their codes (`level_code`).
pub(crate) const LEVELS: [Level; 5] = [
    Level::TRACE,
    Level::DEBUG,
    Level::INFO,
    Level::WARN,
    Level::ERROR,
];

wire_enum! {
    /// The tag in front of each field value.
    pub(crate) enum Tag {
        I64 = 0,
        U64 = 1,
        F64 = 2,
        Bool = 3,
        Str = 4,
        Debug = 5,
        I128 = 6,
        U128 = 7,
    }
}

/// The code of `level`: its place in [`LEVELS`].
pub(crate) fn level_code(level: &Level) -> u8 {
    LEVELS.iter().position(|l| l == level).unwrap_or(0) as u8
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
