//! `napi_tracing::layer()`: napi-tracing as a layer of the addon's own
//! subscriber, for addons that keep their own logging (the addon's side:
//! [`layer()`]).
//!
//! Every thread's spans then reach napi-tracing's sessions through it,
//! with the addon's subscriber keeping its own output. Outside a traced run
//! it sees nothing and costs a callsite check. Its filter is per layer (the
//! session's, from `Tracing.start()` or the plugin): it never hides a span
//! from the addon's other layers, nor shows one to them.

use std::any::TypeId;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::{Interest, Subscriber};
use tracing_core::{Dispatch, Event, LevelFilter, Metadata};
use tracing_subscriber::layer::{Context, Filter, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::dispatch::entered::Facts;
use crate::dispatch::span::TracedSpan;
use crate::{clock, dispatch::open_sessions, dispatch::router, dispatch::subscribers::own};

/// What `Dispatch::downcast_ref` finds in a subscriber that has
/// napi-tracing's layer: how napi-tracing recognises the addon's subscriber.
pub(crate) struct LayerMarker;

static MARKER: LayerMarker = LayerMarker;

static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Wrapped subscribers (`napi_tracing::wrap()`) alive: each traces every
/// span itself, so a layer inside one sees nothing meanwhile, and no span
/// is counted twice.
static WRAPPERS: AtomicUsize = AtomicUsize::new(0);

/// A wrapped subscriber was made into a dispatcher: layers see nothing until it is dropped.
pub(crate) fn stand_down() {
    WRAPPERS.fetch_add(1, Ordering::AcqRel);
}

/// A wrapped subscriber that made layers stand down was dropped.
pub(crate) fn stand_up() {
    WRAPPERS.fetch_sub(1, Ordering::AcqRel);
}

fn stood_down() -> bool {
    WRAPPERS.load(Ordering::Acquire) != 0
}

/// Whether a subscriber with napi-tracing's layer was ever built.
pub(crate) fn registered() -> bool {
    REGISTERED.load(Ordering::Acquire)
}

/// napi-tracing as a layer of the addon's own subscriber, for addons that
/// keep their own logging. The addon's one init line gains one `.with(...)`:
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
///
/// tracing_subscriber::registry()
///     .with(tracing_subscriber::fmt::layer())
///     .with(napi_tracing::layer())
///     .init();
/// ```
///
/// Every thread's spans then reach napi-tracing's sessions through it, and
/// the subscriber keeps its own output. Its filter is per layer: it never
/// hides a span from the addon's other layers, nor shows one to them; but a
/// global filter of the subscriber (an `EnvFilter` added with `.with()`)
/// decides for it too, so an addon with one uses [`wrap()`](crate::wrap())
/// instead. Outside a traced run it sees nothing.
///
/// The subscriber must be tracing-subscriber's `Registry` with layers (what
/// `tracing_subscriber::registry()` builds): the layer keeps its data in the
/// spans' extensions and filters per layer.
pub fn layer<S>() -> impl Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    NapiTracingLayer { _private: () }.with_filter(SessionsFilter)
}

/// The layer `napi_tracing::layer()` builds, before its filter.
#[derive(Debug)]
pub struct NapiTracingLayer {
    _private: (),
}

/// The open sessions' filters, as the layer's own.
struct SessionsFilter;

impl<S> Filter<S> for SessionsFilter
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn enabled(&self, meta: &Metadata<'_>, cx: &Context<'_, S>) -> bool {
        !stood_down()
            && open_sessions::open_now()
                .iter()
                .any(|s| s.filter.env().enabled(meta, cx.clone()))
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        let mut interest = Interest::never();
        if stood_down() {
            return interest;
        }
        for session in open_sessions::open_now().iter() {
            let wanted = session.filter.interest(meta);
            if wanted.is_sometimes() || (wanted.is_always() && interest.is_never()) {
                interest = wanted;
            }
        }
        interest
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        if stood_down() {
            return Some(LevelFilter::OFF);
        }
        open_sessions::max_level_hint()
    }
}

/// The record of span `id`, if napi-tracing keeps one for it.
fn with_record<S, R>(ctx: &Context<'_, S>, id: &Id, f: impl FnOnce(&TracedSpan) -> R) -> Option<R>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let span = ctx.span(id)?;
    let ext = span.extensions();
    ext.get::<TracedSpan>().map(f)
}

fn facts_of<S>(ctx: &Context<'_, S>, id: &Id) -> Option<Facts>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    with_record(ctx, id, |rec| rec.facts(id.into_u64()))
}

impl<S> Layer<S> for NapiTracingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        REGISTERED.store(true, Ordering::Release);
        own::note_traced_through(subscriber);
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let now = clock::now_ns();
        let parent = if attrs.is_root() {
            None
        } else if let Some(explicit) = attrs.parent() {
            facts_of(&ctx, explicit)
        } else {
            ctx.lookup_current()
                .and_then(|current| facts_of(&ctx, &current.id()))
        };
        let open = open_sessions::open_now();
        let (rec, _) = router::new_span(&open, attrs, parent.as_ref(), now);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(rec);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        with_record(&ctx, id, |rec| router::on_record(rec, values));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let now = clock::now_ns();
        let parent = match event.parent() {
            Some(explicit) => facts_of(&ctx, explicit),
            None if event.is_contextual() => {
                ctx.lookup_current().and_then(|c| facts_of(&ctx, &c.id()))
            }
            None => None,
        };
        router::on_event(&open_sessions::open_now(), event, parent, now);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        with_record(&ctx, id, |rec| router::on_enter(rec, id.into_u64()));
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        with_record(&ctx, id, |rec| router::on_exit(rec, id.into_u64()));
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        with_record(&ctx, &id, router::on_close);
    }

    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<LayerMarker>() {
            Some(&MARKER as *const LayerMarker as *const ())
        } else if id == TypeId::of::<Self>() {
            Some(self as *const Self as *const ())
        } else {
            None
        }
    }
}
