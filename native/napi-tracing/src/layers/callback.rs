//! `callbackLayer`: span and event callbacks for a TypeScript `Layer`.
//!
//! Hooks encode a record (see `record.rs`) into the session's outbox
//! (`queue.rs`). On the session's own JavaScript thread the outbox is then
//! drained at once, so the TypeScript layer sees the call before the traced
//! code goes on. On any other thread the record waits and the JavaScript
//! thread is woken through a weak threadsafe function: the Rust thread never
//! blocks and Node is never kept alive. One FIFO per session keeps every
//! span's records in order.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tracing_core::span::{Attributes, Id, Record};
use tracing_core::Event;
use tracing_subscriber::layer::Context;
use tracing_subscriber::{Layer, Registry};

use crate::caller;
use crate::queue::Outbox;
use crate::record::{put_new_span, FieldEncoder, Kind, Put};
use crate::span_data::{self, event_parent_uid};

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
        let Some((uid, lost)) = span_data::with(ctx, id, |data| {
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
    span_data::with(ctx, id, |data| data.lost.store(true, Ordering::Relaxed));
}

impl Layer<Registry> for CallbackLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        let Some((uid, parent)) = span_data::with(&ctx, id, |d| (d.uid, d.parent_uid)) else {
            return;
        };
        let pushed = self
            .outbox
            .emit(Some(attrs.metadata()), |buf, callsite, tid, ts| {
                put_new_span(buf, uid, callsite, parent, tid, ts, caller::tag());
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
