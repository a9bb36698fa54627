//! The callback layer's queue between traced threads and the JavaScript
//! thread: a bounded byte buffer of lifecycle records
//! (`protocol/lifecycle.rs`) per session. The layer pushes; JavaScript
//! takes whole batches. It knows nothing of JavaScript: the session hands
//! it a waker (wake the JavaScript thread) and a notifier (what to do after
//! a record: deliver at once on the session's own thread) when it starts.

use rustc_hash::FxHashSet;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tracing_core::Metadata;

use crate::protocol::lifecycle::{put_callsite, put_thread};
use crate::sync::lock;
use crate::{callsites, clock, thread_info};

/// Wakes the owning JavaScript thread; set by `api::start`.
pub(crate) type Waker = Box<dyn Fn() -> bool + Send + Sync>;

/// Called after a record was queued.
pub(crate) type Notifier = Box<dyn Fn(&Outbox) + Send + Sync>;

/// Encoded records waiting for the JavaScript thread, bounded in bytes.
pub(crate) struct Outbox {
    pending: Mutex<Pending>,
    capacity: usize,
    dropped: AtomicU64,
    delivered: AtomicU64,
    wake_scheduled: AtomicBool,
    waker: Mutex<Option<Waker>>,
    /// What to do after a record is queued (deliver at once on the
    /// session's JavaScript thread, else wake it); handed over when the
    /// session starts, by the JavaScript glue this module does not know.
    notifier: OnceLock<Notifier>,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    records: u64,
    // Looked up for every record: a fast hasher, not SipHash.
    callsites_sent: FxHashSet<u32>,
    threads_sent: FxHashSet<u64>,
}

/// Records taken from the outbox, to hand to JavaScript in one call.
pub(crate) struct Batch {
    pub(crate) bytes: Vec<u8>,
    pub(crate) records: u64,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Outbox {
        Outbox {
            pending: Mutex::new(Pending::default()),
            capacity,
            dropped: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            wake_scheduled: AtomicBool::new(false),
            waker: Mutex::new(None),
            notifier: OnceLock::new(),
        }
    }

    pub(crate) fn set_waker(&self, waker: Option<Waker>) {
        *lock(&self.waker) = waker;
    }

    /// Hands over what to do after each record; the first one given stays.
    pub(crate) fn set_notifier(&self, notifier: Notifier) {
        let _ = self.notifier.set(notifier);
    }

    /// Appends one encoded record, preceded by the callsite and thread
    /// descriptions it needs if this session has not seen them yet.
    /// Returns false (and counts the record) when there is no room.
    /// `meta` and its callsite id come with records that name a callsite
    /// (new spans, events); records about an existing span carry none.
    fn push(&self, meta: Option<(&Metadata<'_>, u32)>, tid: u64, body: &[u8]) -> bool {
        let mut pending = lock(&self.pending);
        let start = pending.bytes.len();
        let new_callsite = meta.filter(|(_, id)| !pending.callsites_sent.contains(id));
        let new_thread = !pending.threads_sent.contains(&tid);
        if let Some((meta, id)) = new_callsite {
            put_callsite(&mut pending.bytes, id, meta);
        }
        if new_thread {
            thread_info::with_current(|t| put_thread(&mut pending.bytes, tid, &t.name));
        }
        if pending.bytes.len() + body.len() > self.capacity {
            // Descriptions go only with the record that needs them.
            pending.bytes.truncate(start);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        pending.bytes.extend_from_slice(body);
        pending.records += 1;
        if let Some((_, id)) = new_callsite {
            pending.callsites_sent.insert(id);
        }
        if new_thread {
            pending.threads_sent.insert(tid);
        }
        true
    }

    /// Takes everything pending.
    pub(crate) fn take(&self) -> Option<Batch> {
        self.wake_scheduled.store(false, Ordering::Release);
        let mut pending = lock(&self.pending);
        if pending.records == 0 {
            return None;
        }
        let records = std::mem::take(&mut pending.records);
        let bytes = std::mem::take(&mut pending.bytes);
        Some(Batch { bytes, records })
    }

    /// Counts a batch JavaScript received, or lost when it could not run.
    pub(crate) fn settle(&self, batch_records: u64, delivered: bool) {
        let counter = if delivered {
            &self.delivered
        } else {
            &self.dropped
        };
        counter.fetch_add(batch_records, Ordering::Relaxed);
    }

    /// Asks the JavaScript thread to drain, once until it does.
    pub(crate) fn wake(&self) {
        if self.wake_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let waker = lock(&self.waker);
        let queued = waker.as_ref().is_some_and(|wake| wake());
        if !queued {
            self.wake_scheduled.store(false, Ordering::Release);
        }
    }

    /// Encodes with `encode` into a per-thread scratch buffer, pushes, then
    /// delivers or wakes. Delivery happens after the scratch is released,
    /// because the JavaScript layer may emit spans of its own.
    /// `meta` is given for records that name their callsite (new spans,
    /// events); the callsite id is then passed to `encode`.
    pub(crate) fn emit(
        &self,
        meta: Option<&Metadata<'_>>,
        encode: impl FnOnce(&mut Vec<u8>, u32, u64, u64),
    ) -> bool {
        thread_local! {
            static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        let named = meta.map(|meta| (meta, callsites::id_of(meta)));
        let callsite = named.map_or(0, |(_, id)| id);
        let tid = thread_info::with_current(|t| t.tid);
        let ts = clock::now_ns();
        let pushed = SCRATCH
            .try_with(|scratch| match scratch.try_borrow_mut() {
                Ok(mut buf) => {
                    buf.clear();
                    encode(&mut buf, callsite, tid, ts);
                    self.push(named, tid, &buf)
                }
                Err(_) => {
                    let mut buf = Vec::new();
                    encode(&mut buf, callsite, tid, ts);
                    self.push(named, tid, &buf)
                }
            })
            .unwrap_or(false);
        if !pushed {
            return false;
        }
        match self.notifier.get() {
            Some(notify) => notify(self),
            None => self.wake(),
        }
        true
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Counts a record that was not made (its span was lost earlier).
    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }
}
