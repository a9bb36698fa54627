//! The Registry path: tracing-subscriber's `Registry`, for sessions whose
//! layers need it (tracing-subscriber's fmt layer and tracing-opentelemetry
//! look spans up and keep data in their extensions) or whose filter decides
//! per span.
//!
//! napi-tracing's own subscriber (`subscribers/own.rs`) keeps every span and decides
//! its owner; for a span of such a session it also makes the span here and
//! forwards its hooks by the span's id on this path. The router layer below
//! hands each span and event to its session's tracing-subscriber layers
//! (and to its `EnvFilter`, which follows spans), and to nobody else.
//!
//! The Registry releases a closing span's parent through the default
//! dispatcher, which is napi-tracing's own: those calls name ids of this
//! path, and `subscribers/own.rs` forwards them back here one after another instead
//! of one inside the other (a chain of 100,000 spans would otherwise close
//! 100,000 frames deep).

use std::any::TypeId;
use std::cell::Cell;
use std::sync::OnceLock;

use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::{Interest, Subscriber};
use tracing_core::{Dispatch, Event, Metadata};
use tracing_subscriber::layer::{Context, Layered, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

use crate::dispatch::open_sessions;
use crate::dispatch::session::Session;

/// The owner `subscribers/own.rs` decided for the span or event it is about to hand
/// over, and whether the owner shows it.
#[derive(Clone, Copy)]
struct Decided {
    session: u64,
    visible: bool,
}

thread_local! {
    static DECIDED: Cell<Option<Decided>> = const { Cell::new(None) };
    /// The one session `enabled` answers for, when asked for one.
    static ASKING: Cell<Option<u64>> = const { Cell::new(None) };
    /// Set while this path closes a span of its own, but for the session's
    /// layers' `on_close`: what the Registry releases meanwhile through the
    /// dispatcher is a parent of this path.
    static CLOSING: Cell<bool> = const { Cell::new(false) };
}

/// What the router keeps in each span's extensions.
struct Owned(Decided);

type Inner = Layered<Router, Registry>;

fn inner() -> &'static Inner {
    static INNER: OnceLock<Inner> = OnceLock::new();
    INNER.get_or_init(|| Registry::default().with(Router))
}

/// Makes span `attrs` on this path for `owner`, under `parent` (an id of
/// this path; `None`: a root here).
pub(crate) fn new_span(
    attrs: &Attributes<'_>,
    parent: Option<&Id>,
    owner: &Session,
    visible: bool,
) -> Id {
    let meta = attrs.metadata();
    let values = attrs.values();
    let attrs = match parent {
        Some(parent) => Attributes::child_of(parent.clone(), meta, values),
        None => Attributes::new_root(meta, values),
    };
    decided(owner, visible, || inner().new_span(&attrs))
}

/// Hands event `event` to `owner` on this path, under `parent` (an id of
/// this path; `None`: no span of this path). An event with an explicit
/// parent is made again with the parent's id on this path.
pub(crate) fn event(event: &Event<'_>, parent: Option<&Id>, owner: &Session) {
    decided(owner, true, || match parent {
        None if !event.is_contextual() && event.parent().is_some() => {
            remade(event, None, |event| inner().event(event))
        }
        None => inner().event(event),
        Some(parent) => remade(event, Some(parent), |event| inner().event(event)),
    });
}

fn decided<R>(owner: &Session, visible: bool, f: impl FnOnce() -> R) -> R {
    let previous = DECIDED.with(|d| {
        d.replace(Some(Decided {
            session: owner.id,
            visible,
        }))
    });
    let result = f();
    DECIDED.with(|d| d.set(previous));
    result
}

/// Calls `f` with `event` made again under `parent` (`None`: a root): the
/// same callsite and values, for a parent id only this path knows.
fn remade(event: &Event<'_>, parent: Option<&Id>, f: impl FnOnce(&Event<'_>)) {
    crate::dispatch::values::with_values(event, |values| {
        let remade = match parent {
            Some(parent) => Event::new_child_of(Some(parent.clone()), event.metadata(), values),
            None => Event::new_child_of(None, event.metadata(), values),
        };
        f(&remade)
    });
}

pub(crate) fn register_callsite(meta: &'static Metadata<'static>) {
    if let Some(inner) = INNER_MADE.get() {
        let _ = inner.register_callsite(meta);
    }
}

/// Set once the path is first used, so that callsites registered before
/// are not asked to build it.
static INNER_MADE: OnceLock<&'static Inner> = OnceLock::new();

/// Builds the path (when a session first needs it) and lets it see every
/// callsite registered so far.
pub(crate) fn prepare() {
    if INNER_MADE.get().is_none() {
        let _ = INNER_MADE.set(inner());
        tracing_core::callsite::rebuild_interest_cache();
    }
}

/// Whether some open session's filter lets `meta` through now (in the
/// current span's scope, for one that decides per span): asked for
/// callsites whose interest is `sometimes`, which is also what any callsite
/// reads while another thread registers it.
pub(crate) fn enabled(meta: &Metadata<'_>) -> bool {
    inner().enabled(meta)
}

/// Whether the filter of `session` (one that decides per span) lets `meta`
/// through now, in the current span's scope.
pub(crate) fn enabled_for(session: &Session, meta: &Metadata<'_>) -> bool {
    let before = ASKING.with(|a| a.replace(Some(session.id)));
    let enabled = inner().enabled(meta);
    ASKING.with(|a| a.set(before));
    enabled
}

pub(crate) fn record(id: &Id, values: &Record<'_>) {
    inner().record(id, values);
}

pub(crate) fn record_follows_from(id: &Id, follows: &Id) {
    inner().record_follows_from(id, follows);
}

pub(crate) fn enter(id: &Id) {
    inner().enter(id);
}

pub(crate) fn exit(id: &Id) {
    inner().exit(id);
}

/// Releases the span `id` of this path; returns whether it closed. The
/// Registry releases the span's parent through the default dispatcher:
/// `dispatch`, napi-tracing's own, whichever the thread's default is.
pub(crate) fn try_close(id: Id, dispatch: &Dispatch) -> bool {
    tracing_core::dispatcher::with_default(dispatch, || {
        let before = CLOSING.with(|c| c.replace(true));
        let closed = inner().try_close(id);
        CLOSING.with(|c| c.set(before));
        closed
    })
}

/// Whether a release now names a span of this path (see [`try_close`]).
pub(crate) fn closing() -> bool {
    CLOSING.with(Cell::get)
}

/// For `downcast_raw` of napi-tracing's subscriber: what this path's
/// layers offer (tracing-opentelemetry's, for one).
///
/// # Safety
/// As `Subscriber::downcast_raw`: the pointer is to a `T` of `id`.
pub(crate) unsafe fn downcast_raw(id: TypeId) -> Option<*const ()> {
    let inner = INNER_MADE.get()?;
    // SAFETY: forwarded as is; the caller upholds downcast_raw's contract.
    unsafe { inner.downcast_raw(id) }
}

/// Runs `f` with the session that owns span `id`, when it is open.
fn with_owner(ctx: &Context<'_, Registry>, id: &Id, f: impl FnOnce(&Session, bool)) {
    let Some(Decided { session, visible }) = ctx
        .span(id)
        .and_then(|span| span.extensions().get::<Owned>().map(|o| o.0))
    else {
        return;
    };
    // No span lock is held here: layers may trace, and so need the registry again.
    let open = open_sessions::open_now();
    if let Some(owner) = open_sessions::find(&open, session).filter(|s| s.is_open()) {
        f(owner, visible);
    }
}

/// The only layer on this path's Registry: hands each span to its owner's
/// filter and layers.
struct Router;

impl Layer<Registry> for Router {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        for session in open_sessions::open_now()
            .iter()
            .filter(|s| s.on_registry_path())
        {
            for layer in &session.registry_layers {
                let _ = layer.register_callsite(meta);
            }
        }
        Interest::always()
    }

    fn enabled(&self, meta: &Metadata<'_>, ctx: Context<'_, Registry>) -> bool {
        let asking = ASKING.with(Cell::get);
        open_sessions::open_now()
            .iter()
            .filter(|s| asking.is_none() || asking == Some(s.id))
            .any(|s| s.filter.env().enabled(meta, ctx.clone()))
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        let Some(decided) = DECIDED.with(Cell::get) else {
            return;
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Owned(decided));
        }
        with_owner(&ctx, id, |owner, visible| {
            if owner.filter.dynamic {
                owner.filter.env().on_new_span(attrs, id, ctx.clone());
            }
            if visible {
                for layer in &owner.registry_layers {
                    layer.on_new_span(attrs, id, ctx.clone());
                }
            }
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        with_owner(&ctx, id, |owner, visible| {
            if owner.filter.dynamic {
                owner.filter.env().on_record(id, values, ctx.clone());
            }
            if visible {
                for layer in &owner.registry_layers {
                    layer.on_record(id, values, ctx.clone());
                }
            }
        });
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, Registry>) {
        with_owner(&ctx, id, |owner, visible| {
            if visible {
                for layer in &owner.registry_layers {
                    layer.on_follows_from(id, follows, ctx.clone());
                }
            }
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        let Some(decided) = DECIDED.with(Cell::get) else {
            return;
        };
        let open = open_sessions::open_now();
        if let Some(owner) = open_sessions::find(&open, decided.session).filter(|s| s.is_open()) {
            for layer in &owner.registry_layers {
                layer.on_event(event, ctx.clone());
            }
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, Registry>) {
        with_owner(&ctx, id, |owner, visible| {
            if owner.filter.dynamic {
                owner.filter.env().on_enter(id, ctx.clone());
            }
            if visible {
                for layer in &owner.registry_layers {
                    layer.on_enter(id, ctx.clone());
                }
            }
        });
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        with_owner(&ctx, id, |owner, visible| {
            if owner.filter.dynamic {
                owner.filter.env().on_exit(id, ctx.clone());
            }
            if visible {
                for layer in &owner.registry_layers {
                    layer.on_exit(id, ctx.clone());
                }
            }
        });
    }

    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        // What the layers release here is theirs, not this path's.
        let closing = CLOSING.with(|c| c.replace(false));
        with_owner(&ctx, &id, |owner, visible| {
            if owner.filter.dynamic {
                owner.filter.env().on_close(id.clone(), ctx.clone());
            }
            if visible {
                for layer in &owner.registry_layers {
                    layer.on_close(id.clone(), ctx.clone());
                }
            }
        });
        CLOSING.with(|c| c.set(closing));
    }
}
