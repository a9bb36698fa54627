//! A session: one `Tracing.start()` on one JavaScript thread, and the layers
//! it asked for. Every span belongs to at most one session, which alone sees it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::layers::callback::Outbox;
use crate::layers::collect::SpanSums;
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
    /// The collect layer's sums and open spans, when there is one.
    pub(crate) sums: Option<Arc<SpanSums>>,
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
            sums: None,
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

/// Runs `f` over the open sessions of this addon.
pub(crate) fn with_open<R>(f: impl FnOnce(&[Arc<Session>]) -> R) -> R {
    f(&registry().read().unwrap_or_else(|e| e.into_inner()))
}

pub(crate) fn register(session: Arc<Session>) {
    registry()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push(session);
    // Callsites that were switched off while nothing listened must be asked again.
    tracing_core::callsite::rebuild_interest_cache();
}

pub(crate) fn unregister(session: &Session) {
    session.close();
    registry()
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|s| s.id != session.id);
    tracing_core::callsite::rebuild_interest_cache();
}

/// The session that owns spans with no other claim: the only open one.
/// With several (worker_threads), such spans cannot be attributed and are not
/// delivered to anyone rather than to the wrong one.
pub(crate) fn sole_open() -> Option<Arc<Session>> {
    with_open(|open| match open {
        [only] => Some(only.clone()),
        _ => None,
    })
}
