//! What this crate and the TypeScript package agree on, defined once: the
//! two record streams JavaScript reads, the track layout of the traces,
//! and the protocol version. `src/protocol.generated.ts` is rendered from
//! these definitions (`npm run protocol` writes it; a unit test here fails
//! while it is not current), and `test/vectors/` holds one record of each
//! kind as this crate encodes it, which the TypeScript readers' tests
//! decode value by value (a unit test here fails when the encoders no
//! longer write them).
//!
//! Both streams are byte strings of records, each starting with a one-byte
//! kind of its stream. Integers are little-endian; strings are a `u32` byte
//! length and UTF-8 bytes; a level is its place in TRACE, DEBUG, INFO,
//! WARN, ERROR. A callsite is described once per session and stream, before
//! the first record that names it, so that the records that follow carry
//! only its small id; each stream describes what its reader uses.
//!
//! The lifecycle stream (`lifecycle.rs`) carries every hook of every span
//! and event to a session's callback layers, delivered as they happen:
//!
//! ```text
//! CALLSITE  u32 callsite, u8 level, str name, str target, str module, str file,
//!           u32 line (0: unknown), u16 n, n × str field name
//! THREAD    u64 tid, str name
//! NEW_SPAN  u64 span, u32 callsite, u64 parent (0: root), u64 tid, u64 ts, fields
//! RECORD    u64 span, u64 tid, u64 ts, fields
//! ENTER     u64 span, u64 tid, u64 ts
//! EXIT      u64 span, u64 tid, u64 ts
//! CLOSE     u64 span, u64 tid, u64 ts
//! EVENT     u32 callsite, u64 parent (0: none), u64 tid, u64 ts, fields
//! fields    u16 n, n × (u16 field index, u8 value tag, value)
//! ```
//!
//! The sums stream (`sums.rs`) carries the collect layer's sums, made when
//! JavaScript flushes and returned by the flush: one batch per flush,
//! whatever the number of spans.
//!
//! ```text
//! CALLSITE   u32 callsite, u8 level, str name, str target
//! PATH       u32 path, u32 parent path (0: a root), u32 callsite
//! MESSAGE    u32 message, str text
//! SPAN_SUMS  u32 path, anchor, SpanFigures (each a u64, in their order)
//! EVENT_SUMS u32 callsite, u32 message (0: not kept), anchor, u64 count
//! anchor     u64 epoch ts, u32 caller tag, u8 caused (1: the call that made
//!            the spans is known; 0: they were placed by time)
//! ```
//!
//! Span ids are this crate's own counters, never reused (tracing's ids
//! are). Timestamps are nanoseconds on the clock of
//! `process.hrtime.bigint()`.

pub(crate) mod encoding;
pub(crate) mod lifecycle;
pub(crate) mod sums;
pub(crate) mod tracks;
#[cfg(test)]
mod typescript;
#[cfg(test)]
mod vectors;

pub(crate) use sums::Anchor;

/// The first line where `file` (as written) and `now` (as the crate makes
/// it) differ, for a failure that shows the change, not both texts whole.
#[cfg(test)]
fn first_difference(file: &str, now: &str) -> Option<String> {
    let (mut written, mut made) = (file.lines(), now.lines());
    for line in 1.. {
        match (written.next(), made.next()) {
            (None, None) => return None,
            (a, b) if a == b => continue,
            (a, b) => {
                return Some(format!(
                    "line {line}:\n  the file has   {}\n  the crate has  {}",
                    a.unwrap_or("(nothing)"),
                    b.unwrap_or("(nothing)")
                ))
            }
        }
    }
    None
}

/// Bumped whenever a stream's layout or the exported entry points change;
/// the TypeScript side refuses to talk to an addon built with another
/// version.
pub const PROTOCOL_VERSION: u32 = 10;

/// A one-byte enum of the protocol, with each variant's name and value
/// for the TypeScript module (`typescript.rs`).
macro_rules! wire_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$variant_meta:meta])* $variant:ident = $value:expr,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant = $value,)*
        }

        impl $name {
            /// Each variant's name and value.
            #[cfg(test)]
            pub(crate) const ALL: &'static [(&'static str, u8)] =
                &[$((stringify!($variant), $value)),*];
        }
    };
}
pub(crate) use wire_enum;
