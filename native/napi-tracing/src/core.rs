//! napi-tracing's own subscriber: the addon's dispatcher when napi-tracing
//! takes the global default or traces a JavaScript thread scoped.
//!
//! It keeps every span itself, in a slab of [`SpanRecord`]s: its owner,
//! anchor and path are decided once, when the span is made (`router.rs`),
//! and each later hook goes straight to the owner's layers with the span's
//! record in hand. No `Registry`, no lookup per layer, no owner decided per
//! hook. Spans of a session whose layers need tracing-subscriber's Registry
//! (fmt, OpenTelemetry) are also made on the Registry path and their hooks
//! forwarded there (`registry_path.rs`).
//!
//! Closing never recurses per ancestor: a span holds its parent open (as
//! tracing's Registry does, so that a parent closes after its children),
//! and when it closes the parent is released in a loop, not a call inside
//! a call; the Registry path's own releases are queued the same way.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::OnceLock;

use sharded_slab::Slab;
use tracing_core::span::{Attributes, Current, Id, Record};
use tracing_core::subscriber::{Interest, Subscriber};
use tracing_core::{Event, LevelFilter, Metadata};

use crate::entered::{self, Facts};
use crate::session::Session;
use crate::span::SpanRecord;
use crate::{clock, registry_path, router, sessions, thread_info};

/// One span napi-tracing's subscriber keeps.
struct Kept {
    rec: SpanRecord,
    /// Handles to it (tracing's `Span`s and its children): it closes at 0.
    refs: AtomicUsize,
    /// The span it holds open: its parent, released when it closes.
    parent: Option<Id>,
    /// Its id on the Registry path, when its owner's layers run there.
    on_registry: Option<Id>,
}

fn spans() -> &'static Slab<Kept> {
    static SPANS: OnceLock<Slab<Kept>> = OnceLock::new();
    SPANS.get_or_init(Slab::new)
}

fn key(id: &Id) -> usize {
    id.into_u64() as usize - 1
}

fn id_of(key: usize) -> Id {
    Id::from_u64(key as u64 + 1)
}

thread_local! {
    /// Set while this thread closes spans: releases made meanwhile (the
    /// Registry path releasing a parent through the dispatcher) are queued
    /// for the loop that runs the close, instead of nesting.
    static CLOSING: Cell<bool> = const { Cell::new(false) };
    /// Releases queued while closing: (id, of the Registry path).
    static QUEUED: RefCell<Vec<(Id, bool)>> = const { RefCell::new(Vec::new()) };
}

/// napi-tracing's subscriber (all of its state is the addon's statics).
pub(crate) struct Core;

/// The one `Dispatch` of napi-tracing's subscriber in this addon.
pub(crate) fn dispatch() -> &'static tracing_core::Dispatch {
    static DISPATCH: OnceLock<tracing_core::Dispatch> = OnceLock::new();
    DISPATCH.get_or_init(|| tracing_core::Dispatch::new(Core))
}

impl Core {
    /// The facts of span `id`, keeping it open for a child (`hold`).
    fn facts(id: &Id, hold: bool) -> Option<Facts> {
        let kept = spans().get(key(id))?;
        if hold {
            kept.refs.fetch_add(1, Ordering::Relaxed);
        }
        Some(kept.rec.facts(id.into_u64()))
    }

    /// Runs the closes of `id` and of what its close releases, one after another.
    fn release(&self, first: Id, on_registry: bool) -> bool {
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
                self.close_kept(&id)
            };
            closed_first.get_or_insert(closed);
            next = QUEUED.with(|q| q.borrow_mut().pop());
        }
        CLOSING.with(|c| c.set(false));
        closed_first.unwrap_or(false)
    }

    /// Drops one reference to a span napi-tracing keeps; at the last one,
    /// closes it and queues the release of its parent.
    fn close_kept(&self, id: &Id) -> bool {
        let Some(kept) = spans().get(key(id)) else {
            return false;
        };
        if kept.refs.fetch_sub(1, Ordering::Release) != 1 {
            return false;
        }
        fence(Ordering::Acquire);
        if kept.rec.visible {
            let open = sessions::open_now();
            if let Some(owner) = sessions::find(&open, kept.rec.owner).filter(|s| s.is_open()) {
                owner.on_close(&kept.rec, clock::now_ns());
            }
        }
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

    /// The owner of a kept span, when it is open.
    fn with_owner<R>(kept: &Kept, f: impl FnOnce(&Session) -> R) -> Option<R> {
        if kept.rec.owner == 0 {
            return None;
        }
        let open = sessions::open_now();
        let owner = sessions::find(&open, kept.rec.owner).filter(|s| s.is_open())?;
        Some(f(owner))
    }
}

impl Subscriber for Core {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        let open = sessions::open_now();
        registry_path::register_callsite(meta);
        // Nothing listens: callsites cost one branch until a session opens
        // (opening one rebuilds this cache).
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

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        // Asked only for callsites some filter decides per span, and while a
        // callsite is being registered on another thread.
        !thread_info::muted() && registry_path::enabled(meta)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        sessions::max_level_hint()
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let now = clock::now_ns();
        // The parent is held open until this span closes.
        let (parent, held) = if attrs.is_root() {
            (None, None)
        } else if let Some(explicit) = attrs.parent() {
            (Core::facts(explicit, true), Some(explicit.clone()))
        } else {
            match entered::current() {
                Some(current) => {
                    let id = Id::from_u64(current.id);
                    let held = Core::facts(&id, true).map(|_| id);
                    (Some(current), held)
                }
                None => (None, None),
            }
        };
        let open = sessions::open_now();
        let (rec, owner) = router::new_span(&open, attrs, parent.as_ref(), now);
        let on_registry = owner.filter(|o| o.on_registry_path()).map(|owner| {
            let parent_here = held
                .as_ref()
                .and_then(|p| spans().get(key(p)))
                .and_then(|p| p.on_registry.clone());
            registry_path::new_span(attrs, parent_here.as_ref(), owner, rec.visible)
        });
        let kept = Kept {
            rec,
            refs: AtomicUsize::new(1),
            parent: held,
            on_registry,
        };
        match spans().insert(kept) {
            Some(key) => id_of(key),
            // The slab is full (millions of spans open at once): this one is
            // not kept, and its handle refers to nothing.
            None => Id::from_u64(u64::MAX),
        }
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        let Some(kept) = spans().get(key(id)) else {
            return;
        };
        if kept.rec.visible {
            Core::with_owner(&kept, |owner| owner.on_record(&kept.rec, values));
        }
        if let Some(on_registry) = &kept.on_registry {
            registry_path::record(on_registry, values);
        }
    }

    fn record_follows_from(&self, id: &Id, follows: &Id) {
        let here = |id: &Id| spans().get(key(id)).and_then(|k| k.on_registry.clone());
        if let (Some(id), Some(follows)) = (here(id), here(follows)) {
            registry_path::record_follows_from(&id, &follows);
        }
    }

    fn event(&self, event: &Event<'_>) {
        if thread_info::muted() {
            return;
        }
        let now = clock::now_ns();
        let (parent, parent_id) = match event.parent() {
            Some(explicit) => (Core::facts(explicit, false), Some(explicit.clone())),
            None if event.is_contextual() => {
                let current = entered::current();
                (current, current.map(|c| Id::from_u64(c.id)))
            }
            None => (None, None),
        };
        let open = sessions::open_now();
        let Some(owner) = router::owner(&open, parent.as_ref()) else {
            return;
        };
        let session = owner.session;
        if !router::shows(session, event.metadata(), open.len() == 1) {
            return;
        }
        let inherited = parent.filter(|p| p.owner == session.id);
        session.on_event(event, inherited.as_ref(), owner.on_js_thread, now);
        if session.on_registry_path() {
            let parent_here = parent_id
                .as_ref()
                .and_then(|p| spans().get(key(p)))
                .and_then(|p| p.on_registry.clone());
            registry_path::event(event, parent_here.as_ref(), session);
        }
    }

    fn enter(&self, id: &Id) {
        let Some(kept) = spans().get(key(id)) else {
            return;
        };
        let owner_times = kept.rec.visible
            && Core::with_owner(&kept, |owner| {
                owner.on_enter(&kept.rec);
                owner.times()
            })
            .unwrap_or(false);
        let start = if owner_times { clock::now_ns() } else { 0 };
        if start != 0 {
            kept.rec.note_poll(start);
        }
        entered::push(kept.rec.facts(id.into_u64()), start);
        if let Some(on_registry) = &kept.on_registry {
            registry_path::enter(on_registry);
        }
    }

    fn exit(&self, id: &Id) {
        let Some(kept) = spans().get(key(id)) else {
            return;
        };
        let now = clock::now_ns();
        let left = entered::pop(id.into_u64(), now);
        if kept.rec.visible {
            Core::with_owner(&kept, |owner| {
                let timed = left.as_ref().filter(|l| l.start != 0);
                owner.on_exit(&kept.rec, timed, now);
            });
        }
        if let Some(on_registry) = &kept.on_registry {
            registry_path::exit(on_registry);
        }
    }

    fn clone_span(&self, id: &Id) -> Id {
        if let Some(kept) = spans().get(key(id)) {
            kept.refs.fetch_add(1, Ordering::Relaxed);
        }
        id.clone()
    }

    fn try_close(&self, id: Id) -> bool {
        // While the Registry path closes one of its spans, the ids it
        // releases through the dispatcher are its own.
        let on_registry = registry_path::closing();
        self.release(id, on_registry)
    }

    fn current_span(&self) -> Current {
        match entered::current() {
            Some(current) => match spans().get(current.id as usize - 1) {
                Some(kept) => Current::new(Id::from_u64(current.id), kept.rec.meta),
                None => Current::none(),
            },
            None => Current::none(),
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
mod tests {
    use super::*;

    use crate::filter::Filter;
    use crate::session::Parts;
    use std::sync::Arc;

    fn open_session() -> Arc<Session> {
        open_session_with("trace")
    }

    fn open_session_with(filter: &str) -> Arc<Session> {
        let parts = Parts {
            filter: Filter::parse(filter).unwrap(),
            trace: None,
            callback: None,
            registry_layers: Vec::new(),
            outbox: None,
            outputs: Vec::new(),
        };
        let session = Arc::new(Session::new(Session::next_id(), parts));
        sessions::register(session.clone());
        session
    }

    /// Sessions are process-wide: these tests take turns.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn enabled_answers_as_the_filters_do_for_callsites_read_as_sometimes() {
        let _serial = crate::sync::lock(&SERIAL);
        // A callsite another thread is registering reads `sometimes`, and is
        // asked here: a filter that takes it whole must say yes.
        let on = open_session_with("t=info");
        assert!(Core.enabled(crate::test_support::meta()));
        sessions::unregister(&on);
        let off = open_session_with("t=warn");
        assert!(!Core.enabled(crate::test_support::meta()));
        sessions::unregister(&off);
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
        sessions::unregister(&session);
    }
}
