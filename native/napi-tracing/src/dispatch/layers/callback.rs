//! `callbackLayer`: span and event callbacks for a TypeScript `Layer`.
//!
//! Hooks encode a record of the lifecycle stream (`protocol/lifecycle.rs`)
//! into the layer's outbox (`outbox.rs`). On the session's own JavaScript thread the outbox is then
//! drained at once, so the TypeScript layer sees the call before the traced
//! code goes on. On any other thread the record waits and the JavaScript
//! thread is woken through a weak threadsafe function: the Rust thread never
//! blocks and Node is never kept alive. One FIFO per session keeps every
//! span's records in order.

use std::sync::Arc;

use tracing_core::span::{Attributes, Record};
use tracing_core::Event;

use crate::dispatch::layers::outbox::Outbox;
use crate::dispatch::span::TracedSpan;
use crate::protocol::encoding::FieldEncoder;
use crate::protocol::lifecycle::{put_event, put_new_span, put_span_hook, Kind};
use crate::sync::lock;

/// Feeds an [`Outbox`] with a record per span and event hook.
pub(crate) struct CallbackLayer {
    outbox: Arc<Outbox>,
}

impl CallbackLayer {
    pub(crate) fn new(outbox: Arc<Outbox>) -> CallbackLayer {
        CallbackLayer { outbox }
    }

    /// Where its records wait for the JavaScript thread.
    pub(crate) fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Emits a record about an existing span, unless the span was lost.
    fn emit_span(&self, rec: &TracedSpan, kind: Kind, values: Option<&Record<'_>>) {
        if lock(&rec.state).lost {
            self.outbox.count_dropped();
            return;
        }
        let uid = rec.uid;
        let pushed = self.outbox.emit(None, |buf, _callsite, tid, ts| {
            put_span_hook(buf, kind, uid, tid, ts);
            if let Some(values) = values {
                let mut fields = FieldEncoder::new(buf);
                values.record(&mut fields);
                fields.finish();
            }
        });
        if !pushed {
            lock(&rec.state).lost = true;
        }
    }

    pub(crate) fn on_new_span(&self, rec: &TracedSpan, attrs: &Attributes<'_>) {
        let (uid, parent) = (rec.uid, rec.parent_uid);
        let pushed = self
            .outbox
            .emit(Some(attrs.metadata()), |buf, callsite, tid, ts| {
                put_new_span(buf, uid, callsite, parent, tid, ts);
                let mut fields = FieldEncoder::new(buf);
                attrs.record(&mut fields);
                fields.finish();
            });
        if !pushed {
            lock(&rec.state).lost = true;
        }
    }

    pub(crate) fn on_record(&self, rec: &TracedSpan, values: &Record<'_>) {
        self.emit_span(rec, Kind::Record, Some(values));
    }

    pub(crate) fn on_enter(&self, rec: &TracedSpan) {
        self.emit_span(rec, Kind::Enter, None);
    }

    pub(crate) fn on_exit(&self, rec: &TracedSpan) {
        self.emit_span(rec, Kind::Exit, None);
    }

    pub(crate) fn on_close(&self, rec: &TracedSpan) {
        self.emit_span(rec, Kind::Close, None);
    }

    /// An event whose nearest visible span is `parent_uid` (0: none).
    pub(crate) fn on_event(&self, event: &Event<'_>, parent_uid: u64) {
        self.outbox
            .emit(Some(event.metadata()), |buf, callsite, tid, ts| {
                put_event(buf, callsite, parent_uid, tid, ts);
                let mut fields = FieldEncoder::new(buf);
                event.record(&mut fields);
                fields.finish();
            });
    }
}
