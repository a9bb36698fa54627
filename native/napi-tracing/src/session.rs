//! A session: one `Tracing.start()` on one JavaScript thread, and the layers
//! it asked for. Every span belongs to at most one session, which alone sees it.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::layers::callback::Outbox;
use crate::layers::collect::Collection;
use crate::layers::{Closed, Output};

/// A layer stack that receives only its session's spans.
pub(crate) type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

pub(crate) struct Session {
    pub(crate) id: u64,
    pub(crate) filter: EnvFilter,
    /// Whether the filter has span directives (`target[span{field}]=level`),
    /// the only ones that need to follow spans being entered and exited:
    /// without them the router skips the filter's span hooks.
    pub(crate) filter_tracks_spans: bool,
    pub(crate) layers: Vec<BoxedLayer>,
    /// Present when records go to JavaScript (a callback or collect layer).
    pub(crate) outbox: Option<Arc<Outbox>>,
    /// Files and exporters to flush and close with the session.
    pub(crate) outputs: Vec<Box<dyn Output>>,
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
    ) -> Session {
        Session {
            id,
            filter,
            filter_tracks_spans,
            layers,
            outbox,
            outputs,
            collection: None,
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
}

fn registry() -> &'static RwLock<Vec<Arc<Session>>> {
    static OPEN: OnceLock<RwLock<Vec<Arc<Session>>>> = OnceLock::new();
    OPEN.get_or_init(Default::default)
}

/// Bumped (under the registry's write lock) whenever a session opens or
/// closes: tells threads their copy of the open sessions is out of date.
static GENERATION: AtomicU64 = AtomicU64::new(1);

type Snapshot = Rc<[Arc<Session>]>;

thread_local! {
    /// This thread's copy of the open sessions and the generation it is of.
    /// Every span and event asks who is open; a copy per thread answers
    /// with one shared read of `GENERATION` instead of a lock (and so no
    /// cache line written by every thread, per span). A copy keeps the
    /// sessions in it alive until its thread traces again while a session
    /// is open: at most one stale copy per thread, and a closed session
    /// holds little (its outputs are closed and their buffers let go).
    static SNAPSHOT: RefCell<(u64, Snapshot)> = RefCell::new((0, Rc::from([])));
}

/// The open sessions of this addon.
pub(crate) fn open_now() -> Snapshot {
    let generation = GENERATION.load(Ordering::Acquire);
    let fresh = || -> Snapshot {
        Rc::from(
            registry()
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .as_slice(),
        )
    };
    SNAPSHOT
        .try_with(|cell| {
            let Ok(mut snapshot) = cell.try_borrow_mut() else {
                return fresh();
            };
            if snapshot.0 != generation {
                *snapshot = (generation, fresh());
            }
            snapshot.1.clone()
        })
        .unwrap_or_else(|_| fresh())
}

/// Runs `f` over the open sessions of this addon.
pub(crate) fn with_open<R>(f: impl FnOnce(&[Arc<Session>]) -> R) -> R {
    f(&open_now())
}

pub(crate) fn register(session: Arc<Session>) {
    {
        let mut open = registry().write().unwrap_or_else(|e| e.into_inner());
        open.push(session);
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    // Callsites that were switched off while nothing listened must be asked again.
    tracing_core::callsite::rebuild_interest_cache();
}

pub(crate) fn unregister(session: &Session) {
    session.close();
    {
        let mut open = registry().write().unwrap_or_else(|e| e.into_inner());
        open.retain(|s| s.id != session.id);
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    tracing_core::callsite::rebuild_interest_cache();
}
