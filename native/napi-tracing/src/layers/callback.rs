//! The callback bridge: span and event callbacks for a TypeScript `Layer`.
//!
//! Hooks encode a record (see `record.rs`) into the session's outbox. On the
//! session's own JavaScript thread the outbox is then drained at once, so the
//! TypeScript layer sees the call before the traced code goes on. On any other
//! thread the record waits and the JavaScript thread is woken through a weak
//! threadsafe function: the Rust thread never blocks and Node is never kept
//! alive. One FIFO per session keeps every span's records in order.
//!
//! The outbox also serves the collect layer (`collect/`), whose records
//! (sums, made when JavaScript flushes) never trigger a JavaScript call of
//! their own: the flush takes them.

use rustc_hash::FxHashSet;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Metadata};
use tracing_subscriber::layer::Context;
use tracing_subscriber::{Layer, Registry};

use crate::dispatch::{event_parent_uid, span_data};
use crate::record::{put_callsite, put_new_span, put_thread, FieldEncoder, Kind, Put};
use crate::{callsites, clock, js_thread, thread_info};

/// Wakes the owning JavaScript thread; set by `api::start`.
pub(crate) type Waker = Box<dyn Fn() -> bool + Send + Sync>;

/// Encoded records waiting for the JavaScript thread, bounded in bytes.
pub(crate) struct Outbox {
    pending: Mutex<Pending>,
    capacity: usize,
    /// Deliver each record at once on the session's JavaScript thread (else
    /// records wait for a flush).
    immediate: bool,
    dropped: AtomicU64,
    delivered: AtomicU64,
    wake_scheduled: AtomicBool,
    waker: Mutex<Option<Waker>>,
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
    pub(crate) fn new(capacity: usize, immediate: bool) -> Outbox {
        Outbox {
            pending: Mutex::new(Pending::default()),
            capacity,
            immediate,
            dropped: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            wake_scheduled: AtomicBool::new(false),
            waker: Mutex::new(None),
        }
    }

    pub(crate) fn set_waker(&self, waker: Option<Waker>) {
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = waker;
    }

    /// Appends one encoded record, preceded by the callsite and thread
    /// descriptions it needs if this session has not seen them yet.
    /// Returns false (and counts the record) when there is no room.
    /// `meta` and its callsite id come with records that name a callsite
    /// (new spans, events); records about an existing span carry none.
    fn push(&self, meta: Option<(&Metadata<'_>, u32)>, tid: u64, body: &[u8]) -> bool {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
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
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
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
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner());
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
        if self.immediate {
            js_thread::deliver_or_wake(self);
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

/// The `tracing_subscriber::Layer` that feeds an [`Outbox`].
pub(crate) struct CallbackLayer {
    outbox: Arc<Outbox>,
}

impl CallbackLayer {
    pub(crate) fn new(outbox: Arc<Outbox>) -> CallbackLayer {
        CallbackLayer { outbox }
    }

    /// Emits a record about an existing span, unless the span was lost.
    fn emit_span(
        &self,
        id: &Id,
        ctx: &Context<'_, Registry>,
        kind: Kind,
        values: Option<&Record<'_>>,
    ) {
        let Some((uid, lost)) = span_data(ctx, id, |data| {
            (data.uid, data.lost.load(Ordering::Relaxed))
        }) else {
            return;
        };
        if lost {
            self.outbox.count_dropped();
            return;
        }
        let pushed = self.outbox.emit(None, |buf, _callsite, tid, ts| {
            buf.put_u8(kind as u8);
            buf.put_u64(uid);
            buf.put_u64(tid);
            buf.put_u64(ts);
            if let Some(values) = values {
                let mut fields = FieldEncoder::new(buf);
                values.record(&mut fields);
                fields.finish();
            }
        });
        if !pushed {
            mark_lost(ctx, id);
        }
    }
}

pub(crate) fn mark_lost(ctx: &Context<'_, Registry>, id: &Id) {
    span_data(ctx, id, |data| data.lost.store(true, Ordering::Relaxed));
}

impl Layer<Registry> for CallbackLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        let Some((uid, parent)) = span_data(&ctx, id, |d| (d.uid, d.parent_uid)) else {
            return;
        };
        let pushed = self
            .outbox
            .emit(Some(attrs.metadata()), |buf, callsite, tid, ts| {
                put_new_span(buf, uid, callsite, parent, tid, ts, js_thread::caller());
                let mut fields = FieldEncoder::new(buf);
                attrs.record(&mut fields);
                fields.finish();
            });
        if !pushed {
            mark_lost(&ctx, id);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        self.emit_span(id, &ctx, Kind::Record, Some(values));
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, Registry>) {
        self.emit_span(id, &ctx, Kind::Enter, None);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        self.emit_span(id, &ctx, Kind::Exit, None);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        self.emit_span(&id, &ctx, Kind::Close, None);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        let parent = event_parent_uid(event, &ctx);
        self.outbox
            .emit(Some(event.metadata()), |buf, callsite, tid, ts| {
                buf.put_u8(Kind::Event as u8);
                buf.put_u32(callsite);
                buf.put_u64(parent);
                buf.put_u64(tid);
                buf.put_u64(ts);
                let mut fields = FieldEncoder::new(buf);
                event.record(&mut fields);
                fields.finish();
            });
    }
}
