//! What napi-tracing keeps per span, whichever subscriber the span lives in
//! (its own, or the addon's through `napi_tracing::layer()`): who owns it,
//! where it is attributed from, and what its session's layers time.
//!
//! Everything but [`SpanState`] is decided once, when the span is made.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing_core::Metadata;

use crate::collect::Local;
use crate::dispatch::call_context::Cause;
use crate::dispatch::entered::{self, Facts};
use crate::protocol::Anchor;
use crate::{protocol::tracks, thread_info};

/// One span, as napi-tracing sees it.
pub(crate) struct TracedSpan {
    /// Our own id: unlike tracing's, never reused within the process.
    pub(crate) uid: u64,
    pub(crate) meta: &'static Metadata<'static>,
    /// The session that owns the span (0: none).
    pub(crate) owner: u64,
    /// Whether the owner's filter lets the span through. A hidden span is
    /// still kept, so that its children find their owner and anchor.
    pub(crate) visible: bool,
    /// The nearest visible ancestor's uid (0: none).
    pub(crate) parent_uid: u64,
    pub(crate) anchor: Anchor,
    /// Its span path in the owner's collection (0: none).
    pub(crate) path: u32,
    /// The OS thread it was made on, and when.
    pub(crate) created_on: u64,
    pub(crate) created_at: u64,
    /// The trace track the JavaScript call that made it asked for (a
    /// concurrent test's), 0 for its thread's own.
    pub(crate) given_track: u64,
    /// The `Local` of the thread that made it, in its owner's collection:
    /// it counts the span as open and sums it when it closes.
    pub(crate) local: Option<Arc<Mutex<Local>>>,
    /// The slice that caused it: its parent's stay, or the one a carried
    /// caller was taken in. Its first slice gets a flow from there when it
    /// runs on another thread.
    pub(crate) cause: Option<Cause>,
    /// Its latest stay, for children made meanwhile on other threads: when
    /// it began (0: never entered while timed), its track and OS thread.
    /// Atomics, not the state's lock: written on every timed enter.
    pub(crate) poll: LatestPoll,
    pub(crate) state: Mutex<SpanState>,
}

/// A span's latest timed stay (see `TracedSpan::poll`). A span entered on
/// several threads at once keeps one of them: any is a cause of the work.
#[derive(Default)]
pub(crate) struct LatestPoll {
    start: AtomicU64,
    track: AtomicU64,
    tid: AtomicU64,
}

/// What changes over a span's life.
#[derive(Default)]
pub(crate) struct SpanState {
    /// Time entered so far, on every thread.
    pub(crate) total_ns: u64,
    /// Time in its children on the threads it was entered on.
    pub(crate) children_ns: u64,
    /// Times entered so far: a span entered again (an async fn's polls)
    /// has its slices linked by flow events.
    pub(crate) polls: u32,
    /// The last poll's start and track, for the flow to the next one.
    pub(crate) last_poll: (u64, u64),
    /// Its fields in the binary field encoding (`protocol/`), when its
    /// session's trace wants them.
    pub(crate) fields: Vec<u8>,
    /// Which of its fields have a value so far, as bits by field index.
    pub(crate) recorded: u64,
    /// Its last slice, not written yet because a field it declares had no
    /// value at its exit: `span.record(..)` after the work is common, and
    /// a slice is written whole. Written at its next exit or at its close.
    pub(crate) pending: Option<Pending>,
    /// Set when a record of this span was dropped for lack of room, so the
    /// span's later records are dropped too instead of arriving headless.
    pub(crate) lost: bool,
}

/// A slice waiting for its span's later fields (see [`SpanState::pending`]).
pub(crate) struct Pending {
    pub(crate) start: u64,
    pub(crate) dur: u64,
    pub(crate) track: u64,
    /// The track's name, as the thread that ran the slice names it.
    pub(crate) track_name: String,
}

impl SpanState {
    /// Whether every field the span declares has a value: fields from the
    /// 65th on are taken to.
    pub(crate) fn fields_complete(&self, meta: &Metadata<'_>) -> bool {
        let declared = meta.fields().len().min(64);
        let all = if declared == 64 {
            u64::MAX
        } else {
            (1 << declared) - 1
        };
        self.recorded & all == all
    }
}

impl TracedSpan {
    /// What its children and events need of it; `id` is its id in the
    /// subscriber that made it.
    pub(crate) fn facts(&self, id: u64) -> Facts {
        Facts {
            id,
            owner: self.owner,
            parent_uid: self.visible_uid(),
            anchor: self.anchor,
            path: self.path,
            cause: self.cause_of_children(),
        }
    }

    /// Notes a timed stay beginning at `start` on the calling thread, before
    /// it is pushed (`entered::push` places it at the current level).
    pub(crate) fn note_poll(&self, start: u64) {
        let tid = thread_info::with_current(|t| t.tid);
        let track = tracks::displaced(self.base_track(tid), entered::level());
        self.poll.track.store(track, Ordering::Relaxed);
        self.poll.tid.store(tid, Ordering::Relaxed);
        self.poll.start.store(start, Ordering::Release);
    }

    /// What work made under it was caused from: its latest stay, else its own cause.
    pub(crate) fn cause_of_children(&self) -> Option<Cause> {
        let start = self.poll.start.load(Ordering::Acquire);
        if start == 0 {
            return self.cause;
        }
        Some(Cause {
            start,
            track: self.poll.track.load(Ordering::Relaxed),
            tid: self.poll.tid.load(Ordering::Relaxed),
        })
    }

    /// The uid children should name as their parent.
    pub(crate) fn visible_uid(&self) -> u64 {
        if self.visible {
            self.uid
        } else {
            self.parent_uid
        }
    }

    /// The track of a slice of this span that ran on thread `tid`: the
    /// given one on the thread that made it, else the thread's own.
    pub(crate) fn base_track(&self, tid: u64) -> u64 {
        if self.given_track != 0 && self.created_on == tid {
            self.given_track
        } else {
            tid
        }
    }
}

/// A fresh uid. Taken in blocks per thread: one counter shared by every
/// thread, written per span, would move its cache line between cores.
pub(crate) fn next_uid() -> u64 {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};
    const BLOCK: u64 = 1024;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    RANGE
        .try_with(|range| {
            let (next, end) = range.get();
            if next < end {
                range.set((next + 1, end));
                next
            } else {
                let start = NEXT.fetch_add(BLOCK, Ordering::Relaxed);
                range.set((start + 1, start + BLOCK));
                start
            }
        })
        .unwrap_or_else(|_| NEXT.fetch_add(1, Ordering::Relaxed))
}
