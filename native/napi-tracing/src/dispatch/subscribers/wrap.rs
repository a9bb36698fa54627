//! `napi_tracing::wrap(subscriber)`: napi-tracing around the addon's own
//! subscriber, whatever its filtering (the addon's side: [`wrap()`]).
//!
//! A layer cannot see past a global filter (in tracing-subscriber, a global
//! filter's `enabled` decides for every layer), so napi-tracing stands in
//! front of the whole subscriber instead. The wrapped subscriber gets every
//! callsite, span and event exactly as it would alone: its interest in each
//! callsite is kept, and a span or event reaches it only when that interest
//! (or, for `sometimes`, its own `enabled`, asked once) says so; a span it
//! makes keeps its id, so that lookups by id in it (tracing-opentelemetry's
//! `Span::context()`) still work. napi-tracing traces the spans its sessions'
//! filters ask for beside it: for a span both want, its record is kept by the
//! wrapped subscriber's id; a span only napi-tracing wants gets an id of
//! napi-tracing's own subscriber (`own.rs`), whose ids the wrapped
//! subscriber never gives. A parent the wrapped subscriber never saw is,
//! for it, no parent: what it would have been given alone (`Span::none()`).
//! `tracing::enabled!` answers as the wrapped subscriber alone would, so
//! the addon's code takes the same paths traced and untraced.
//!
//! With no session open, each hook is the wrapped subscriber's, after one
//! check.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::RwLock;

use dashmap::DashMap;
use rustc_hash::{FxBuildHasher, FxHashMap};
use tracing_core::span::{Attributes, Current, Id, Record};
use tracing_core::subscriber::{Interest, Subscriber};
use tracing_core::{Dispatch, Event, LevelFilter, Metadata};

use crate::dispatch::subscribers::own::{self, Kept, Parent};
use crate::sync::{read, write};
use crate::{
    clock, dispatch::entered, dispatch::open_sessions, dispatch::subscribers::as_layer,
    dispatch::values, thread_info,
};

/// Kept in the addon's read-only data by [`wrap`], so that napi-tracing can
/// tell from the binary that the addon wraps its subscriber (`../install.rs`
/// looks for it, written backwards there so as not to find itself).
pub(crate) const MARKER: &str = "napi-tracing wraps this addon's tracing subscriber";

/// Wraps the addon's subscriber so that napi-tracing traces every span its
/// sessions ask for, on every thread, whatever the subscriber's own filters
/// let through; the subscriber's own output is as it would be alone. Install
/// what it returns instead of the subscriber: `napi_tracing::wrap(subscriber).init()`
/// (tracing-subscriber's `SubscriberInitExt`), or `try_init()`, or
/// `tracing::subscriber::set_global_default`. The addon's one init line
/// gains one call:
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
///
/// napi_tracing::wrap(
///     tracing_subscriber::registry()
///         .with(tracing_subscriber::EnvFilter::new("warn"))
///         .with(tracing_subscriber::fmt::layer()),
/// )
/// .init();
/// ```
///
/// The wrapped subscriber gets every callsite, span and event exactly as it
/// would alone, keeps its span ids (lookups by id still work), and
/// `tracing::enabled!` answers as it alone would. Outside a traced run it
/// costs one check per hook.
pub fn wrap<S>(subscriber: S) -> Wrapped<S>
where
    S: Subscriber + Send + Sync + 'static,
{
    std::hint::black_box(MARKER);
    Wrapped {
        inner: subscriber,
        callsites: RwLock::default(),
        kept: DashMap::with_hasher(FxBuildHasher),
        kept_count: AtomicUsize::new(0),
        stands_down: AtomicBool::new(false),
    }
}

/// The addon's subscriber wrapped by [`wrap`]: a `Subscriber` itself.
pub struct Wrapped<S> {
    inner: S,
    /// Each callsite's interest, the wrapped subscriber's and napi-tracing's.
    callsites: RwLock<FxHashMap<usize, (Wants, Wants)>>,
    /// The wrapped subscriber's span ids -> napi-tracing's records of them.
    kept: DashMap<u64, usize, FxBuildHasher>,
    kept_count: AtomicUsize,
    /// Whether napi-tracing's layers stand down while this is alive.
    stands_down: AtomicBool,
}

impl<S> Drop for Wrapped<S> {
    fn drop(&mut self) {
        if *self.stands_down.get_mut() {
            as_layer::stand_up();
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Wrapped<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wrapped")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// What `Dispatch::downcast_ref` finds in a wrapped subscriber: how
/// napi-tracing recognises it.
pub(crate) struct WrapMarker;

static WRAP_MARKER: WrapMarker = WrapMarker;

static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Whether a wrapped subscriber was ever made into a dispatcher.
pub(crate) fn registered() -> bool {
    REGISTERED.load(Ordering::Acquire)
}

/// Set if the wrapped subscriber gave an id of napi-tracing's own kind (a
/// hand-written subscriber may): from then on napi-tracing makes no span
/// the wrapped one does not make, and takes no id for its own.
static CLASHED: AtomicBool = AtomicBool::new(false);

/// Whether the wrapped subscriber's ids clash with napi-tracing's (see `CLASHED`).
pub(crate) fn clashed() -> bool {
    CLASHED.load(Ordering::Relaxed)
}

/// An interest, as kept per callsite.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wants {
    Never,
    Sometimes,
    Always,
}

impl Wants {
    fn of(interest: &Interest) -> Wants {
        if interest.is_always() {
            Wants::Always
        } else if interest.is_never() {
            Wants::Never
        } else {
            Wants::Sometimes
        }
    }

    fn interest(self) -> Interest {
        match self {
            Wants::Never => Interest::never(),
            Wants::Sometimes => Interest::sometimes(),
            Wants::Always => Interest::always(),
        }
    }
}

/// What tracing is told of a callsite: asked per span whenever either side
/// decides per span, never when neither wants it, else always.
fn combined(inner: Wants, ours: Wants) -> Interest {
    match (inner, ours) {
        (Wants::Sometimes, _) | (_, Wants::Sometimes) => Interest::sometimes(),
        (Wants::Never, Wants::Never) => Interest::never(),
        _ => Interest::always(),
    }
}

fn callsite_key(meta: &Metadata<'_>) -> usize {
    meta as *const Metadata<'_> as *const () as usize
}

/// Who wants the span or event `enabled` was just asked about.
#[derive(Clone, Copy)]
struct Pending {
    callsite: usize,
    inner: bool,
    ours: bool,
}

impl Pending {
    const NONE: Pending = Pending {
        callsite: 0,
        inner: false,
        ours: false,
    };
}

/// Decisions kept per thread, innermost last. tracing asks `enabled` right
/// before it makes the span or event, on the same thread; a span's field
/// values are computed in between and may make spans of their own, so the
/// decisions nest. One asked for and never followed (`tracing::enabled!`)
/// is dropped when a decision below it is taken, or when the oldest has to
/// make room.
const DEPTH: usize = 8;

/// Bumped whenever a wrapped subscriber registers a callsite: threads'
/// copies of the interests are out of date.
static GENERATION: AtomicU64 = AtomicU64::new(1);

type Interests = FxHashMap<(usize, usize), (Wants, Wants)>;

thread_local! {
    /// This thread's copy of the interests, by (wrapped subscriber, callsite).
    static INTERESTS: RefCell<(u64, Interests)> = RefCell::new((0, FxHashMap::default()));
    static PENDING: RefCell<[Pending; DEPTH]> = const { RefCell::new([Pending::NONE; DEPTH]) };
    static PENDING_LEN: Cell<usize> = const { Cell::new(0) };
    /// Set while this thread closes a span of the wrapped subscriber: the
    /// parents it releases meanwhile close after it.
    static CLOSING: Cell<bool> = const { Cell::new(false) };
    static CLOSED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn remember(pending: Pending) {
    let _ = PENDING.try_with(|stack| {
        let Ok(mut stack) = stack.try_borrow_mut() else {
            return;
        };
        let len = PENDING_LEN.with(Cell::get);
        let len = if len == DEPTH {
            stack.copy_within(1.., 0);
            DEPTH - 1
        } else {
            len
        };
        stack[len] = pending;
        PENDING_LEN.with(|l| l.set(len + 1));
    });
}

/// The decision for `callsite` taken last on this thread, if any; it and
/// those taken after it are forgotten.
fn recall(callsite: usize) -> Option<Pending> {
    PENDING
        .try_with(|stack| {
            let stack = stack.try_borrow().ok()?;
            let len = PENDING_LEN.with(Cell::get);
            let at = stack[..len].iter().rposition(|p| p.callsite == callsite)?;
            PENDING_LEN.with(|l| l.set(at));
            Some(stack[at])
        })
        .ok()
        .flatten()
}

fn nothing_pending() -> bool {
    PENDING_LEN.try_with(Cell::get).map_or(true, |len| len == 0)
}

/// Nothing to do but the wrapped subscriber's: no session open, and no
/// decision of one waiting on this thread.
fn quiet() -> bool {
    !open_sessions::any_open() && nothing_pending()
}

impl<S: Subscriber> Wrapped<S> {
    /// The interests kept for `meta` (both asked per span if it was never
    /// registered): from this thread's copy, taken again after any
    /// callsite is registered, so that threads do not share a lock per span.
    fn interests(&self, meta: &Metadata<'_>) -> (Wants, Wants) {
        let callsite = callsite_key(meta);
        let shared = || {
            read(&self.callsites)
                .get(&callsite)
                .copied()
                .unwrap_or((Wants::Sometimes, Wants::Sometimes))
        };
        let key = (self as *const Self as *const () as usize, callsite);
        let generation = GENERATION.load(Ordering::Acquire);
        INTERESTS
            .try_with(|copy| {
                let mut copy = copy.try_borrow_mut().ok()?;
                if copy.0 != generation {
                    *copy = (generation, FxHashMap::default());
                }
                Some(*copy.1.entry(key).or_insert_with(shared))
            })
            .ok()
            .flatten()
            .unwrap_or_else(shared)
    }

    /// Whether the wrapped subscriber wants `meta` now, by its interest or
    /// else by asking it.
    fn inner_wants(&self, wants: Wants, meta: &Metadata<'_>) -> bool {
        match wants {
            Wants::Always => true,
            Wants::Never => false,
            Wants::Sometimes => self.inner.enabled(meta),
        }
    }

    /// Who wants `meta` now, when `enabled` was not asked just before.
    fn decide(&self, meta: &Metadata<'_>) -> (bool, bool) {
        let (inner, ours) = self.interests(meta);
        (self.inner_wants(inner, meta), ours_want(ours, meta))
    }

    /// Whether `id` is a span of napi-tracing's own subscriber.
    fn is_ours(&self, id: &Id) -> bool {
        own::is_ours(id) && !clashed()
    }

    /// napi-tracing's record of the wrapped subscriber's span `id`.
    fn key_of(&self, id: &Id) -> Option<usize> {
        if self.kept_count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.kept.get(&id.into_u64()).map(|key| *key)
    }

    /// Span `id` (either kind) as the parent of a new span, held open for
    /// it when `hold` and napi-tracing's own.
    fn parent_of(&self, id: &Id, hold: bool) -> Parent {
        if self.is_ours(id) {
            own::parent_of(id, hold)
        } else {
            self.key_of(id)
                .map_or_else(Parent::default, |key| own::parent_at(key, id))
        }
    }

    /// The parent of a span or event with `explicit` parent (or none), or
    /// the current span when contextual.
    fn parent(&self, explicit: Option<&Id>, contextual: bool, hold: bool) -> Parent {
        match explicit {
            Some(explicit) => self.parent_of(explicit, hold),
            None if contextual => match entered::current() {
                Some(current) => Parent {
                    facts: Some(current),
                    ..self.parent_of(&Id::from_u64(current.id), hold)
                },
                None => Parent::default(),
            },
            None => Parent::default(),
        }
    }

    /// The wrapped subscriber's new span: made as a root when its explicit
    /// parent is one the wrapped subscriber never saw.
    fn inner_new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = match attrs.parent() {
            Some(parent) if self.is_ours(parent) => {
                let root = Attributes::new_root(attrs.metadata(), attrs.values());
                self.inner.new_span(&root)
            }
            _ => self.inner.new_span(attrs),
        };
        if own::is_ours(&id) {
            CLASHED.store(true, Ordering::Relaxed);
        }
        id
    }

    /// `f` with `event` as the wrapped subscriber gets it: made again as a
    /// root when its explicit parent is one the wrapped subscriber never saw.
    fn with_inner_event<R>(&self, event: &Event<'_>, f: impl FnOnce(&Event<'_>) -> R) -> R {
        match event.parent() {
            Some(parent) if self.is_ours(parent) => values::with_values(event, |values| {
                f(&Event::new_child_of(None, event.metadata(), values))
            }),
            _ => f(event),
        }
    }

    /// Keeps napi-tracing's record `kept` beside the wrapped subscriber's span `id`.
    fn keep_beside(&self, id: &Id, kept: Kept) {
        let Some(key) = own::keep(kept) else { return };
        match self.kept.insert(id.into_u64(), key) {
            // An id given again before it was closed: the old record ends here.
            Some(old) => own::close_at(old),
            None => {
                self.kept_count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Whether napi-tracing's sessions want `meta` now, given their interest.
fn ours_want(wants: Wants, meta: &Metadata<'_>) -> bool {
    open_sessions::any_open()
        && !thread_info::muted()
        && match wants {
            Wants::Always => true,
            Wants::Never => false,
            Wants::Sometimes => own::enabled(meta),
        }
}

/// A span id that refers to nothing (a span no one wanted, made anyway by
/// a caller that did not ask `enabled`).
fn no_span() -> Id {
    Id::from_u64(u64::MAX)
}

impl<S> Subscriber for Wrapped<S>
where
    S: Subscriber + Send + Sync + 'static,
{
    fn on_register_dispatch(&self, dispatch: &Dispatch) {
        self.inner.on_register_dispatch(dispatch);
        REGISTERED.store(true, Ordering::Release);
        // This traces every span: a napi-tracing layer inside would count them twice.
        if !self.stands_down.swap(true, Ordering::AcqRel) {
            as_layer::stand_down();
        }
        own::note_traced_through(dispatch);
    }

    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        let inner = Wants::of(&self.inner.register_callsite(meta));
        let ours = Wants::of(&own::interest(meta));
        write(&self.callsites).insert(callsite_key(meta), (inner, ours));
        GENERATION.fetch_add(1, Ordering::AcqRel);
        if ours == Wants::Never {
            // Nothing listens: the wrapped subscriber's interest, as it is.
            return inner.interest();
        }
        combined(inner, ours)
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        let (inner, ours) = self.interests(meta);
        let inner = self.inner_wants(inner, meta);
        // `tracing::enabled!` answers as the wrapped subscriber alone does,
        // so that the addon runs the same code traced and untraced.
        let hint = !meta.is_span() && !meta.is_event();
        if hint || !open_sessions::any_open() {
            return inner;
        }
        let ours = ours_want(ours, meta);
        if inner || ours {
            remember(Pending {
                callsite: callsite_key(meta),
                inner,
                ours,
            });
        }
        inner || ours
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        match (self.inner.max_level_hint(), open_sessions::max_level_hint()) {
            (Some(inner), Some(ours)) => Some(inner.max(ours)),
            _ => None,
        }
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        if quiet() {
            return self.inner.new_span(attrs);
        }
        let meta = attrs.metadata();
        let (inner, ours) = recall(callsite_key(meta))
            .map(|p| (p.inner, p.ours))
            .unwrap_or_else(|| self.decide(meta));
        let now = clock::now_ns();
        let id = inner.then(|| self.inner_new_span(attrs));
        if !ours || (id.is_none() && clashed()) {
            return id.unwrap_or_else(no_span);
        }
        let parent = self.parent(attrs.parent(), attrs.is_contextual(), true);
        let kept = own::make(attrs, parent, now);
        match id {
            Some(id) => {
                self.keep_beside(&id, kept);
                id
            }
            None => own::keep_as_ours(kept),
        }
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        if self.is_ours(id) {
            return own::record_at(own::key(id), values);
        }
        self.inner.record(id, values);
        if let Some(key) = self.key_of(id) {
            own::record_at(key, values);
        }
    }

    fn record_follows_from(&self, id: &Id, follows: &Id) {
        if !self.is_ours(id) && !self.is_ours(follows) {
            self.inner.record_follows_from(id, follows);
        }
        let key = |id: &Id| {
            if self.is_ours(id) {
                Some(own::key(id))
            } else {
                self.key_of(id)
            }
        };
        if let (Some(id), Some(follows)) = (key(id), key(follows)) {
            own::follows_from_at(id, follows);
        }
    }

    fn event_enabled(&self, event: &Event<'_>) -> bool {
        if quiet() {
            return self.inner.event_enabled(event);
        }
        let meta = event.metadata();
        let callsite = callsite_key(meta);
        let (inner, ours) = recall(callsite)
            .map(|p| (p.inner, p.ours))
            .unwrap_or_else(|| self.decide(meta));
        let inner = inner && self.with_inner_event(event, |e| self.inner.event_enabled(e));
        if inner || ours {
            remember(Pending {
                callsite,
                inner,
                ours,
            });
        }
        inner || ours
    }

    fn event(&self, event: &Event<'_>) {
        if quiet() {
            return self.inner.event(event);
        }
        let meta = event.metadata();
        let (inner, ours) = recall(callsite_key(meta))
            .map(|p| (p.inner, p.ours))
            .unwrap_or_else(|| self.decide(meta));
        if inner {
            self.with_inner_event(event, |e| self.inner.event(e));
        }
        if ours {
            let now = clock::now_ns();
            let parent = self.parent(event.parent(), event.is_contextual(), false);
            own::event_under(event, parent, now);
        }
    }

    fn enter(&self, id: &Id) {
        if self.is_ours(id) {
            return own::enter_at(own::key(id), id);
        }
        self.inner.enter(id);
        if let Some(key) = self.key_of(id) {
            own::enter_at(key, id);
        }
    }

    fn exit(&self, id: &Id) {
        if self.is_ours(id) {
            return own::exit_at(own::key(id), id);
        }
        if let Some(key) = self.key_of(id) {
            own::exit_at(key, id);
        }
        self.inner.exit(id);
    }

    fn clone_span(&self, id: &Id) -> Id {
        if self.is_ours(id) {
            return own::clone_ours(id);
        }
        self.inner.clone_span(id)
    }

    #[allow(deprecated)]
    fn drop_span(&self, id: Id) {
        self.try_close(id);
    }

    fn try_close(&self, id: Id) -> bool {
        if self.is_ours(&id) {
            return own::release_ours(id);
        }
        if self.kept_count.load(Ordering::Relaxed) == 0 {
            return self.inner.try_close(id);
        }
        // The wrapped subscriber may release the span's parents from inside
        // this call (tracing-subscriber's Registry does): their records
        // close after this span's, as they do in it.
        let nested = CLOSING.with(|c| c.replace(true));
        let key = id.into_u64();
        let closed = self.inner.try_close(id);
        if closed {
            if let Some((_, kept)) = self.kept.remove(&key) {
                self.kept_count.fetch_sub(1, Ordering::Relaxed);
                CLOSED.with(|c| c.borrow_mut().push(kept));
            }
        }
        if !nested {
            CLOSING.with(|c| c.set(false));
            while let Some(kept) = CLOSED.with(|c| c.borrow_mut().pop()) {
                own::close_at(kept);
            }
        }
        closed
    }

    fn current_span(&self) -> Current {
        self.inner.current_span()
    }

    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            Some(self as *const Self as *const ())
        } else if id == TypeId::of::<WrapMarker>() {
            Some(&WRAP_MARKER as *const WrapMarker as *const ())
        } else {
            // SAFETY: forwarded as is; the caller upholds downcast_raw's contract.
            unsafe { self.inner.downcast_raw(id) }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing::Level;
    use tracing_core::dispatcher::{self, Dispatch};
    use tracing_core::Subscriber;
    use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::registry::LookupSpan;
    use tracing_subscriber::{Layer, Registry};

    use super::wrap;
    use crate::dispatch::filter::Filter;
    use crate::dispatch::layers::callback::CallbackLayer;
    use crate::dispatch::layers::outbox::Outbox;
    use crate::dispatch::open_sessions;
    use crate::dispatch::session::{Parts, Session};
    use crate::test_support::SERIAL;

    // The workload and the addons' subscribers, shared with
    // tests/wrap_keeps_the_addons_output.rs.
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/wrap_workload.rs"
    ));

    /// A session that traces everything and keeps its records, counted.
    fn open_session() -> (Arc<Session>, Arc<Outbox>) {
        let outbox = Arc::new(Outbox::new(64 << 20));
        let parts = Parts {
            filter: Filter::parse("trace").unwrap(),
            trace: None,
            callback: Some(CallbackLayer::new(outbox.clone())),
            registry_layers: Vec::new(),
            outputs: Vec::new(),
        };
        let session = Arc::new(Session::new(Session::next_id(), parts));
        open_sessions::register(session.clone());
        (session, outbox)
    }

    /// The records a session of `open_session` took: one per span's new,
    /// enter, exit and close, per event, and per callsite and thread named.
    fn records(outbox: &Outbox) -> u64 {
        std::iter::from_fn(|| outbox.take())
            .map(|b| b.records)
            .sum()
    }

    /// Runs `workload` under `subscriber` as the default; with `traced`, a
    /// session open meanwhile. Returns the session's record count.
    fn run(subscriber: impl tracing_core::Subscriber + Send + Sync + 'static, traced: bool) -> u64 {
        let session = traced.then(open_session);
        let dispatch = Dispatch::new(subscriber);
        dispatcher::with_default(&dispatch, workload);
        drop(dispatch);
        session.map_or(0, |(session, outbox)| {
            open_sessions::unregister(&session);
            records(&outbox)
        })
    }

    /// The records napi-tracing's own subscriber makes of the workload.
    fn records_alone() -> u64 {
        let (session, outbox) = open_session();
        dispatcher::with_default(crate::dispatch::subscribers::own::dispatch(), workload);
        open_sessions::unregister(&session);
        records(&outbox)
    }

    /// (tests/wrap_keeps_the_addons_output.rs shows the output the same
    /// wrapped as alone, in a process where no other dispatcher changes how
    /// tracing asks the subscriber.)
    #[test]
    fn the_addons_output_is_the_same_traced_and_every_span_is_traced() {
        let _serial = crate::sync::lock(&SERIAL);
        let alone = records_alone();
        assert!(alone > 40, "napi-tracing alone made only {alone} records");
        for shape in SHAPES {
            let (quiet, traced) = (Output::default(), Output::default());
            run(wrap(addons_subscriber(shape, &quiet)), false);
            let records = run(wrap(addons_subscriber(shape, &traced)), true);
            let quiet = quiet.text();
            assert!(
                quiet.contains("WARN") && quiet.contains("DEBUG") == (shape == "per-layer filters"),
                "{shape}: the workload is not what the addon's filter keeps:\n{quiet}"
            );
            assert_eq!(traced.text(), quiet, "{shape}: wrapped, traced and not");
            assert_eq!(records, alone, "{shape}: the session's records");
        }
    }

    #[test]
    fn the_wrapped_subscribers_ids_are_the_dispatchers_and_lookups_by_them_work() {
        let _serial = crate::sync::lock(&SERIAL);
        let (session, outbox) = open_session();
        let dispatch = Dispatch::new(wrap(
            tracing_subscriber::registry().with(EnvFilter::new("warn")),
        ));
        dispatcher::with_default(&dispatch, || {
            let warned = tracing::warn_span!("warned");
            let id = warned.id().expect("the addon's subscriber wants it");
            assert!(!crate::dispatch::subscribers::own::is_ours(&id));
            let registry = dispatch
                .downcast_ref::<Registry>()
                .expect("downcasts reach the wrapped subscriber");
            assert_eq!(registry.span(&id).map(|s| s.name()), Some("warned"));
            // A span only napi-tracing wants: an id of its own, unknown to the Registry.
            let debug = tracing::debug_span!("debug");
            let ours = debug.id().expect("napi-tracing wants it");
            assert!(crate::dispatch::subscribers::own::is_ours(&ours));
            assert!(registry.span(&ours).is_none());
            // Its children the Registry makes are roots there.
            let child = tracing::warn_span!(parent: &debug, "child");
            let child = registry.span(&child.id().unwrap()).unwrap();
            assert!(child.parent().is_none());
        });
        drop(dispatch);
        open_sessions::unregister(&session);
        assert!(records(&outbox) > 0);
    }

    /// A hand-written subscriber: counter ids, every span and event at
    /// target `always` always wanted, the others asked per span (and
    /// wanted); counts what it is asked and given.
    #[derive(Default)]
    struct Counting {
        next: std::sync::atomic::AtomicU64,
        asked: std::sync::atomic::AtomicU64,
        spans: std::sync::atomic::AtomicU64,
        events: std::sync::atomic::AtomicU64,
    }

    impl Subscriber for Counting {
        fn register_callsite(
            &self,
            meta: &'static tracing_core::Metadata<'static>,
        ) -> tracing_core::Interest {
            if meta.target() == "always" {
                tracing_core::Interest::always()
            } else {
                tracing_core::Interest::sometimes()
            }
        }
        fn enabled(&self, meta: &tracing_core::Metadata<'_>) -> bool {
            assert_ne!(
                meta.target(),
                "always",
                "asked about a callsite it always wants"
            );
            self.asked
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            true
        }
        fn new_span(&self, _: &tracing_core::span::Attributes<'_>) -> tracing_core::span::Id {
            self.spans
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing_core::span::Id::from_u64(
                1 + self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            )
        }
        fn record(&self, _: &tracing_core::span::Id, _: &tracing_core::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing_core::span::Id, _: &tracing_core::span::Id) {}
        fn event(&self, _: &tracing_core::Event<'_>) {
            self.events
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        fn enter(&self, _: &tracing_core::span::Id) {}
        fn exit(&self, _: &tracing_core::span::Id) {}
    }

    #[test]
    fn the_wrapped_subscriber_is_asked_as_alone_never_for_what_it_always_wants_once_for_the_rest() {
        let _serial = crate::sync::lock(&SERIAL);
        // napi-tracing's own dispatcher exists (as after a scoped start): with
        // two dispatchers, tracing asks `enabled` of callsites either decides per span.
        let _ = crate::dispatch::subscribers::own::dispatch();
        for traced in [false, true] {
            let session = traced.then(open_session);
            let dispatch = Dispatch::new(wrap(Counting::default()));
            dispatcher::with_default(&dispatch, || {
                for _ in 0..3 {
                    tracing::info_span!(target: "always", "kept").in_scope(|| {
                        tracing::info!(target: "always", "kept");
                        tracing::info_span!(target: "asked", "asked").in_scope(|| {
                            tracing::info!(target: "asked", "asked");
                        });
                    });
                }
            });
            if let Some((session, _)) = session {
                open_sessions::unregister(&session);
            }
            let counting = dispatch.downcast_ref::<Counting>().unwrap();
            let count =
                |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(count(&counting.asked), 6, "traced: {traced}");
            assert_eq!(count(&counting.spans), 6, "traced: {traced}");
            assert_eq!(count(&counting.events), 6, "traced: {traced}");
        }
    }
}
