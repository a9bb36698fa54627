//! napi-tracing's own subscriber: the addon's dispatcher when napi-tracing
//! takes the global default or traces a JavaScript thread scoped; and the
//! spans it keeps, which `napi_tracing::wrap()` (`wrap.rs`) shares.
//!
//! It keeps every span itself, in a slab of [`Kept`] records: its owner,
//! anchor and path are decided once, when the span is made (`router.rs`),
//! and each later hook goes straight to the owner's layers with the span's
//! record in hand. No `Registry`, no lookup per layer, no owner decided per
//! hook. Spans of a session whose layers need tracing-subscriber's Registry
//! (fmt, OpenTelemetry) are also made on the Registry path and their hooks
//! forwarded there (`registry_path.rs`).
//!
//! The ids it gives are tagged ([`is_ours`]), so that the wrapper tells them
//! from the wrapped subscriber's ids. When the addon installs a subscriber
//! napi-tracing traces through (wrapped, or with napi-tracing's layer) while
//! this one traces a JavaScript thread (scoped), every new span and event of
//! that thread goes to the addon's from then on, so that the addon's own
//! output has them; the spans this one made stay its own.
//!
//! Closing never recurses per ancestor: a span holds its parent open (as
//! tracing's Registry does, so that a parent closes after its children),
//! and when it closes the parent is released in a loop, not a call inside
//! a call; the Registry path's own releases are queued the same way.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock};

use sharded_slab::{Config, Slab};
use tracing_core::dispatcher::WeakDispatch;
use tracing_core::span::{Attributes, Current, Id, Record};
use tracing_core::subscriber::{Interest, Subscriber};
use tracing_core::{Dispatch, Event, LevelFilter, Metadata};

use crate::dispatch::entered::{self, Facts};
use crate::dispatch::span::TracedSpan;
use crate::sync::{read, write};
use crate::{
    clock, dispatch::open_sessions, dispatch::registry_path, dispatch::router, thread_info,
};

/// One span napi-tracing keeps.
pub(crate) struct Kept {
    rec: TracedSpan,
    /// Handles to it (tracing's `Span`s and its children): it closes at 0.
    /// A span of the wrapped subscriber's closes when that one closes it.
    refs: AtomicUsize,
    /// The span it holds open: its parent, released when it closes.
    parent: Option<Id>,
    /// Its id on the Registry path, when its owner's layers run there.
    on_registry: Option<Id>,
}

/// The slab's layout: three high bits of each key left free, for the tag.
struct Layout;

impl Config for Layout {
    const RESERVED_BITS: usize = 3;
}

type Spans = Slab<Kept, Layout>;

fn spans() -> &'static Spans {
    static SPANS: OnceLock<Spans> = OnceLock::new();
    SPANS.get_or_init(Slab::new_with_config::<Layout>)
}

/// The bits every id this subscriber gives has set: the top one, which no
/// pointer or counter used as an id reaches, and two that in a `Registry`
/// id would mean a shard holding 100 billion spans. A wrapped subscriber's
/// ids never have all three (`napi_tracing::wrap()` checks the ids it is
/// given, and stops making spans of its own if one does).
const TAG: u64 = 1 << 63 | 0b11 << 35;
/// The key bits below the tag's low bits, and the width of those above.
const LOW: u64 = (1 << 35) - 1;
const HIGH_BITS: u32 = 26;

/// Whether `id` is one napi-tracing's subscriber gave.
pub(crate) fn is_ours(id: &Id) -> bool {
    id.into_u64() & TAG == TAG
}

/// The slab key of span `id` of this subscriber.
pub(crate) fn key(id: &Id) -> usize {
    let id = id.into_u64();
    ((id & LOW) | (((id >> 37) & ((1 << HIGH_BITS) - 1)) << 35)) as usize
}

fn id_of(key: usize) -> Id {
    let key = key as u64;
    Id::from_u64(TAG | (key & LOW) | ((key >> 35) << 37))
}

/// The id of a span this subscriber could not keep (the slab is full:
/// millions of spans open at once): its handle refers to nothing.
fn unkept() -> Id {
    Id::from_u64(u64::MAX)
}

thread_local! {
    /// Set while this thread closes spans: releases made meanwhile (the
    /// Registry path releasing a parent through the dispatcher) are queued
    /// for the loop that runs the close, instead of nesting.
    static CLOSING: Cell<bool> = const { Cell::new(false) };
    /// Releases queued while closing: (id, of the Registry path).
    static QUEUED: RefCell<Vec<(Id, bool)>> = const { RefCell::new(Vec::new()) };
}

/// Where a new span hangs, as napi-tracing knows its parent.
#[derive(Default)]
pub(crate) struct Parent {
    pub(crate) facts: Option<Facts>,
    /// The parent held open until the span closes: one napi-tracing keeps.
    pub(crate) held: Option<Id>,
    /// The parent's id on the Registry path.
    pub(crate) on_registry: Option<Id>,
}

impl Kept {
    /// This span as the parent of a new one, under `id` (its id in the
    /// subscriber that made it).
    fn as_parent(&self, id: &Id) -> Parent {
        Parent {
            facts: Some(self.rec.facts(id.into_u64())),
            held: None,
            on_registry: self.on_registry.clone(),
        }
    }
}

/// Span `id` of this subscriber as a parent, held open for its child when `hold`.
pub(crate) fn parent_of(id: &Id, hold: bool) -> Parent {
    let Some(kept) = spans().get(key(id)) else {
        return Parent::default();
    };
    let mut parent = kept.as_parent(id);
    if hold {
        kept.refs.fetch_add(1, Ordering::Relaxed);
        parent.held = Some(id.clone());
    }
    parent
}

/// Kept span `key`, known as `id` to the subscriber that made it (the
/// wrapped one), as a parent; it is not held.
pub(crate) fn parent_at(key: usize, id: &Id) -> Parent {
    spans()
        .get(key)
        .map_or_else(Parent::default, |kept| kept.as_parent(id))
}

/// napi-tracing's record of the new span `attrs` under `parent`, made at
/// `now`: its owner (whose layers have seen it, if it shows) and its span
/// on the Registry path, when the owner's layers run there.
pub(crate) fn make(attrs: &Attributes<'_>, parent: Parent, now: u64) -> Kept {
    let open = open_sessions::open_now();
    let (rec, owner) = router::new_span(&open, attrs, parent.facts.as_ref(), now);
    let on_registry = owner.filter(|o| o.on_registry_path()).map(|owner| {
        registry_path::new_span(attrs, parent.on_registry.as_ref(), owner, rec.visible)
    });
    Kept {
        rec,
        refs: AtomicUsize::new(1),
        parent: parent.held,
        on_registry,
    }
}

/// Keeps `kept`; its slab key (`None`: the slab is full, and `kept` dropped).
pub(crate) fn keep(kept: Kept) -> Option<usize> {
    spans().insert(kept)
}

/// Keeps `kept` as a span of this subscriber: its id.
pub(crate) fn keep_as_ours(kept: Kept) -> Id {
    keep(kept).map_or_else(unkept, id_of)
}

/// Kept span `key` was recorded into.
pub(crate) fn record_at(key: usize, values: &Record<'_>) {
    if let Some(kept) = spans().get(key) {
        router::on_record(&kept.rec, values);
        if let Some(on_registry) = &kept.on_registry {
            registry_path::record(on_registry, values);
        }
    }
}

/// Kept span `key`, known as `id`, was entered on this thread.
pub(crate) fn enter_at(key: usize, id: &Id) {
    if let Some(kept) = spans().get(key) {
        router::on_enter(&kept.rec, id.into_u64());
        if let Some(on_registry) = &kept.on_registry {
            registry_path::enter(on_registry);
        }
    }
}

/// Kept span `key`, known as `id`, exited on this thread.
pub(crate) fn exit_at(key: usize, id: &Id) {
    if let Some(kept) = spans().get(key) {
        router::on_exit(&kept.rec, id.into_u64());
        if let Some(on_registry) = &kept.on_registry {
            registry_path::exit(on_registry);
        }
    }
}

/// The id on the Registry path of kept span `key`.
pub(crate) fn on_registry_at(key: usize) -> Option<Id> {
    spans().get(key).and_then(|k| k.on_registry.clone())
}

/// Kept span `id` follows from kept span `follows` (both slab keys).
pub(crate) fn follows_from_at(id: usize, follows: usize) {
    if let (Some(id), Some(follows)) = (on_registry_at(id), on_registry_at(follows)) {
        registry_path::record_follows_from(&id, &follows);
    }
}

/// A new handle to span `id` of this subscriber.
pub(crate) fn clone_ours(id: &Id) -> Id {
    if let Some(kept) = spans().get(key(id)) {
        kept.refs.fetch_add(1, Ordering::Relaxed);
    }
    id.clone()
}

/// A handle to span `id` of this subscriber was dropped; whether it closed.
pub(crate) fn release_ours(id: Id) -> bool {
    release(id, false)
}

/// Kept span `key` closed in the subscriber that made it (the wrapped one).
pub(crate) fn close_at(key: usize) {
    release(id_of(key), false);
}

/// Hands `event` to its owner, under `parent` (its nearest span
/// napi-tracing knows), on the Registry path too when the owner's layers
/// run there.
pub(crate) fn event_under(event: &Event<'_>, parent: Parent, now: u64) {
    let open = open_sessions::open_now();
    if let Some(session) = router::on_event(&open, event, parent.facts, now) {
        if session.on_registry_path() {
            registry_path::event(event, parent.on_registry.as_ref(), session);
        }
    }
}

/// What this subscriber wants of callsite `meta`: the open sessions'
/// interest. Nothing listens: callsites cost one branch until a session
/// opens (opening one rebuilds this cache).
pub(crate) fn interest(meta: &'static Metadata<'static>) -> Interest {
    let open = open_sessions::open_now();
    registry_path::register_callsite(meta);
    let mut interest = Interest::never();
    for session in open.iter() {
        let wanted = session.filter.interest(meta);
        if wanted.is_sometimes() || (wanted.is_always() && interest.is_never()) {
            interest = wanted;
        }
        if interest.is_sometimes() {
            break;
        }
    }
    interest
}

/// Whether some open session's filter lets `meta` through now: asked for
/// callsites some filter decides per span, and while a callsite is being
/// registered on another thread.
pub(crate) fn enabled(meta: &Metadata<'_>) -> bool {
    !thread_info::muted() && registry_path::enabled(meta)
}

/// Runs the closes of `id` and of what its close releases, one after another.
fn release(first: Id, on_registry: bool) -> bool {
    let nested = CLOSING.with(|c| c.replace(true));
    if nested {
        // Called from inside a close on this thread: queued for its loop.
        QUEUED.with(|q| q.borrow_mut().push((first, on_registry)));
        return false;
    }
    let mut closed_first = None;
    let mut next = Some((first, on_registry));
    while let Some((id, on_registry)) = next {
        let closed = if on_registry {
            registry_path::try_close(id, dispatch())
        } else {
            close_kept(&id)
        };
        closed_first.get_or_insert(closed);
        next = QUEUED.with(|q| q.borrow_mut().pop());
    }
    CLOSING.with(|c| c.set(false));
    closed_first.unwrap_or(false)
}

/// Drops one reference to a span napi-tracing keeps; at the last one,
/// closes it and queues the release of its parent.
fn close_kept(id: &Id) -> bool {
    let Some(kept) = spans().get(key(id)) else {
        return false;
    };
    if kept.refs.fetch_sub(1, Ordering::Release) != 1 {
        return false;
    }
    fence(Ordering::Acquire);
    router::on_close(&kept.rec);
    QUEUED.with(|q| {
        let mut q = q.borrow_mut();
        if let Some(parent) = kept.parent.clone() {
            q.push((parent, false));
        }
        if let Some(on_registry) = kept.on_registry.clone() {
            q.push((on_registry, true));
        }
    });
    drop(kept);
    spans().remove(key(id));
    true
}

/// The addon's subscriber that napi-tracing traces through (wrapped by
/// `napi_tracing::wrap()`, or with `napi_tracing::layer()`), once it has one.
static WRAPPED: AtomicBool = AtomicBool::new(false);

fn wrapped_slot() -> &'static RwLock<Option<WeakDispatch>> {
    static SLOT: RwLock<Option<WeakDispatch>> = RwLock::new(None);
    &SLOT
}

/// Notes `dispatch` as the addon's subscriber that napi-tracing traces
/// through: where a JavaScript thread that napi-tracing's subscriber traces
/// scoped sends its spans and events from now on, so that the addon's own
/// output has them.
pub(crate) fn note_traced_through(dispatch: &Dispatch) {
    *write(wrapped_slot()) = Some(dispatch.downgrade());
    WRAPPED.store(true, Ordering::Release);
}

/// The addon's subscriber napi-tracing traces through, while it is alive.
fn wrapped() -> Option<Dispatch> {
    if !WRAPPED.load(Ordering::Acquire) {
        return None;
    }
    if let Some(alive) = read(wrapped_slot())
        .as_ref()
        .and_then(WeakDispatch::upgrade)
    {
        return Some(alive);
    }
    // Dropped (a scoped one, or one whose install was refused): no longer asked for.
    let mut slot = write(wrapped_slot());
    if slot.as_ref().and_then(WeakDispatch::upgrade).is_none() {
        *slot = None;
        WRAPPED.store(false, Ordering::Release);
    }
    None
}

/// napi-tracing's subscriber (all of its state is the addon's statics).
pub(crate) struct Core;

/// The one `Dispatch` of napi-tracing's subscriber in this addon.
pub(crate) fn dispatch() -> &'static Dispatch {
    static DISPATCH: OnceLock<Dispatch> = OnceLock::new();
    DISPATCH.get_or_init(|| Dispatch::new(Core))
}

impl Subscriber for Core {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        interest(meta)
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        match wrapped() {
            Some(wrapped) => wrapped.enabled(meta),
            None => enabled(meta),
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        open_sessions::max_level_hint()
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        if let Some(wrapped) = wrapped() {
            return wrapped.new_span(attrs);
        }
        let now = clock::now_ns();
        // The parent is held open until this span closes.
        let parent = if attrs.is_root() {
            Parent::default()
        } else if let Some(explicit) = attrs.parent() {
            parent_of(explicit, true)
        } else {
            match entered::current() {
                Some(current) => {
                    let id = Id::from_u64(current.id);
                    Parent {
                        facts: Some(current),
                        ..parent_of(&id, true)
                    }
                }
                None => Parent::default(),
            }
        };
        keep_as_ours(make(attrs, parent, now))
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        match wrapped().filter(|_| !is_ours(id)) {
            Some(wrapped) => wrapped.record(id, values),
            None => record_at(key(id), values),
        }
    }

    fn record_follows_from(&self, id: &Id, follows: &Id) {
        if let Some(wrapped) = wrapped() {
            return wrapped.record_follows_from(id, follows);
        }
        follows_from_at(key(id), key(follows));
    }

    fn event(&self, event: &Event<'_>) {
        if let Some(wrapped) = wrapped() {
            // The wrapped subscriber's `event_enabled`, then its `event`.
            return wrapped.event(event);
        }
        if thread_info::muted() {
            return;
        }
        let now = clock::now_ns();
        let parent = match event.parent() {
            Some(explicit) => parent_of(explicit, false),
            None if event.is_contextual() => match entered::current() {
                Some(current) => Parent {
                    facts: Some(current),
                    ..parent_of(&Id::from_u64(current.id), false)
                },
                None => Parent::default(),
            },
            None => Parent::default(),
        };
        event_under(event, parent, now);
    }

    fn enter(&self, id: &Id) {
        match wrapped().filter(|_| !is_ours(id)) {
            Some(wrapped) => wrapped.enter(id),
            None => enter_at(key(id), id),
        }
    }

    fn exit(&self, id: &Id) {
        match wrapped().filter(|_| !is_ours(id)) {
            Some(wrapped) => wrapped.exit(id),
            None => exit_at(key(id), id),
        }
    }

    fn clone_span(&self, id: &Id) -> Id {
        if !is_ours(id) {
            if let Some(wrapped) = wrapped() {
                return wrapped.clone_span(id);
            }
        }
        clone_ours(id)
    }

    fn try_close(&self, id: Id) -> bool {
        // While the Registry path closes one of its spans, the ids it
        // releases through the dispatcher are its own.
        let on_registry = registry_path::closing();
        if !on_registry && !is_ours(&id) {
            if let Some(wrapped) = wrapped() {
                return wrapped.try_close(id);
            }
        }
        release(id, on_registry)
    }

    fn current_span(&self) -> Current {
        match entered::current() {
            Some(current) if is_ours(&Id::from_u64(current.id)) => {
                let id = Id::from_u64(current.id);
                match spans().get(key(&id)) {
                    Some(kept) => Current::new(id, kept.rec.meta),
                    None => Current::none(),
                }
            }
            _ => wrapped().map_or_else(Current::none, |w| w.current_span()),
        }
    }

    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        // SAFETY: forwarded as is; the caller upholds downcast_raw's contract.
        unsafe { registry_path::downcast_raw(id) }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use crate::dispatch::filter::Filter;
    use crate::dispatch::session::{Parts, Session};
    use std::sync::Arc;

    fn open_session() -> Arc<Session> {
        open_session_with("trace")
    }

    /// A session with only `filter`, open (registered) on this addon.
    pub(crate) fn open_session_with(filter: &str) -> Arc<Session> {
        let parts = Parts {
            filter: Filter::parse(filter).unwrap(),
            trace: None,
            callback: None,
            registry_layers: Vec::new(),
            outputs: Vec::new(),
        };
        let session = Arc::new(Session::new(Session::next_id(), parts));
        open_sessions::register(session.clone());
        session
    }

    use crate::test_support::SERIAL;

    #[test]
    fn enabled_answers_as_the_filters_do_for_callsites_read_as_sometimes() {
        let _serial = crate::sync::lock(&SERIAL);
        // A callsite another thread is registering reads `sometimes`, and is
        // asked here: a filter that takes it whole must say yes.
        let on = open_session_with("t=info");
        assert!(Core.enabled(crate::test_support::meta()));
        open_sessions::unregister(&on);
        let off = open_session_with("t=warn");
        assert!(!Core.enabled(crate::test_support::meta()));
        open_sessions::unregister(&off);
    }

    #[test]
    fn spans_made_on_other_threads_under_a_parent_are_kept() {
        let _serial = crate::sync::lock(&SERIAL);
        let session = open_session();
        let dispatch = dispatch().clone();
        tracing_core::dispatcher::with_default(&dispatch, || {
            let parent = tracing::info_span!("parent");
            // All at once at a callsite no thread has met: while one thread
            // registers it, the others read its interest as `sometimes`.
            let start = std::sync::Barrier::new(8);
            std::thread::scope(|scope| {
                for n in 0..8 {
                    let parent = parent.clone();
                    let dispatch = dispatch.clone();
                    let start = &start;
                    scope.spawn(move || {
                        tracing_core::dispatcher::with_default(&dispatch, || {
                            start.wait();
                            let child = tracing::info_span!(parent: &parent, "child", n);
                            let id = child.id().expect("the child is enabled");
                            let kept = spans().get(key(&id)).expect("the child is kept");
                            assert!(
                                kept.rec.visible && kept.rec.owner != 0,
                                "child {n} is shown and owned"
                            );
                        })
                    });
                }
            });
        });
        open_sessions::unregister(&session);
    }
}
