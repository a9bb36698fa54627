//! The sums stream: the collect layer's sums, made when JavaScript flushes
//! and returned by the flush (`collect/` writes it, the plugin's
//! `plugin/worker/sums.ts` reads it): the figures of the spans of one path
//! with one anchor, and the count of one event callsite and message with
//! one anchor. Layout: `mod.rs`.

use tracing_core::Metadata;

use super::encoding::{level_code, Put};
use super::wire_enum;

wire_enum! {
    /// The first byte of each record of the sums stream.
    pub(crate) enum Kind {
        /// A callsite, before the paths and event sums that name it.
        Callsite = 1,
        /// A span path (a callsite under a parent path), before the sums that name it.
        Path = 2,
        /// An event message, before the counts that name it.
        Message = 3,
        /// The figures of one path's spans with one anchor.
        SpanSums = 4,
        /// The count of one event callsite and message with one anchor.
        EventSums = 5,
    }
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

/// Declares [`SpanFigures`] from one list, which gives the struct its
/// fields, the stream their order and the TypeScript module their names.
macro_rules! span_figures {
    ($($(#[$doc:meta])* $field:ident => $js:literal,)*) => {
        /// The figures of a group of spans (one path's, with one anchor), in
        /// ns: what the collect layer sums on the instrumented thread, sends
        /// in SPAN_SUMS records and JavaScript adds up by test, path and
        /// name (`SpanFigures` in `plugin/data/stats.ts`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) struct SpanFigures {
            $($(#[$doc])* pub(crate) $field: u64,)*
        }

        impl SpanFigures {
            /// The figures' names in TypeScript, in the stream's order.
            #[cfg(test)]
            pub(crate) const NAMES: &'static [&'static str] = &[$($js),*];

            /// Each figure, in the stream's order.
            fn each(&self, mut f: impl FnMut(u64)) {
                $(f(self.$field);)*
            }
        }
    };
}

span_figures! {
    /// Spans closed.
    calls => "calls",
    /// Spans entered at least once: the shortest and longest are theirs.
    entered => "entered",
    /// Time entered, on every thread (tracing-subscriber's busy time);
    /// nested calls count in each ancestor.
    total_ns => "totalNs",
    /// `total_ns` less the time in child spans on the same thread.
    self_ns => "selfNs",
    /// The shortest entered span's total (0 in the stream when none was
    /// entered; `u64::MAX` while summing, so that any entered one is shorter).
    min_ns => "minNs",
    /// The longest entered span's total (0 when none was entered).
    max_ns => "maxNs",
    /// Creation to close, summed over the spans never entered (their only time).
    lifetime_ns => "lifetimeNs",
}

impl SpanFigures {
    /// One span, closed: entered for `total_ns` in all (`children_ns` of it
    /// in its children on the same threads), or never entered and alive
    /// for `lifetime_ns`.
    pub(crate) fn of_span(
        entered: bool,
        total_ns: u64,
        children_ns: u64,
        lifetime_ns: u64,
    ) -> Self {
        if entered {
            SpanFigures {
                calls: 1,
                entered: 1,
                total_ns,
                self_ns: total_ns.saturating_sub(children_ns),
                min_ns: total_ns,
                max_ns: total_ns,
                lifetime_ns: 0,
            }
        } else {
            SpanFigures {
                calls: 1,
                entered: 0,
                total_ns: 0,
                self_ns: 0,
                min_ns: u64::MAX,
                max_ns: 0,
                lifetime_ns,
            }
        }
    }

    /// Adds `other` in: counts and times summed, the shortest and longest
    /// entered span kept.
    pub(crate) fn add(&mut self, other: &SpanFigures) {
        self.calls += other.calls;
        self.entered += other.entered;
        self.total_ns += other.total_ns;
        self.self_ns += other.self_ns;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
        self.lifetime_ns += other.lifetime_ns;
    }
}

/// Encodes the description of callsite `id`: what the report tells of a
/// span or an event (its level, name and target), not its fields or
/// location.
pub(crate) fn put_callsite(buf: &mut Vec<u8>, id: u32, meta: &Metadata<'_>) {
    buf.put_u8(Kind::Callsite as u8);
    buf.put_u32(id);
    buf.put_u8(level_code(meta.level()));
    buf.put_str(meta.name());
    buf.put_str(meta.target());
}

fn put_anchor(buf: &mut Vec<u8>, anchor: Anchor) {
    buf.put_u64(anchor.ts);
    buf.put_u32(anchor.caller);
    buf.put_u8(u8::from(anchor.caused));
}

/// Encodes a span path: `callsite` under path `parent` (0: a root).
pub(crate) fn put_path(buf: &mut Vec<u8>, path: u32, parent: u32, callsite: u32) {
    buf.put_u8(Kind::Path as u8);
    buf.put_u32(path);
    buf.put_u32(parent);
    buf.put_u32(callsite);
}

/// Encodes an event message.
pub(crate) fn put_message(buf: &mut Vec<u8>, message: u32, text: &str) {
    buf.put_u8(Kind::Message as u8);
    buf.put_u32(message);
    buf.put_str(text);
}

/// Encodes the figures of one path's spans with one anchor.
pub(crate) fn put_span_sums(buf: &mut Vec<u8>, path: u32, anchor: Anchor, figures: &SpanFigures) {
    buf.put_u8(Kind::SpanSums as u8);
    buf.put_u32(path);
    put_anchor(buf, anchor);
    let sent = SpanFigures {
        min_ns: if figures.entered == 0 {
            0
        } else {
            figures.min_ns
        },
        ..*figures
    };
    sent.each(|figure| buf.put_u64(figure));
}

/// Encodes the count of one event callsite and message with one anchor.
pub(crate) fn put_event_sums(
    buf: &mut Vec<u8>,
    callsite: u32,
    message: u32,
    anchor: Anchor,
    count: u64,
) {
    buf.put_u8(Kind::EventSums as u8);
    buf.put_u32(callsite);
    buf.put_u32(message);
    put_anchor(buf, anchor);
    buf.put_u64(count);
}
