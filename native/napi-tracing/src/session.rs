//! A session: one `Tracing.start()` on one JavaScript thread, and the layers
//! it asked for. A session is itself a `tracing_subscriber::Layer`: its
//! filter and its layers, composed as tracing-subscriber composes a
//! `Vec<L>`. The router gives every span to at most one session, which
//! alone sees it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tracing_core::span::{Attributes, Id, Record};
use tracing_core::Event;
use tracing_subscriber::layer::Context;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::layers::collect::Collection;
use crate::layers::{BoxedLayer, Closed, Output};
use crate::queue::Outbox;
use crate::span_data;

pub(crate) struct Session {
    pub(crate) id: u64,
    pub(crate) filter: EnvFilter,
    /// Whether the filter has span directives (`target[span{field}]=level`),
    /// the only ones that need to follow spans being entered and exited, and
    /// so to see the spans it hides: without them, the router hands this
    /// session only the spans its filter lets through.
    pub(crate) filter_tracks_spans: bool,
    layers: Vec<BoxedLayer>,
    /// Present when records go to JavaScript (a callback or collect layer).
    pub(crate) outbox: Option<Arc<Outbox>>,
    /// Files and exporters to flush and close with the session.
    outputs: Vec<Box<dyn Output>>,
    /// The collect layer's sums, open spans and trace, when there is one.
    pub(crate) collection: Option<Arc<Collection>>,
    closed: AtomicBool,
}

impl Session {
    /// A fresh session id, taken before the layers are built.
    pub(crate) fn next_id() -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn new(
        id: u64,
        filter: EnvFilter,
        filter_tracks_spans: bool,
        layers: Vec<BoxedLayer>,
        outbox: Option<Arc<Outbox>>,
        outputs: Vec<Box<dyn Output>>,
        collection: Option<Arc<Collection>>,
    ) -> Session {
        Session {
            id,
            filter,
            filter_tracks_spans,
            layers,
            outbox,
            outputs,
            collection,
            closed: AtomicBool::new(false),
        }
    }

    /// Writes out what every output has received so far.
    pub(crate) fn flush_outputs(&self) {
        for output in &self.outputs {
            output.flush();
        }
    }

    /// Closes every output; what they lost and what went wrong.
    pub(crate) fn close_outputs(&self) -> Closed {
        let mut all = Closed::default();
        for output in &self.outputs {
            let closed = output.close();
            all.dropped += closed.dropped;
            all.warnings.extend(closed.warnings);
        }
        all
    }

    pub(crate) fn is_open(&self) -> bool {
        !self.closed.load(Ordering::Acquire)
    }

    /// Stops delivery: spans that still belong to this session are dropped
    /// from here on, whichever thread ends them.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether the layers see span `id`. The router hands a session hidden
    /// spans only when its filter tracks spans, so only then is it asked.
    fn shows(&self, ctx: &Context<'_, Registry>, id: &Id) -> bool {
        !self.filter_tracks_spans || span_data::with(ctx, id, |data| data.visible).unwrap_or(false)
    }
}

impl Session {
    /// One span hook: the filter first when it follows spans, then the
    /// layers when they see the span.
    fn forward(
        &self,
        ctx: &Context<'_, Registry>,
        id: &Id,
        filter: impl FnOnce(&EnvFilter),
        layer: impl FnMut(&BoxedLayer),
    ) {
        if self.filter_tracks_spans {
            filter(&self.filter);
        }
        if self.shows(ctx, id) {
            self.layers.iter().for_each(layer);
        }
    }
}

impl Layer<Registry> for Session {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        self.forward(
            &ctx,
            id,
            |f| f.on_new_span(attrs, id, ctx.clone()),
            |l| l.on_new_span(attrs, id, ctx.clone()),
        );
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        self.forward(
            &ctx,
            id,
            |f| f.on_record(id, values, ctx.clone()),
            |l| l.on_record(id, values, ctx.clone()),
        );
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, Registry>) {
        self.forward(
            &ctx,
            id,
            |_| {},
            |l| l.on_follows_from(id, follows, ctx.clone()),
        );
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        if self.filter.enabled(event.metadata(), ctx.clone()) {
            self.layers
                .iter()
                .for_each(|l| l.on_event(event, ctx.clone()));
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, Registry>) {
        self.forward(
            &ctx,
            id,
            |f| f.on_enter(id, ctx.clone()),
            |l| l.on_enter(id, ctx.clone()),
        );
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        self.forward(
            &ctx,
            id,
            |f| f.on_exit(id, ctx.clone()),
            |l| l.on_exit(id, ctx.clone()),
        );
    }

    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        self.forward(
            &ctx,
            &id,
            |f| f.on_close(id.clone(), ctx.clone()),
            |l| l.on_close(id.clone(), ctx.clone()),
        );
    }
}
