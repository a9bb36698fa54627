//! The collect layer: what the Vitest plugin runs in every worker.
//!
//! All per-span work stays in Rust: timing (busy time, time in children on
//! the same thread), the trace itself, streamed to a file as Chrome trace
//! lines, and the statistics, summed by callsite and anchor. JavaScript
//! receives the sums when it flushes, one small record per (callsite,
//! anchor), attributes each to a test and adds it up (`src/collector.ts`).
//! No JavaScript runs per span, and what waits for JavaScript grows with
//! the number of callsites, not of spans.
//!
//! What JavaScript attributes by is the span's anchor: for a span made on
//! the session's JavaScript thread, the moment of the last flush before it
//! (an epoch) and the caller tag of the JavaScript call that made it; for
//! any other span its parent's anchor, else the current epoch. Work fanned
//! out to threads so belongs to the test whose call started it. The
//! JavaScript side flushes when a test starts and ends (`SpanCollector`
//! does), so an epoch never straddles a test's start or end and the epoch's
//! time places its spans exactly as their own start times would.
//!
//! The trace keeps every slice placeable: a slice is written on the track
//! of the thread it ran on, on the track JavaScript gave the concurrent
//! test that called (`tracks.rs`), or, when spans exit out of order, on a
//! displaced track of its own; the polls of a span entered several times
//! are linked by flow events.

mod collection;
mod interned;
mod trace_json;
mod writer;

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Metadata};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::SpanRef;
use tracing_subscriber::{Layer, Registry};

use super::fields_json::{event_args, EventMembers, JsonMembers};
use super::{create_file, tracks};
use crate::queue::Outbox;
use crate::span_data::{self, SpanData};
use crate::sync::lock;
use crate::{caller, clock, thread_info};
use collection::Local;
pub(crate) use collection::{Collection, TraceOutput};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CollectConfig {
    /// The worker's trace file (Chrome trace entries, one per line, each
    /// followed by a comma), created or truncated.
    pub(crate) path: String,
    /// The pid to write: the process's, or a worker thread's own.
    pub(crate) pid: u64,
    /// Span fields as slice args.
    pub(crate) include_args: bool,
    /// Sums by span path (call trees); without, by callsite alone.
    #[serde(default = "yes")]
    pub(crate) paths: bool,
}

fn yes() -> bool {
    true
}

/// Where a span is attributed from: see the module docs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Anchor {
    ts: u64,
    caller: u32,
}

/// Per span: its timing, its anchor, and its fields as JSON members for the slice args.
struct Timing {
    busy: u64,
    child: u64,
    /// Times entered so far: a span entered again (an async fn's polls)
    /// has its slices linked by flow events.
    polls: u32,
    /// The last poll's start and track, for the flow to the next one.
    last_poll: (u64, u64),
    created_at: u64,
    created_on: u64,
    /// The track JavaScript chose for spans of the call that made this one
    /// (a concurrent test's), for its slices on the thread that made it.
    given_track: Option<u64>,
    /// This crate's span id, for flow ids (tracing's ids are reused).
    uid: u64,
    anchor: Anchor,
    /// Its path: its callsite under its parent's (see `interned.rs`).
    path: u32,
    /// `"a":1,"b":"x"`: JSON object members, without braces.
    args: Vec<u8>,
    /// The `Local` of the thread that made the span: it counts the span as
    /// open and sums it when it closes.
    local: Arc<Mutex<Local>>,
}

impl Timing {
    /// The track of a slice of this span that ran on thread `tid`,
    /// displaced `level` levels by out-of-order exits.
    fn track(&self, tid: u64, level: u8) -> (u64, u64) {
        let base = match self.given_track {
            Some(given) if self.created_on == tid => given,
            _ => tid,
        };
        (base, tracks::displaced(base, level))
    }
}

pub(crate) struct CollectLayer {
    collection: Arc<Collection>,
    include_args: bool,
    paths: bool,
}

impl CollectLayer {
    pub(crate) fn build(
        config: &CollectConfig,
        capacity: usize,
    ) -> Result<(CollectLayer, Arc<Outbox>, TraceOutput, Arc<Collection>), String> {
        let file = create_file("collectLayer", &config.path)?;
        // Records are made only when JavaScript flushes, and taken right after.
        let outbox = Arc::new(Outbox::new(capacity, false));
        let collection = Arc::new(Collection::new(file, config.pid, outbox.clone())?);
        let layer = CollectLayer {
            collection: collection.clone(),
            include_args: config.include_args,
            paths: config.paths,
        };
        let output = TraceOutput {
            collection: collection.clone(),
            path: config.path.clone(),
        };
        Ok((layer, outbox, output, collection))
    }
}

impl Layer<Registry> for CollectLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        let Some(span) = ctx.span(id) else { return };
        let mut args = Vec::new();
        if self.include_args && !attrs.values().is_empty() {
            // Room for a few small fields at once instead of growing field by field.
            args.reserve(64);
            attrs.record(&mut JsonMembers(&mut args));
        }
        let now = clock::now_ns();
        let tid = thread_info::with_current(|t| t.tid);
        // Spans made on the session's JavaScript thread are anchored by the
        // call that made them.
        let on_js_thread = tid == self.collection.js_tid;
        // The nearest ancestor this layer sees gives the path (and, off the
        // JavaScript thread, the anchor: work fanned out belongs to the test
        // that started it). Without paths, spans on the JavaScript thread
        // need no ancestor.
        let parent = (self.paths || !on_js_thread)
            .then(|| span_data::parent_of(attrs.parent(), attrs.is_contextual(), &ctx))
            .flatten()
            .and_then(nearest_timed);
        let inherited = parent.filter(|_| !on_js_thread).map(|(anchor, _)| anchor);
        let meta = attrs.metadata();
        let local = self.collection.local();
        let (anchor, path) = {
            let mut counted_in = lock(&local);
            let anchor = inherited.unwrap_or_else(|| {
                let caller = if on_js_thread { caller::tag() } else { 0 };
                self.collection.anchor_now(&counted_in, caller)
            });
            counted_in.opened(anchor);
            let parent_path = parent
                .filter(|_| self.paths)
                .map_or(interned::ROOT, |(_, p)| p);
            let path = counted_in.path(&self.collection, parent_path, meta);
            (anchor, path)
        };
        let given_track = match caller::track() {
            0 => None,
            track => Some(u64::from(track)),
        };
        let mut ext = span.extensions_mut();
        let uid = ext.get_mut::<SpanData>().map_or(0, |data| data.uid);
        ext.insert(Timing {
            busy: 0,
            child: 0,
            polls: 0,
            last_poll: (0, 0),
            created_at: now,
            created_on: tid,
            given_track,
            uid,
            anchor,
            path,
            args,
            local,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        if !self.include_args {
            return;
        }
        if let Some(span) = ctx.span(id) {
            if let Some(timing) = span.extensions_mut().get_mut::<Timing>() {
                values.record(&mut JsonMembers(&mut timing.args));
            }
        }
    }

    fn on_enter(&self, id: &Id, _ctx: Context<'_, Registry>) {
        // The router passes only spans this layer saw made: no lookup here.
        entered::push(id, clock::now_ns());
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        let now = clock::now_ns();
        // Entered before this session saw it: nothing to time.
        let Some(left) = entered::pop(id, now) else {
            return;
        };
        let Some(span) = ctx.span(id) else { return };
        let meta: &'static Metadata<'static> = span.metadata();
        let mut ext = span.extensions_mut();
        let Some(timing) = ext.get_mut::<Timing>() else {
            return;
        };
        let dur = now.saturating_sub(left.start);
        timing.busy += dur;
        timing.child += left.child;
        timing.polls += 1;
        let tid = thread_info::with_current(|t| t.tid);
        let (base, track) = timing.track(tid, left.level);
        let previous = std::mem::replace(&mut timing.last_poll, (left.start, track));
        let name = || thread_info::with_current(|t| tracks::name(base, left.level, &t.name));
        lock(&timing.local).trace(&self.collection, meta, track, name, |buf, names, pid| {
            trace_json::slice(buf, names, left.start, dur, &timing.args, pid, track);
            if timing.polls > 1 {
                // One flow per pair of consecutive polls: no need to know which poll is the last.
                let flow = (timing.uid, timing.polls);
                trace_json::flow(buf, names, b's', flow, previous.0, pid, previous.1);
                trace_json::flow(buf, names, b'f', flow, left.start, pid, track);
            }
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        let Some(span) = ctx.span(&id) else { return };
        let meta: &'static Metadata<'static> = span.metadata();
        let Some(timing) = span.extensions_mut().remove::<Timing>() else {
            return;
        };
        drop(span);
        let entered = timing.polls > 0;
        // Never entered: its lifetime is its time.
        let busy = if entered {
            timing.busy
        } else {
            clock::now_ns().saturating_sub(timing.created_at)
        };
        let mut local = lock(&timing.local);
        if !entered {
            let track = tracks::lifetime(timing.created_on);
            let name = || Some(tracks::lifetime_name(timing.created_on));
            local.trace(&self.collection, meta, track, name, |buf, names, pid| {
                let start = timing.created_at;
                trace_json::slice(buf, names, start, busy, &timing.args, pid, track)
            });
        }
        local.closed(meta, timing.path, timing.anchor, busy, timing.child);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        thread_local! {
            static ARGS: Cell<(Vec<u8>, Vec<u8>)> = const { Cell::new((Vec::new(), Vec::new())) };
        }
        let ts = clock::now_ns();
        let tid = thread_info::with_current(|t| t.tid);
        // On the JavaScript thread during a concurrent test: beside its spans.
        let track = match caller::track() {
            0 => tid,
            given => u64::from(given),
        };
        let meta = event.metadata();
        // Fields are formatted before anything is locked: a field's Debug
        // code may itself trace (and so write to this collection).
        let (mut args, mut message) = ARGS.try_with(Cell::take).unwrap_or_default();
        args.clear();
        message.clear();
        event_args(&mut args, meta, true);
        event.record(&mut EventMembers {
            members: JsonMembers(&mut args),
            message: &mut message,
            include_args: self.include_args,
        });
        // Counted for the test of the span it happened in, else as a span made now would be.
        let inherited = span_data::parent_of(event.parent(), event.is_contextual(), &ctx)
            .and_then(nearest_timed)
            .map(|(anchor, _)| anchor);
        let name = || thread_info::with_current(|t| tracks::name(track, 0, &t.name));
        let local = self.collection.local();
        let mut local = lock(&local);
        let anchor = inherited.unwrap_or_else(|| {
            let caller = if tid == self.collection.js_tid {
                caller::tag()
            } else {
                0
            };
            self.collection.anchor_now(&local, caller)
        });
        local.event(&self.collection, meta, &message, anchor);
        local.trace(&self.collection, meta, track, name, |buf, names, pid| {
            trace_json::instant(buf, names, &message, ts, &args, pid, track)
        });
        drop(local);
        let _ = ARGS.try_with(|c| c.set((args, message)));
    }
}

/// The anchor and path of `span` or its nearest ancestor this layer timed
/// (ancestors another session owns, or its filter hid, are passed over).
fn nearest_timed(span: SpanRef<'_, Registry>) -> Option<(Anchor, u32)> {
    span.scope()
        .find_map(|s| s.extensions().get::<Timing>().map(|t| (t.anchor, t.path)))
}

/// The spans entered on this thread, innermost last, each with when it was
/// entered and the time spent so far in spans entered inside it: a span's
/// own time is its busy time less that. Per thread, so a span entered on
/// several threads at once (a pool's workers) is timed on each; and a stack
/// rather than a registry lookup of the enclosing span at every exit.
mod entered {
    use std::cell::RefCell;
    use tracing_core::span::Id;

    use crate::layers::tracks::MAX_LEVEL;

    struct Entry {
        id: u64,
        start: u64,
        child: u64,
        /// How many levels its slice is displaced by out-of-order exits.
        level: u8,
    }

    /// One stay of a span on this thread, as it ended.
    pub(super) struct Left {
        pub(super) start: u64,
        /// Time spent in spans entered inside it.
        pub(super) child: u64,
        pub(super) level: u8,
    }

    thread_local! {
        static STACK: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn push(id: &Id, start: u64) {
        let _ = STACK.try_with(|s| {
            let mut stack = s.borrow_mut();
            // Inside a displaced span, its children are displaced with it.
            let level = stack.last().map_or(0, |top| top.level);
            stack.push(Entry {
                id: id.into_u64(),
                start,
                child: 0,
                level,
            })
        });
    }

    /// Leaves `id` at `now` and charges its time to the span it was
    /// entered in. Spans may exit out of order (`tracing` allows it): those
    /// entered after `id` and still inside outlive it, so their slices could
    /// not nest with its slice on one track; they move one level off it,
    /// keeping their real start and end.
    pub(super) fn pop(id: &Id, now: u64) -> Option<Left> {
        STACK
            .try_with(|s| {
                let mut stack = s.borrow_mut();
                let id = id.into_u64();
                let at = stack.iter().rposition(|entry| entry.id == id)?;
                let entry = stack.remove(at);
                for outliving in &mut stack[at..] {
                    outliving.level = outliving.level.max((entry.level + 1).min(MAX_LEVEL));
                }
                if let Some(enclosing) = at.checked_sub(1).and_then(|i| stack.get_mut(i)) {
                    enclosing.child += now.saturating_sub(entry.start);
                }
                Some(Left {
                    start: entry.start,
                    child: entry.child,
                    level: entry.level,
                })
            })
            .ok()
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::entered;
    use tracing_core::span::Id;

    fn pop(id: &Id, now: u64) -> Option<(u64, u64, u8)> {
        entered::pop(id, now).map(|l| (l.start, l.child, l.level))
    }

    #[test]
    fn a_spans_children_are_charged_to_it_and_only_to_it() {
        let (outer, inner, sibling) = (Id::from_u64(1), Id::from_u64(2), Id::from_u64(3));
        entered::push(&outer, 100);
        entered::push(&inner, 110);
        assert_eq!(pop(&inner, 130), Some((110, 0, 0)));
        entered::push(&sibling, 140);
        assert_eq!(pop(&sibling, 145), Some((140, 0, 0)));
        // 20 + 5 ns in children.
        assert_eq!(pop(&outer, 200), Some((100, 25, 0)));
        assert_eq!(pop(&outer, 210), None);
    }

    #[test]
    fn out_of_order_exits_displace_the_spans_that_outlive_and_their_children() {
        let (a, b, c, d) = (
            Id::from_u64(11),
            Id::from_u64(12),
            Id::from_u64(13),
            Id::from_u64(14),
        );
        entered::push(&a, 0);
        entered::push(&b, 10);
        entered::push(&c, 12);
        // `a` leaves first: `b` and `c` outlive it and move one level off its track.
        assert_eq!(pop(&a, 20), Some((0, 0, 0)));
        // A child entered inside a displaced span goes with it.
        entered::push(&d, 22);
        assert_eq!(pop(&d, 24), Some((22, 0, 1)));
        assert_eq!(pop(&c, 25), Some((12, 2, 1)));
        assert_eq!(pop(&b, 30), Some((10, 13, 1)));
        // Back to the thread's own track.
        entered::push(&a, 40);
        assert_eq!(pop(&a, 41), Some((40, 0, 0)));
    }

    #[test]
    fn one_span_entered_on_two_threads_is_timed_on_each() {
        let a = Id::from_u64(21);
        entered::push(&a, 40);
        let other = std::thread::spawn(|| {
            let a = Id::from_u64(21);
            entered::push(&a, 45);
            pop(&a, 47)
        });
        assert_eq!(other.join().unwrap(), Some((45, 0, 0)));
        assert_eq!(pop(&a, 50), Some((40, 0, 0)));
    }
}
