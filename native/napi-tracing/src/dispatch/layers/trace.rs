//! The two layers that time spans and write a trace: `chromeLayer` (a
//! Chrome trace file of its own) and the Vitest plugin's collect layer (the
//! worker's trace, and the sums JavaScript attributes to tests).
//!
//! All per-span work stays in Rust: timing (total time entered, time in
//! children on the same thread), the trace entries, and for the collect
//! layer the sums by span path and anchor. JavaScript receives the sums
//! when it flushes, one small record per (path, anchor); no JavaScript runs
//! per span. Both layers name the tracks they write on in their own file.
//!
//! Every slice stays placeable: a slice is written on the track of the
//! thread it ran on, on the track of the concurrent test whose call made
//! it, or, when spans exit out of order, on a displaced track of its own;
//! the polls of a span entered several times are linked by flow events,
//! and so is a span made on another thread to the slice that caused it
//! (its parent's stay, or the one its carried caller was taken in).
//! tracing-chrome, which `chromeLayer` once ran, wrote `"pid": 1`, its own
//! clock, `B`/`E` pairs interleaved across threads and every field through
//! `Debug`; each line of its output had to be parsed and rewritten. Both
//! layers now write through the one writer (`trace/`), in the format
//! tracing-chrome's users know, with none of that.

use std::fs::File;
use std::sync::Arc;

use serde::Deserialize;
use tracing_core::span::{Attributes, Record};
use tracing_core::{Event, Metadata};

use crate::collect::{Collection, Local};
use crate::dispatch::entered::{Facts, Left};
use crate::dispatch::span::{Pending, SpanState, TracedSpan};
use crate::protocol::encoding::FieldEncoder;
use crate::protocol::sums::SpanFigures;
use crate::protocol::Anchor;
use crate::sync::lock;
use crate::trace::writer::Format;
use crate::trace::{fields, Entry};
use crate::{dispatch::call_context, protocol::tracks, thread_info};

/// The flow number of the arrow from a span's cause to its first slice
/// (those between its polls are numbered by the later poll, from 2).
const CAUSED: u32 = 0;

/// `chromeLayer`: a Chrome trace file of the session's spans.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ChromeConfig {
    pub(crate) path: String,
    pub(crate) include_args: bool,
    pub(crate) include_locations: bool,
    pub(crate) process_name: String,
}

/// The Vitest plugin's per-worker collection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CollectConfig {
    /// The worker's trace file (Chrome trace entries, one per line, each
    /// followed by a comma), created or truncated.
    pub(crate) path: String,
    /// The pid to write: the process's, or a trace process of a worker thread's own.
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

/// A session's trace (and, for the collect layer, its sums).
pub(crate) struct TraceLayer {
    pub(crate) collection: Arc<Collection>,
    include_args: bool,
    /// The layer's name, for messages.
    pub(crate) name: &'static str,
}

impl TraceLayer {
    /// `chromeLayer`: the file is a whole JSON array, its tracks named in it.
    pub(crate) fn chrome(config: &ChromeConfig, file: File) -> Result<TraceLayer, String> {
        let format = Format {
            pid: u64::from(std::process::id()),
            include_args: config.include_args,
            slice_locations: config.include_locations,
            event_locations: config.include_locations,
            array: Some(config.process_name.clone()),
        };
        let collection = Collection::new(file, &config.path, format, false, false)?;
        Ok(TraceLayer {
            collection: Arc::new(collection),
            include_args: config.include_args,
            name: "chromeLayer",
        })
    }

    /// The collect layer: entries one per line, and sums for JavaScript.
    pub(crate) fn collect(config: &CollectConfig, file: File) -> Result<TraceLayer, String> {
        let format = Format {
            pid: config.pid,
            include_args: config.include_args,
            slice_locations: false,
            event_locations: true,
            array: None,
        };
        let collection = Collection::new(file, &config.path, format, true, config.paths)?;
        Ok(TraceLayer {
            collection: Arc::new(collection),
            include_args: config.include_args,
            name: "collectLayer",
        })
    }

    /// The anchor of a span or event: on the JavaScript thread, the call's
    /// that made it (whatever its parent: a long-lived object's root span
    /// made in `beforeAll`, or a guard left entered by an earlier test, must
    /// not take the spans of the test running now); elsewhere its parent's;
    /// the carried one; else the epoch's alone, placed by time.
    pub(crate) fn anchor(
        &self,
        parent: Option<&Facts>,
        on_js_thread: bool,
        carried: Option<Anchor>,
    ) -> Anchor {
        if on_js_thread {
            return self.collection.anchor_now(call_context::tag(), true);
        }
        if let Some(parent) = parent.filter(|p| p.anchor.ts != 0) {
            return parent.anchor;
        }
        carried.unwrap_or_else(|| self.collection.anchor_now(0, false))
    }

    /// Whether `rec` was placed in its test by time alone (only the collect
    /// layer places spans in tests).
    fn by_time(&self, rec: &TracedSpan) -> bool {
        self.collection.sums() && !rec.anchor.caused
    }

    /// Fills in what a new span needs of this layer: its path and the
    /// `Local` that counts it, and its fields.
    pub(crate) fn on_new_span(
        &self,
        rec: &mut TracedSpan,
        parent: Option<&Facts>,
        attrs: &Attributes<'_>,
    ) {
        let local = self.collection.local();
        if self.collection.sums() {
            let mut counted_in = lock(&local);
            counted_in.opened(rec.anchor);
            // The nearest ancestor of this session gives the path (hidden
            // ones pass their parent's on).
            let parent_path = parent
                .filter(|p| self.collection.paths && p.owner == rec.owner)
                .map_or(0, |p| p.path);
            rec.path = counted_in.path(&self.collection, parent_path, rec.meta);
        }
        rec.local = Some(local);
        if self.include_args && !attrs.values().is_empty() {
            let state = rec.state.get_mut().unwrap_or_else(|e| e.into_inner());
            let mut encoder = FieldEncoder::new(&mut state.fields);
            attrs.record(&mut encoder);
            state.recorded |= encoder.finish();
        }
    }

    pub(crate) fn on_record(&self, state: &mut SpanState, values: &Record<'_>) {
        if self.include_args {
            let mut encoder = FieldEncoder::new(&mut state.fields);
            values.record(&mut encoder);
            state.recorded |= encoder.finish();
        }
    }

    /// Writes `rec`'s slice that waited for its fields, with the fields it has now.
    fn write_pending(&self, rec: &TracedSpan, state: &mut SpanState, local: &mut Local) {
        let Some(pending) = state.pending.take() else {
            return;
        };
        let (meta, by_time) = (rec.meta, self.by_time(rec));
        let Pending {
            start,
            dur,
            track,
            track_name,
        } = pending;
        local.trace(
            &self.collection,
            track,
            || track_name,
            |batch| Entry::Slice {
                meta,
                start,
                dur,
                track,
                fields: batch.keep(&state.fields),
                by_time,
            },
        );
    }

    /// A stay of the span on this thread ended at `now`: times it and
    /// writes its slice (and the flow from its previous poll).
    pub(crate) fn on_exit(&self, rec: &TracedSpan, left: &Left, now: u64) {
        let tid = thread_info::with_current(|t| t.tid);
        let base = rec.base_track(tid);
        let track = tracks::displaced(base, left.level);
        let dur = now.saturating_sub(left.start);
        let mut state = lock(&rec.state);
        state.total_ns += dur;
        state.children_ns += left.child;
        state.polls += 1;
        let previous = std::mem::replace(&mut state.last_poll, (left.start, track));
        let Some(local) = &rec.local else { return };
        let meta = rec.meta;
        let level = left.level;
        let mut local = lock(local);
        let name = || track_name(base, level);
        let by_time = self.by_time(rec);
        self.write_pending(rec, &mut state, &mut local);
        if self.include_args && !state.fields_complete(meta) {
            // A field may still be recorded before the span closes: the
            // slice waits for it (see `SpanState::pending`).
            state.pending = Some(Pending {
                start: left.start,
                dur,
                track,
                track_name: name(),
            });
        } else {
            local.trace(&self.collection, track, name, |batch| Entry::Slice {
                meta,
                start: left.start,
                dur,
                track,
                fields: batch.keep(&state.fields),
                by_time,
            });
        }
        if state.polls == 1 {
            if let Some(cause) = rec.cause.filter(|c| c.tid != tid) {
                // Made on another thread than the slice that caused it: an
                // arrow from there to its first slice. The cause's track is
                // its own thread's to name.
                let uid = rec.uid;
                local.record(&self.collection, |_| Entry::Flow {
                    meta,
                    phase: b's',
                    uid,
                    poll: CAUSED,
                    ts: cause.start,
                    track: cause.track,
                });
                local.trace(&self.collection, track, name, |_| Entry::Flow {
                    meta,
                    phase: b'f',
                    uid,
                    poll: CAUSED,
                    ts: left.start,
                    track,
                });
            }
        } else if state.polls > 1 {
            // One flow per pair of consecutive polls: no need to know which poll is the last.
            let (uid, poll) = (rec.uid, state.polls);
            let (from, from_track) = previous;
            // On the previous poll's track, which the thread that ran it named.
            local.record(&self.collection, |_| Entry::Flow {
                meta,
                phase: b's',
                uid,
                poll,
                ts: from,
                track: from_track,
            });
            local.trace(&self.collection, track, name, |_| Entry::Flow {
                meta,
                phase: b'f',
                uid,
                poll,
                ts: left.start,
                track,
            });
        }
    }

    /// The span closed at `now`: a span never entered gets its lifetime as
    /// an async slice (lifetimes overlap freely); the collect layer sums it.
    pub(crate) fn on_close(&self, rec: &TracedSpan, now: u64) {
        let Some(local) = &rec.local else { return };
        let mut state = std::mem::take(&mut *lock(&rec.state));
        let entered = state.polls > 0;
        let lifetime = now.saturating_sub(rec.created_at);
        let by_time = self.by_time(rec);
        let mut local = lock(local);
        self.write_pending(rec, &mut state, &mut local);
        if !entered {
            // On the thread that closed it, which is named as it is.
            let (tid, name) = thread_info::with_current(|t| (t.tid, t.name.clone()));
            let (meta, uid) = (rec.meta, rec.uid);
            local.trace(
                &self.collection,
                tid,
                || name,
                |batch| Entry::Lifetime {
                    meta,
                    start: rec.created_at,
                    dur: lifetime,
                    tid,
                    uid,
                    fields: batch.keep(&state.fields),
                    by_time,
                },
            );
        }
        if self.collection.sums() {
            let figures =
                SpanFigures::of_span(entered, state.total_ns, state.children_ns, lifetime);
            local.closed(rec.path, rec.anchor, figures);
        }
    }

    /// An event at `now`, anchored at `anchor`: counted (collect) and drawn
    /// as an instant on its thread, beside a concurrent test's spans when
    /// its call made it.
    pub(crate) fn on_event(&self, event: &Event<'_>, anchor: Anchor, now: u64) {
        thread_local! {
            static FIELDS: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
        }
        let meta: &'static Metadata<'static> = event.metadata();
        let tid = thread_info::with_current(|t| t.tid);
        let track = match call_context::track() {
            0 => tid,
            given => u64::from(given),
        };
        // Fields are encoded before anything is locked: a field's Debug code
        // may itself trace (and so write to this collection).
        let mut encoded = FIELDS.try_with(std::cell::Cell::take).unwrap_or_default();
        encoded.clear();
        let mut encoder = FieldEncoder::new(&mut encoded);
        event.record(&mut encoder);
        encoder.finish();
        // Counted by message for the collect layer's sums only.
        let message = self
            .collection
            .sums()
            .then(|| fields::message_of(&encoded, meta));
        let local = self.collection.local();
        let mut local = lock(&local);
        if let Some(message) = &message {
            local.event(&self.collection, meta, message, anchor);
        }
        local.trace(
            &self.collection,
            track,
            || track_name(track, 0),
            |batch| Entry::Instant {
                meta,
                ts: now,
                track,
                fields: batch.keep(&encoded),
            },
        );
        drop(local);
        let _ = FIELDS.try_with(|c| c.set(encoded));
    }
}

/// The name of track `base` displaced `level` levels, as the calling thread
/// (which writes on it) names it.
fn track_name(base: u64, level: u8) -> String {
    let base_name = if tracks::is_concurrent(base) {
        thread_info::with_current(|t| tracks::concurrent_name(&t.name, base))
    } else {
        thread_info::with_current(|t| t.name.clone())
    };
    tracks::name(&base_name, level)
}
