//! What one session's collect layer gathers, kept per thread.
//!
//! Every thread that traces has its own [`Local`] in each collection: the
//! trace entries it has not written yet and the sums of the spans it made.
//! A span's hooks lock only the `Local` of the thread that made it, which no
//! other thread touches except when a span crosses threads, and JavaScript
//! when it flushes. So threads never wait for each other per span, and no
//! lock's cache line moves between cores per span. A flush gathers the
//! `Local`s: the sums go to JavaScript, the entries to the worker's file.

use std::cell::RefCell;
use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use rustc_hash::{FxHashMap, FxHashSet};
use tracing_core::Metadata;

use super::interned::Interned;
use super::trace_json;
use super::writer::Writer;
use super::Anchor;
use crate::clock;
use crate::layers::{Closed, Output};
use crate::queue::Outbox;
use crate::record::{put_event_stats, put_message, put_path, put_span_stats, put_track};
use crate::sync::lock;

/// Trace bytes a thread buffers before it hands them to the writer. Per
/// thread: small enough that many threads hold little, large enough that
/// hand-overs stay rare.
const WRITE_AT: usize = 256 << 10;

/// One session's collection, shared by every thread that traces into it.
pub(crate) struct Collection {
    /// The pid written into trace entries.
    pid: u64,
    /// The session's JavaScript thread (the collection is built on it).
    pub(super) js_tid: u64,
    /// When the current epoch began (the last flush): the anchor time of
    /// spans made now. See the module docs of `collect`.
    epoch: AtomicU64,
    /// Every thread's `Local`, for flushes to gather.
    locals: Mutex<Vec<Arc<Mutex<Local>>>>,
    /// For threads whose thread-locals are already gone (exiting threads).
    fallback: Arc<Mutex<Local>>,
    /// Sums anchored in an epoch that had begun when they were gathered:
    /// for the next seal.
    later: Mutex<Sums>,
    /// Span paths and event messages, shared by the threads (see `interned.rs`).
    interned: Mutex<Interned>,
    /// Tracks whose names JavaScript has been sent (several threads' `Local`s
    /// may meet the same track).
    tracks_sent: Mutex<FxHashSet<u64>>,
    writer: Writer,
    outbox: Arc<Outbox>,
}

/// What one thread gathered in one collection since the last flush.
#[derive(Default)]
pub(super) struct Local {
    /// Trace entries not written yet.
    trace: Vec<u8>,
    /// Tracks this `Local` has written on.
    tracks: FxHashSet<u64>,
    /// Tracks met since the last seal, with their names, for JavaScript to
    /// name in the trace (one name entry per track, written by the worker).
    new_tracks: Vec<(u64, String)>,
    /// `"name":…,"cat":…` per callsite, in front of the process-wide table.
    names: FxHashMap<usize, &'static [u8]>,
    /// Finished spans and events since the last seal.
    done: Sums,
    /// This thread's copies of the interned ids it has used.
    paths: FxHashMap<(u32, usize), u32>,
    messages: FxHashMap<Vec<u8>, u32>,
    /// Spans made here and not closed yet, by anchor.
    open: FxHashMap<Anchor, u64>,
}

/// Finished spans by path and anchor, events by callsite, message and anchor.
#[derive(Default)]
struct Sums {
    spans: FxHashMap<(u32, Anchor), Totals>,
    events: FxHashMap<(usize, u32, Anchor), Events>,
}

impl Sums {
    fn is_empty(&self) -> bool {
        self.spans.is_empty() && self.events.is_empty()
    }

    /// Adds the sums of one path with one anchor.
    fn add_spans(&mut self, key: (u32, Anchor), totals: Totals) {
        match self.spans.get_mut(&key) {
            Some(sum) => sum.add(&totals),
            None => {
                self.spans.insert(key, totals);
            }
        }
    }

    /// Adds `other` in.
    fn absorb(&mut self, other: Sums) {
        for (key, totals) in other.spans {
            self.add_spans(key, totals);
        }
        for (key, events) in other.events {
            self.events
                .entry(key)
                .and_modify(|e| e.count += events.count)
                .or_insert(events);
        }
    }

    /// Splits off what is anchored before `epoch`; the rest stays.
    fn before(&mut self, epoch: u64) -> Sums {
        let (now, later): (FxHashMap<_, _>, FxHashMap<_, _>) = std::mem::take(&mut self.spans)
            .into_iter()
            .partition(|((_, a), _)| a.ts < epoch);
        self.spans = later;
        let (now_events, later_events): (FxHashMap<_, _>, FxHashMap<_, _>) =
            std::mem::take(&mut self.events)
                .into_iter()
                .partition(|((_, _, a), _)| a.ts < epoch);
        self.events = later_events;
        Sums {
            spans: now,
            events: now_events,
        }
    }
}

/// Events of one callsite and message with one anchor.
struct Events {
    meta: &'static Metadata<'static>,
    count: u64,
}

/// The sums of one path's spans with one anchor.
struct Totals {
    meta: &'static Metadata<'static>,
    calls: u64,
    busy: u64,
    self_ns: u64,
    min: u64,
    max: u64,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.calls += other.calls;
        self.busy += other.busy;
        self.self_ns += other.self_ns;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// This thread's `Local` in one collection. The `Weak` both tells whether
/// the collection still lives and names it: it keeps the allocation, so
/// its address is not reused by another collection while this entry lasts.
struct Mine {
    collection: Weak<Collection>,
    local: Arc<Mutex<Local>>,
}

thread_local! {
    /// This thread's `Local` in each collection it traced into.
    static MINE: RefCell<Vec<Mine>> = const { RefCell::new(Vec::new()) };
}

impl Collection {
    pub(super) fn new(file: File, pid: u64, outbox: Arc<Outbox>) -> Result<Collection, String> {
        let fallback = Arc::new(Mutex::new(Local::default()));
        Ok(Collection {
            pid,
            js_tid: crate::thread_info::with_current(|t| t.tid),
            epoch: AtomicU64::new(clock::now_ns()),
            locals: Mutex::new(vec![fallback.clone()]),
            fallback,
            later: Mutex::new(Sums::default()),
            interned: Mutex::new(Interned::default()),
            tracks_sent: Mutex::new(FxHashSet::default()),
            writer: Writer::start(file)?,
            outbox,
        })
    }

    /// The anchor of a span made now with no parent to inherit one from.
    /// Read under the lock of the `Local` that counts the span as open:
    /// `seal` locks every `Local` after it starts an epoch, so a span counted
    /// under the old epoch is seen by whoever asks for open spans after it.
    pub(super) fn anchor_now(&self, _counted_in: &Local, caller: u32) -> Anchor {
        Anchor {
            ts: self.epoch.load(Ordering::Acquire),
            caller,
        }
    }

    /// The calling thread's `Local`, made on its first span.
    pub(super) fn local(self: &Arc<Self>) -> Arc<Mutex<Local>> {
        MINE.try_with(|mine| {
            let this = Arc::as_ptr(self);
            if let Some(m) = mine.borrow().iter().find(|m| m.collection.as_ptr() == this) {
                return m.local.clone();
            }
            let local = Arc::new(Mutex::new(Local::default()));
            lock(&self.locals).push(local.clone());
            let mut mine = mine.borrow_mut();
            // Collections of sessions that ended are let go here.
            mine.retain(|m| m.collection.strong_count() > 0);
            mine.push(Mine {
                collection: Arc::downgrade(self),
                local: local.clone(),
            });
            local
        })
        .unwrap_or_else(|_| self.fallback.clone())
    }

    /// (anchor time, caller tag, how many) of the spans not closed yet.
    pub(crate) fn open(&self) -> Vec<(u64, u32, u64)> {
        let mut open: FxHashMap<Anchor, u64> = FxHashMap::default();
        for local in lock(&self.locals).iter() {
            for (anchor, n) in &lock(local).open {
                *open.entry(*anchor).or_insert(0) += n;
            }
        }
        open.into_iter().map(|(a, n)| (a.ts, a.caller, n)).collect()
    }

    /// Ends the epoch: hands the sums so far to the outbox, one record per
    /// (path, anchor) and per (event callsite, message, anchor), after the
    /// paths, messages and tracks JavaScript has not seen, for the
    /// JavaScript thread to take next. Returns when the new epoch began:
    /// spans made from now on are anchored there.
    pub(crate) fn seal(&self) -> u64 {
        let epoch = clock::now_ns();
        self.epoch.store(epoch, Ordering::Release);
        // Spans anchored in the new epoch (made on another thread while this
        // runs) wait for the next seal: JavaScript places this seal's sums
        // before the new epoch.
        let mut later = lock(&self.later);
        let mut tracks = Vec::new();
        for local in lock(&self.locals).iter() {
            let mut local = lock(local);
            later.absorb(std::mem::take(&mut local.done));
            tracks.append(&mut local.new_tracks);
        }
        let now = later.before(epoch);
        drop(later);
        let (paths, messages) = lock(&self.interned).take_new();
        for path in paths {
            self.outbox.emit(Some(path.meta), |buf, callsite, _, _| {
                put_path(buf, path.id, path.parent, callsite)
            });
        }
        for (id, text) in messages {
            let text: String = serde_json::from_slice(&text).unwrap_or_default();
            self.outbox
                .emit(None, |buf, _, _, _| put_message(buf, id, &text));
        }
        let mut sent = lock(&self.tracks_sent);
        for (track, name) in tracks {
            if sent.insert(track) {
                self.outbox
                    .emit(None, |buf, _, _, _| put_track(buf, track, &name));
            }
        }
        drop(sent);
        for ((path, anchor), t) in now.spans {
            self.outbox.emit(Some(t.meta), |buf, callsite, _tid, _ts| {
                let figures = [t.calls, t.busy, t.self_ns, t.min, t.max];
                put_span_stats(buf, callsite, path, (anchor.ts, anchor.caller), figures)
            });
        }
        for ((_, message, anchor), e) in now.events {
            self.outbox.emit(Some(e.meta), |buf, callsite, _tid, _ts| {
                put_event_stats(buf, callsite, message, (anchor.ts, anchor.caller), e.count)
            });
        }
        epoch
    }

    /// Writes every thread's entries so far and returns once they are
    /// written; lets go of the `Local`s of threads that ended with nothing
    /// left in them.
    fn write_all(&self) {
        let mut out = self.writer.buffer();
        {
            let mut locals = lock(&self.locals);
            for local in locals.iter() {
                let mut local = lock(local);
                out.extend_from_slice(&local.trace);
                local.trace.clear();
            }
            locals.retain(|local| {
                // Held elsewhere: by its thread, by spans it made, or (the
                // fallback) by the collection itself.
                Arc::strong_count(local) > 1 || {
                    let local = lock(local);
                    !local.done.is_empty() || !local.open.is_empty() || !local.new_tracks.is_empty()
                }
            });
        }
        self.writer.send(out);
        self.writer.flush();
    }

    /// Trace entries lost because the writer could not keep up.
    pub(crate) fn dropped(&self) -> u64 {
        self.writer.dropped()
    }
}

impl Local {
    /// Counts a span made with `anchor` as open.
    pub(super) fn opened(&mut self, anchor: Anchor) {
        *self.open.entry(anchor).or_insert(0) += 1;
    }

    /// The id of `meta`'s path under `parent` (see `interned.rs`).
    pub(super) fn path(
        &mut self,
        collection: &Collection,
        parent: u32,
        meta: &'static Metadata<'static>,
    ) -> u32 {
        *self
            .paths
            .entry((parent, trace_json::callsite_key(meta)))
            .or_insert_with(|| lock(&collection.interned).path(parent, meta))
    }

    /// Counts an event of `meta` with `message` (a JSON string, empty for
    /// none) and `anchor`.
    pub(super) fn event(
        &mut self,
        collection: &Collection,
        meta: &'static Metadata<'static>,
        message: &[u8],
        anchor: Anchor,
    ) {
        let message = match self.messages.get(message) {
            Some(&id) => id,
            None if message.is_empty() => super::interned::OTHER_MESSAGE,
            None => {
                let id = lock(&collection.interned).message(message);
                // Only kept ids: a message beyond the table's bound (a format
                // argument in it) would otherwise grow this cache without one.
                if id != super::interned::OTHER_MESSAGE {
                    self.messages.insert(message.to_vec(), id);
                }
                id
            }
        };
        self.done
            .events
            .entry((trace_json::callsite_key(meta), message, anchor))
            .and_modify(|e| e.count += 1)
            .or_insert(Events { meta, count: 1 });
    }

    /// A span this `Local` counted as open closed: adds it to the sums.
    pub(super) fn closed(
        &mut self,
        meta: &'static Metadata<'static>,
        path: u32,
        anchor: Anchor,
        busy: u64,
        child: u64,
    ) {
        if let Some(open) = self.open.get_mut(&anchor) {
            *open -= 1;
            if *open == 0 {
                self.open.remove(&anchor);
            }
        }
        let totals = Totals {
            meta,
            calls: 1,
            busy,
            self_ns: busy.saturating_sub(child),
            min: busy,
            max: busy,
        };
        self.done.add_spans((path, anchor), totals);
    }

    /// Appends trace entries on `track`, noting the track's name (from
    /// `name`, `None` when JavaScript names it) the first time this `Local`
    /// writes there; `entry` writes them given the callsite's names. Hands
    /// the buffer to the writer when it is full.
    pub(super) fn trace(
        &mut self,
        collection: &Collection,
        meta: &'static Metadata<'static>,
        track: u64,
        name: impl FnOnce() -> Option<String>,
        entry: impl FnOnce(&mut Vec<u8>, &[u8], u64),
    ) {
        if self.tracks.insert(track) {
            if let Some(name) = name() {
                self.new_tracks.push((track, name));
            }
        }
        let names = *self
            .names
            .entry(trace_json::callsite_key(meta))
            .or_insert_with(|| trace_json::names_of(meta));
        entry(&mut self.trace, names, collection.pid);
        if self.trace.len() >= WRITE_AT {
            let full = std::mem::replace(&mut self.trace, collection.writer.buffer());
            // A buffer dropped for lack of room is counted by the writer;
            // track names travel apart from it and are not lost with it.
            collection.writer.hand_over(full);
        }
    }
}

/// Flush and close for the session.
pub(crate) struct TraceOutput {
    pub(super) collection: Arc<Collection>,
    pub(super) path: String,
}

impl Output for TraceOutput {
    fn flush(&self) {
        self.collection.write_all();
    }

    fn close(&self) -> Closed {
        self.collection.write_all();
        let writer = &self.collection.writer;
        writer.close();
        // Threads may hold on to this collection a while (their copy of the
        // open sessions): its buffers go now.
        for local in lock(&self.collection.locals).iter() {
            lock(local).trace = Vec::new();
        }
        // Entries the writer dropped are counted by the session's stats
        // (`Collection::dropped`), not again here; the warning says where.
        let mut closed = Closed::default();
        let dropped = writer.dropped();
        if dropped > 0 {
            closed.warnings.push(format!(
                "collectLayer: {dropped} trace entries were dropped because writing {:?} could not \
                 keep up (the disk stalled); the trace misses them, the statistics do not",
                self.path
            ));
        }
        if let Some(error) = writer.take_error() {
            closed.warnings.push(format!(
                "collectLayer: writing {:?} failed: {error}",
                self.path
            ));
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    use super::super::interned::{test_meta, MESSAGES, OTHER_MESSAGE};
    use super::*;

    #[test]
    fn a_threads_message_cache_holds_only_kept_messages_and_every_event_counts() {
        let path = std::env::temp_dir().join(format!(
            "napi-tracing-collection-test-{}.jsonl",
            std::process::id()
        ));
        let outbox = Arc::new(Outbox::new(1 << 20, false));
        let collection = Collection::new(File::create(&path).unwrap(), 1, outbox).unwrap();
        let mut local = Local::default();
        let anchor = Anchor { ts: 0, caller: 0 };
        // Messages made with a format argument: each one new.
        let events = MESSAGES + 100;
        for n in 0..events {
            let message = format!("\"item {n}\"");
            local.event(&collection, test_meta(), message.as_bytes(), anchor);
        }
        assert_eq!(local.messages.len(), MESSAGES);
        let counted: u64 = local.done.events.values().map(|e| e.count).sum();
        assert_eq!(counted, events as u64);
        let others =
            &local.done.events[&(trace_json::callsite_key(test_meta()), OTHER_MESSAGE, anchor)];
        assert_eq!(others.count, 100);
        let _ = std::fs::remove_file(path);
    }
}
