//! A session: one `Tracing.start()` on one JavaScript thread, its filter
//! and the layers it asked for. Every span belongs to at most one session,
//! decided when the span is made; the session's hooks take the span as
//! napi-tracing keeps it (`span.rs`), whichever subscriber made it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tracing_core::span::{Attributes, Record};
use tracing_core::{Event, Metadata};

use crate::dispatch::entered::{Facts, Left};
use crate::dispatch::filter::Filter;
use crate::dispatch::layers::callback::CallbackLayer;
use crate::dispatch::layers::outbox::Outbox;
use crate::dispatch::layers::trace::TraceLayer;
use crate::dispatch::layers::{BoxedLayer, Closed, Output};
use crate::dispatch::span::TracedSpan;
use crate::protocol::Anchor;

pub(crate) struct Session {
    pub(crate) id: u64,
    pub(crate) filter: Filter,
    /// `chromeLayer`'s file, or the plugin's collect layer.
    pub(crate) trace: Option<TraceLayer>,
    pub(crate) callback: Option<CallbackLayer>,
    /// tracing-subscriber layers (fmt, OpenTelemetry): with any, or with a
    /// filter that decides per span, the session's spans live on the
    /// Registry path (`registry_path.rs`).
    pub(crate) registry_layers: Vec<BoxedLayer>,
    /// Exporters to flush and close with the session.
    outputs: Vec<Box<dyn Output>>,
    closed: AtomicBool,
    /// What one span costs this session, measured when it started (ns; 0: not measured).
    span_cost_ns: AtomicU64,
}

/// What a session is made of.
pub(crate) struct Parts {
    pub(crate) filter: Filter,
    pub(crate) trace: Option<TraceLayer>,
    pub(crate) callback: Option<CallbackLayer>,
    pub(crate) registry_layers: Vec<BoxedLayer>,
    pub(crate) outputs: Vec<Box<dyn Output>>,
}

impl Session {
    /// A fresh session id, taken before the layers are built.
    pub(crate) fn next_id() -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn new(id: u64, parts: Parts) -> Session {
        Session {
            id,
            filter: parts.filter,
            trace: parts.trace,
            callback: parts.callback,
            registry_layers: parts.registry_layers,
            outputs: parts.outputs,
            closed: AtomicBool::new(false),
            span_cost_ns: AtomicU64::new(0),
        }
    }

    /// Where the callback layer's records wait for the JavaScript thread
    /// (the lifecycle stream), when the session has one.
    pub(crate) fn outbox(&self) -> Option<&Arc<Outbox>> {
        self.callback.as_ref().map(CallbackLayer::outbox)
    }

    /// Whether the session's spans live on tracing-subscriber's Registry.
    pub(crate) fn on_registry_path(&self) -> bool {
        !self.registry_layers.is_empty() || self.filter.dynamic
    }

    /// Whether its layers see spans and events of `meta`, for a filter that
    /// decides per callsite (see `router::shows` for one that does not).
    /// With `sole`, the session is the only one open and the callsite's
    /// cached interest already said yes (else the span would not have been made).
    pub(crate) fn shows(&self, meta: &'static Metadata<'static>, sole: bool) -> bool {
        sole || self.filter.enables(meta)
    }

    /// Whether its layers time spans (read the clock when they are entered).
    pub(crate) fn times(&self) -> bool {
        self.trace.is_some()
    }

    /// The anchor of a span or event of this session (see `TraceLayer::anchor`).
    pub(crate) fn anchor(
        &self,
        parent: Option<&Facts>,
        on_js_thread: bool,
        carried: Option<Anchor>,
    ) -> Anchor {
        match &self.trace {
            Some(trace) => trace.anchor(parent, on_js_thread, carried),
            None => Anchor::default(),
        }
    }

    /// What one span costs this session (ns), 0 when not measured.
    pub(crate) fn span_cost_ns(&self) -> u64 {
        self.span_cost_ns.load(Ordering::Relaxed)
    }

    pub(crate) fn set_span_cost_ns(&self, ns: u64) {
        self.span_cost_ns.store(ns, Ordering::Relaxed);
    }

    pub(crate) fn is_open(&self) -> bool {
        !self.closed.load(Ordering::Acquire)
    }

    /// Stops delivery: spans that still belong to this session are dropped
    /// from here on, whichever thread ends them.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// A visible span of this session was made (`rec` complete but for what
    /// the layers fill in).
    pub(crate) fn on_new_span(
        &self,
        rec: &mut TracedSpan,
        parent: Option<&Facts>,
        attrs: &Attributes<'_>,
    ) {
        if let Some(trace) = &self.trace {
            trace.on_new_span(rec, parent, attrs);
        }
        if let Some(callback) = &self.callback {
            callback.on_new_span(rec, attrs);
        }
    }

    pub(crate) fn on_record(&self, rec: &TracedSpan, values: &Record<'_>) {
        if let Some(trace) = &self.trace {
            let mut state = crate::sync::lock(&rec.state);
            trace.on_record(&mut state, values);
        }
        if let Some(callback) = &self.callback {
            callback.on_record(rec, values);
        }
    }

    pub(crate) fn on_enter(&self, rec: &TracedSpan) {
        if let Some(callback) = &self.callback {
            callback.on_enter(rec);
        }
    }

    /// A stay ended at `now`; `left` is its timing on this thread, when it
    /// was entered here while this session timed it.
    pub(crate) fn on_exit(&self, rec: &TracedSpan, left: Option<&Left>, now: u64) {
        if let (Some(trace), Some(left)) = (&self.trace, left) {
            trace.on_exit(rec, left, now);
        }
        if let Some(callback) = &self.callback {
            callback.on_exit(rec);
        }
    }

    pub(crate) fn on_close(&self, rec: &TracedSpan, now: u64) {
        if let Some(trace) = &self.trace {
            trace.on_close(rec, now);
        }
        if let Some(callback) = &self.callback {
            callback.on_close(rec);
        }
    }

    /// An event this session shows, under `parent` (its nearest span).
    pub(crate) fn on_event(
        &self,
        event: &Event<'_>,
        parent: Option<&Facts>,
        on_js_thread: bool,
        now: u64,
    ) {
        if let Some(trace) = &self.trace {
            let anchor = trace.anchor(
                parent,
                on_js_thread,
                crate::dispatch::call_context::carried()
                    .filter(|c| c.session == self.id)
                    .map(|c| c.anchor),
            );
            trace.on_event(event, anchor, now);
        }
        if let Some(callback) = &self.callback {
            callback.on_event(event, parent.map_or(0, |p| p.parent_uid));
        }
    }

    /// Writes out what every output has received so far.
    pub(crate) fn flush_outputs(&self) {
        if let Some(trace) = &self.trace {
            trace.collection.write_all();
        }
        for output in &self.outputs {
            output.flush();
        }
    }

    /// Closes every output; what they lost and what went wrong.
    pub(crate) fn close_outputs(&self) -> Closed {
        let mut all = Closed::default();
        if let Some(trace) = &self.trace {
            // Entries the writer dropped are counted by the session's stats
            // (`Collection::dropped`), not again here; the warning says where.
            all.warnings.extend(trace.collection.close(trace.name));
        }
        for output in &self.outputs {
            let closed = output.close();
            all.dropped += closed.dropped;
            all.warnings.extend(closed.warnings);
        }
        all
    }
}
