//! This addon's own `tracing` dispatcher, and the router that hands each span
//! to the session that owns it.
//!
//! Each cdylib links its own `tracing-core`, so the global default installed
//! here is this addon's alone: another addon in the same process has its own.
//! Inside one addon, several JavaScript threads (worker_threads) may each have
//! a session; the router keeps their spans apart:
//!
//! - a span started on a JavaScript thread with a session belongs to it;
//! - otherwise it belongs to its parent's session (work fanned out to threads);
//! - otherwise to the only open session, if there is exactly one.
//!
//! The router only picks the owner and delegates: the session (a `Layer`
//! itself) runs its filter and its layers.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Dispatch, Event, LevelFilter, Metadata};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

use crate::session::Session;
use crate::sessions;
use crate::span_data::{self, SpanData};
use crate::thread_info;

static UNATTRIBUTED: AtomicU64 = AtomicU64::new(0);

/// Spans and events that no session could claim (several sessions open and
/// no JavaScript thread or parent to decide between them).
pub(crate) fn unattributed() -> u64 {
    UNATTRIBUTED.load(Ordering::Relaxed)
}

/// Installs this addon's dispatcher once. Fails when the addon already set a
/// global default of its own.
pub(crate) fn install() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let subscriber = Registry::default().with(Router);
            tracing_core::dispatcher::set_global_default(Dispatch::new(subscriber)).map_err(|_| {
                "this addon already installed a global tracing subscriber of its own; \
                 napi-tracing needs to install the addon's global default. Remove the \
                 addon's own `set_global_default`/`init()` call, or configure those layers \
                 through Tracing.start() instead"
                    .to_owned()
            })
        })
        .clone()
}

/// Decides who owns a new span or an event, among the open sessions.
fn resolve_owner(open: &[Arc<Session>], parent_owner: u64) -> Option<&Session> {
    let claimed = sessions::this_thread().or((parent_owner != 0).then_some(parent_owner));
    let owner = match claimed {
        // A claim by a session that has ended is nobody's.
        Some(id) => sessions::find(open, id),
        None => match open {
            [only] => Some(&**only),
            _ => {
                UNATTRIBUTED.fetch_add(1, Ordering::Relaxed);
                None
            }
        },
    };
    owner.filter(|o| o.is_open())
}

/// A fresh uid. Taken in blocks per thread: one counter shared by every
/// thread, written per span, would move its cache line between cores.
fn next_uid() -> u64 {
    const BLOCK: u64 = 1024;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    RANGE
        .try_with(|range| {
            let (next, end) = range.get();
            if next < end {
                range.set((next + 1, end));
                next
            } else {
                let start = NEXT.fetch_add(BLOCK, Ordering::Relaxed);
                range.set((start + 1, start + BLOCK));
                start
            }
        })
        .unwrap_or_else(|_| NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `f` with the span's owner, when the owner is open and wants the
/// span's hooks (it shows the span, or its filter follows spans).
fn with_owner(ctx: &Context<'_, Registry>, id: &Id, f: impl FnOnce(&Session)) {
    let Some((owner, visible)) = span_data::with(ctx, id, |data| (data.owner, data.visible)) else {
        return;
    };
    if owner == 0 {
        return;
    }
    // No span lock is held here: layers may call into JavaScript, which may
    // create spans and so need the registry again.
    let open = sessions::open_now();
    if let Some(owner) = sessions::find(&open, owner).filter(|o| o.is_open()) {
        if visible || owner.filter_tracks_spans {
            f(owner);
        }
    }
}

/// The router: the only layer on this addon's registry.
pub(crate) struct Router;

impl Layer<Registry> for Router {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        let open = sessions::open_now();
        if open.is_empty() {
            // Nothing listens: callsites cost one branch until a session opens
            // (opening one rebuilds this cache).
            return Interest::never();
        }
        for s in open.iter() {
            // Lets the filter note callsites its dynamic directives match.
            let _ = <tracing_subscriber::EnvFilter as Layer<Registry>>::register_callsite(
                &s.filter, meta,
            );
        }
        Interest::sometimes()
    }

    fn enabled(&self, meta: &Metadata<'_>, ctx: Context<'_, Registry>) -> bool {
        if thread_info::muted() {
            return false;
        }
        // Whether any session wants it; the owner's own filter decides in
        // on_new_span / on_event, once the owner is known.
        sessions::open_now()
            .iter()
            .any(|s| s.filter.enabled(meta, ctx.clone()))
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        sessions::open_now()
            .iter()
            .map(|s| s.filter.max_level_hint().unwrap_or(LevelFilter::TRACE))
            .max()
            .or(Some(LevelFilter::OFF))
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = span_data::parent_of(attrs.parent(), attrs.is_contextual(), &ctx);
        let (parent_owner, parent_uid) = span_data::claim(parent);
        let open = sessions::open_now();
        let owner = resolve_owner(&open, parent_owner);
        let visible = owner.is_some_and(|o| o.filter.enabled(attrs.metadata(), ctx.clone()));
        span.extensions_mut().insert(SpanData {
            uid: next_uid(),
            parent_uid,
            owner: owner.map_or(0, |o| o.id),
            visible,
            lost: AtomicBool::new(false),
        });
        drop(span);
        if let Some(owner) = owner.filter(|o| visible || o.filter_tracks_spans) {
            owner.on_new_span(attrs, id, ctx);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        with_owner(&ctx, id, |owner| owner.on_record(id, values, ctx.clone()));
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, Registry>) {
        with_owner(&ctx, id, |owner| {
            owner.on_follows_from(id, follows, ctx.clone())
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        let parent = span_data::parent_of(event.parent(), event.is_contextual(), &ctx);
        let (parent_owner, _) = span_data::claim(parent);
        let open = sessions::open_now();
        if let Some(owner) = resolve_owner(&open, parent_owner) {
            owner.on_event(event, ctx);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, Registry>) {
        with_owner(&ctx, id, |owner| owner.on_enter(id, ctx.clone()));
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        with_owner(&ctx, id, |owner| owner.on_exit(id, ctx.clone()));
    }

    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        with_owner(&ctx, &id, |owner| owner.on_close(id.clone(), ctx.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::{register, unregister};
    use crate::sync::lock;
    use std::sync::Mutex;
    use tracing_subscriber::EnvFilter;

    /// Records the names of the spans its session receives.
    struct Names(Arc<Mutex<Vec<&'static str>>>);

    impl Layer<Registry> for Names {
        fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, Registry>) {
            lock(&self.0).push(attrs.metadata().name());
        }
    }

    /// The registry of sessions is process-wide: these tests take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn session(filter: &str) -> (Arc<Session>, Arc<Mutex<Vec<&'static str>>>) {
        let names = Arc::new(Mutex::new(Vec::new()));
        let layers: Vec<crate::layers::BoxedLayer> = vec![Box::new(Names(names.clone()))];
        let session = Session::new(
            Session::next_id(),
            EnvFilter::new(filter),
            filter.contains('['),
            layers,
            None,
            Vec::new(),
            None,
        );
        (Arc::new(session), names)
    }

    #[test]
    fn spans_go_to_their_parents_session_orphans_only_to_a_sole_session() {
        let _serial = lock(&SERIAL);
        install().unwrap();
        let (a, a_names) = session("trace");
        register(a.clone());
        // The only session claims spans with no other claim.
        tracing::info_span!("orphan_alone").in_scope(|| {});
        let parent = tracing::info_span!("parent_of_a");

        let (b, b_names) = session("trace");
        register(b.clone());
        let before = unattributed();
        // Two sessions, no parent, no JavaScript thread: nobody's.
        tracing::info_span!("orphan_between_two").in_scope(|| {});
        assert_eq!(unattributed(), before + 1);
        // A parent decides, from any thread.
        std::thread::spawn(move || {
            tracing::info_span!(parent: &parent, "child_of_a").in_scope(|| {
                tracing::info_span!("grandchild_of_a").in_scope(|| {});
            });
        })
        .join()
        .unwrap();

        unregister(&a);
        unregister(&b);
        assert_eq!(
            *a_names.lock().unwrap(),
            [
                "orphan_alone",
                "parent_of_a",
                "child_of_a",
                "grandchild_of_a"
            ]
        );
        assert!(b_names.lock().unwrap().is_empty());
    }

    #[test]
    fn a_closed_session_gets_nothing_more() {
        let _serial = lock(&SERIAL);
        install().unwrap();
        let (only, names) = session("trace");
        register(only.clone());
        let span = tracing::info_span!("opened_before_close");
        unregister(&only);
        span.in_scope(|| tracing::info_span!("child_after_close").in_scope(|| {}));
        assert_eq!(*names.lock().unwrap(), ["opened_before_close"]);
    }
}
