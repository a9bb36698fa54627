//! What one session gathers for its trace and its sums, kept per thread,
//! and what a flush drains from it: the trace entries to the writer, the
//! sums to JavaScript (the sums stream, `protocol/sums.rs`).
//!
//! Every thread that traces has its own [`Local`] in each collection: the
//! trace entries it has not handed to the writer yet, the tracks it has
//! named, and (for the plugin's collect layer) the sums of the spans it
//! made. A span's hooks lock only the `Local` of the thread that made it,
//! which no other thread touches except when a span crosses threads, and
//! JavaScript when it flushes. So threads never wait for each other per
//! span, and no lock's cache line moves between cores per span.
//!
//! A collection with sums anchors each span for attribution: JavaScript
//! flushes when a test starts and ends, so an epoch (the time between two
//! flushes) never straddles a test's start or end, and a span anchored in
//! an epoch belongs to the test running then (see `protocol::Anchor`).

pub(crate) mod interned;

use std::cell::RefCell;
use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use rustc_hash::{FxHashMap, FxHashSet};
use tracing_core::Metadata;

use crate::protocol::sums::{
    put_callsite, put_event_sums, put_message, put_path, put_span_sums, SpanFigures,
};
use crate::protocol::Anchor;
use crate::sync::lock;
use crate::trace::json::callsite_key;
use crate::trace::writer::{Format, Writer};
use crate::trace::{Batch, Entry};
use crate::{callsites, clock};
use interned::Interned;

/// One session's collection, shared by every thread that traces into it.
pub(crate) struct Collection {
    /// When the current epoch began (the last flush): the anchor time of
    /// spans made now.
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
    /// Callsites the sums stream has described (each once per session).
    described: Mutex<FxHashSet<u32>>,
    writer: Writer,
    /// Whether it sums spans for JavaScript (the collect layer's); not for
    /// a trace alone (the chrome layer's).
    sums: bool,
    /// Sums by span path; without, by callsite alone.
    pub(crate) paths: bool,
    path: String,
}

/// What one thread gathered in one collection since the last flush.
#[derive(Default)]
pub(crate) struct Local {
    /// Trace entries not handed to the writer yet.
    batch: Batch,
    /// Tracks this `Local` has named in the trace.
    tracks: FxHashSet<u64>,
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
    spans: FxHashMap<(u32, Anchor), SpanFigures>,
    events: FxHashMap<(usize, u32, Anchor), Events>,
}

impl Sums {
    fn is_empty(&self) -> bool {
        self.spans.is_empty() && self.events.is_empty()
    }

    /// Adds the figures of one path with one anchor.
    fn add_spans(&mut self, key: (u32, Anchor), figures: SpanFigures) {
        self.spans
            .entry(key)
            .and_modify(|sum| sum.add(&figures))
            .or_insert(figures);
    }

    /// Adds `other` in.
    fn absorb(&mut self, other: Sums) {
        for (key, figures) in other.spans {
            self.add_spans(key, figures);
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
    /// A collection writing `file` in `format`, with `sums` for JavaScript
    /// (the collect layer's) or without (a trace alone), by path with
    /// `paths`. `path` names the file in messages.
    pub(crate) fn new(
        file: File,
        path: &str,
        format: Format,
        sums: bool,
        paths: bool,
    ) -> Result<Collection, String> {
        let fallback = Arc::new(Mutex::new(Local::default()));
        let writer = Writer::start(file, format)?;
        Ok(Collection {
            epoch: AtomicU64::new(clock::now_ns()),
            locals: Mutex::new(vec![fallback.clone()]),
            fallback,
            later: Mutex::new(Sums::default()),
            interned: Mutex::new(Interned::default()),
            described: Mutex::new(FxHashSet::default()),
            writer,
            sums,
            paths,
            path: path.to_owned(),
        })
    }

    /// Whether the collection sums spans for JavaScript (the collect layer).
    pub(crate) fn sums(&self) -> bool {
        self.sums
    }

    /// The anchor of a span or event made now with no parent to inherit one
    /// from: the current epoch, the caller tag, and whether its cause is known.
    pub(crate) fn anchor_now(&self, caller: u32, caused: bool) -> Anchor {
        Anchor {
            ts: self.epoch.load(Ordering::Acquire),
            caller,
            caused,
        }
    }

    /// The calling thread's `Local`, made on its first span.
    pub(crate) fn local(self: &Arc<Self>) -> Arc<Mutex<Local>> {
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

    /// Leaves out every span of `meta` made so far, from every thread's sums
    /// and unwritten trace entries, and the paths it made from what
    /// JavaScript is sent: for the spans of the cost measurement, which
    /// must leave no trace (each thread's entries since its last hand-over
    /// are still in its batch).
    pub(crate) fn forget(&self, meta: &'static Metadata<'static>) {
        let of = |m: &'static Metadata<'static>| std::ptr::eq(m, meta);
        let paths = lock(&self.interned).forget(meta);
        let locals = lock(&self.locals).clone();
        for local in locals.iter().chain([&self.fallback]) {
            let mut local = lock(local);
            local
                .done
                .spans
                .retain(|(path, _), _| !paths.contains(path));
            local.batch.entries.retain(|entry| match entry {
                Entry::Slice { meta, .. }
                | Entry::Lifetime { meta, .. }
                | Entry::Flow { meta, .. } => !of(meta),
                Entry::Instant { .. } | Entry::Name { .. } => true,
            });
        }
        lock(&self.later)
            .spans
            .retain(|(path, _), _| !paths.contains(path));
    }

    /// (anchor time, caller tag, how many) of the spans not closed yet.
    pub(crate) fn open(&self) -> Vec<(u64, u32, u64)> {
        let mut open: FxHashMap<(u64, u32), u64> = FxHashMap::default();
        for local in lock(&self.locals).iter() {
            for (anchor, n) in &lock(local).open {
                *open.entry((anchor.ts, anchor.caller)).or_insert(0) += n;
            }
        }
        open.into_iter().map(|((ts, c), n)| (ts, c, n)).collect()
    }

    /// Ends the epoch and drains the sums so far as one batch of the sums
    /// stream: one record per (path, anchor) and per (event callsite,
    /// message, anchor), after the callsites, paths and messages JavaScript
    /// has not been sent. Returns when the new epoch began (spans made from
    /// now on are anchored there) and the batch (empty without sums).
    pub(crate) fn seal(&self) -> (u64, Vec<u8>) {
        let epoch = clock::now_ns();
        self.epoch.store(epoch, Ordering::Release);
        let mut out = Vec::new();
        if !self.sums {
            return (epoch, out);
        }
        // Spans anchored in the new epoch (made on another thread while this
        // runs) wait for the next seal: JavaScript places this seal's sums
        // before the new epoch.
        let mut later = lock(&self.later);
        for local in lock(&self.locals).iter() {
            let mut local = lock(local);
            if !local.done.is_empty() {
                later.absorb(std::mem::take(&mut local.done));
            }
        }
        let now = later.before(epoch);
        drop(later);
        let (paths, messages) = lock(&self.interned).take_new();
        let mut described = lock(&self.described);
        let mut callsite = |out: &mut Vec<u8>, meta: &'static Metadata<'static>| {
            let id = callsites::id_of(meta);
            if described.insert(id) {
                put_callsite(out, id, meta);
            }
            id
        };
        for path in paths {
            let id = callsite(&mut out, path.meta);
            put_path(&mut out, path.id, path.parent, id);
        }
        for (id, text) in messages {
            let text: String = serde_json::from_slice(&text).unwrap_or_default();
            put_message(&mut out, id, &text);
        }
        for ((path, anchor), figures) in now.spans {
            put_span_sums(&mut out, path, anchor, &figures);
        }
        for ((_, message, anchor), e) in now.events {
            let id = callsite(&mut out, e.meta);
            put_event_sums(&mut out, id, message, anchor, e.count);
        }
        (epoch, out)
    }

    /// Hands every thread's entries so far to the writer and returns once
    /// they are written; lets go of the `Local`s of threads that ended with
    /// nothing left in them.
    pub(crate) fn write_all(&self) {
        self.hand_over();
        self.writer.flush();
    }

    /// Hands every thread's entries to the writer without waiting for them
    /// to be written (see `write_all`).
    fn hand_over(&self) {
        let mut out = self.writer.batch();
        {
            let mut locals = lock(&self.locals);
            for local in locals.iter() {
                let mut local = lock(local);
                out.append(&mut local.batch);
            }
            locals.retain(|local| {
                // Held elsewhere: by its thread, by spans it made, or (the
                // fallback) by the collection itself.
                Arc::strong_count(local) > 1 || {
                    let local = lock(local);
                    !local.done.is_empty() || !local.open.is_empty()
                }
            });
        }
        self.writer.send(out);
    }

    /// Writes what is left and finishes the file; what went wrong, for the user.
    pub(crate) fn close(&self, layer: &str) -> Vec<String> {
        self.write_all();
        self.writer.close();
        // Threads may hold on to this collection a while (their copy of the
        // open sessions): its buffers go now.
        for local in lock(&self.locals).iter() {
            lock(local).batch = Batch::default();
        }
        let mut warnings = Vec::new();
        let dropped = self.writer.dropped();
        if dropped > 0 {
            warnings.push(format!(
                "{layer}: {dropped} trace entries were dropped because writing {:?} could not \
                 keep up (the disk stalled); the trace misses them, the statistics do not",
                self.path
            ));
        }
        if let Some(error) = self.writer.take_error() {
            warnings.push(format!("{layer}: writing {:?} failed: {error}", self.path));
        }
        warnings
    }

    /// Trace entries lost because the writer could not keep up.
    pub(crate) fn dropped(&self) -> u64 {
        self.writer.dropped()
    }
}

impl Local {
    /// Counts a span made with `anchor` as open.
    pub(crate) fn opened(&mut self, anchor: Anchor) {
        *self.open.entry(anchor).or_insert(0) += 1;
    }

    /// The id of `meta`'s path under `parent` (see `interned.rs`).
    pub(crate) fn path(
        &mut self,
        collection: &Collection,
        parent: u32,
        meta: &'static Metadata<'static>,
    ) -> u32 {
        *self
            .paths
            .entry((parent, callsite_key(meta)))
            .or_insert_with(|| lock(&collection.interned).path(parent, meta))
    }

    /// Counts an event of `meta` with `message` (a JSON string, empty for
    /// none) and `anchor`.
    pub(crate) fn event(
        &mut self,
        collection: &Collection,
        meta: &'static Metadata<'static>,
        message: &[u8],
        anchor: Anchor,
    ) {
        let message = match self.messages.get(message) {
            Some(&id) => id,
            None if message.is_empty() => interned::OTHER_MESSAGE,
            None => {
                let id = lock(&collection.interned).message(message);
                // Only kept ids: a message beyond the table's bound (a format
                // argument in it) would otherwise grow this cache without one.
                if id != interned::OTHER_MESSAGE {
                    self.messages.insert(message.to_vec(), id);
                }
                id
            }
        };
        self.done
            .events
            .entry((callsite_key(meta), message, anchor))
            .and_modify(|e| e.count += 1)
            .or_insert(Events { meta, count: 1 });
    }

    /// A span this `Local` counted as open closed, with `figures`: adds
    /// them to the sums of its path and anchor.
    pub(crate) fn closed(&mut self, path: u32, anchor: Anchor, figures: SpanFigures) {
        if let Some(open) = self.open.get_mut(&anchor) {
            *open -= 1;
            if *open == 0 {
                self.open.remove(&anchor);
            }
        }
        self.done.add_spans((path, anchor), figures);
    }

    /// Records `entry` on `track`, naming the track in the trace (from
    /// `name`) the first time this `Local` writes there. Hands the batch to
    /// the writer when it is full.
    pub(crate) fn trace(
        &mut self,
        collection: &Collection,
        track: u64,
        name: impl FnOnce() -> String,
        entry: impl FnOnce(&mut Batch) -> Entry,
    ) {
        if self.tracks.insert(track) {
            self.name(track, &name());
        }
        self.record(collection, entry);
    }

    fn name(&mut self, track: u64, name: &str) {
        let name = self.batch.keep(name.as_bytes());
        self.batch.entries.push(Entry::Name { track, name });
    }

    /// Records `entry` without naming its track: for an entry on another
    /// thread's track (the start of a flow from its slice), which that
    /// thread names.
    pub(crate) fn record(
        &mut self,
        collection: &Collection,
        entry: impl FnOnce(&mut Batch) -> Entry,
    ) {
        let entry = entry(&mut self.batch);
        self.batch.entries.push(entry);
        if self.batch.is_full() {
            let full = std::mem::replace(&mut self.batch, collection.writer.batch());
            // A batch dropped for lack of room is counted by the writer.
            collection.writer.hand_over(full);
        }
    }

    /// Names track `track` in the trace, without an entry on it: a
    /// concurrent test's track, which the worker's test slices use.
    pub(crate) fn name_track(&mut self, track: u64, name: &str) {
        if self.tracks.insert(track) {
            self.name(track, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::interned::{MESSAGES, OTHER_MESSAGE};
    use super::*;
    use crate::test_support::meta;

    fn collection() -> (Collection, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "napi-tracing-collection-test-{}-{:?}.jsonl",
            std::process::id(),
            std::thread::current().id()
        ));
        let format = Format {
            pid: 1,
            include_args: true,
            slice_locations: false,
            event_locations: true,
            array: None,
        };
        let file = File::create(&path).unwrap();
        let collection = Collection::new(file, "t", format, true, true).unwrap();
        (collection, path)
    }

    #[test]
    fn a_threads_message_cache_holds_only_kept_messages_and_every_event_counts() {
        let (collection, path) = collection();
        let mut local = Local::default();
        let anchor = Anchor::default();
        // Messages made with a format argument: each one new.
        let events = MESSAGES + 100;
        for n in 0..events {
            let message = format!("\"item {n}\"");
            local.event(&collection, meta(), message.as_bytes(), anchor);
        }
        assert_eq!(local.messages.len(), MESSAGES);
        let counted: u64 = local.done.events.values().map(|e| e.count).sum();
        assert_eq!(counted, events as u64);
        let others = &local.done.events[&(callsite_key(meta()), OTHER_MESSAGE, anchor)];
        assert_eq!(others.count, 100);
        collection.close("test");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn spans_never_entered_add_a_lifetime_not_total_or_self_time() {
        let (collection, path) = collection();
        let mut local = Local::default();
        let anchor = Anchor::default();
        local.opened(anchor);
        local.opened(anchor);
        local.closed(1, anchor, SpanFigures::of_span(true, 30, 10, 0));
        local.closed(1, anchor, SpanFigures::of_span(false, 0, 0, 5_000));
        let t = &local.done.spans[&(1, anchor)];
        assert_eq!(
            (
                t.calls,
                t.entered,
                t.total_ns,
                t.self_ns,
                t.min_ns,
                t.max_ns,
                t.lifetime_ns
            ),
            (2, 1, 30, 20, 30, 30, 5_000)
        );
        assert!(local.open.is_empty());
        collection.close("test");
        let _ = std::fs::remove_file(path);
    }
}
