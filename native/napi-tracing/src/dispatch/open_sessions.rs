//! Which sessions of this addon are open, each thread's copy of that list,
//! and which session (if any) the calling JavaScript thread started.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use crate::dispatch::session::Session;
use crate::sync::{read, write};

fn registry() -> &'static RwLock<Vec<Arc<Session>>> {
    static OPEN: OnceLock<RwLock<Vec<Arc<Session>>>> = OnceLock::new();
    OPEN.get_or_init(Default::default)
}

/// Bumped (under the registry's write lock) whenever a session opens or
/// closes: tells threads their copy of the open sessions is out of date.
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// How many sessions are open (changed under the registry's write lock).
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// The open sessions, as one thread last copied them.
pub(crate) type Snapshot = Rc<[Arc<Session>]>;

thread_local! {
    /// This thread's copy of the open sessions and the generation it is of.
    /// Every span and event asks who is open; a copy per thread answers
    /// with one shared read of `GENERATION` instead of a lock (and so no
    /// cache line written by every thread, per span). A copy keeps the
    /// sessions in it alive until its thread traces again while a session
    /// is open: at most one stale copy per thread, and a closed session
    /// holds little (its outputs are closed and their buffers let go).
    static SNAPSHOT: RefCell<(u64, Snapshot)> = RefCell::new((0, Rc::from([])));
    /// The id of the session this (JavaScript) thread started, 0 for none.
    static THIS_THREAD: Cell<u64> = const { Cell::new(0) };
}

/// The open sessions of this addon.
pub(crate) fn open_now() -> Snapshot {
    let generation = GENERATION.load(Ordering::Acquire);
    let fresh = || -> Snapshot { Rc::from(read(registry()).as_slice()) };
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

/// Whether any session is open: one shared read, for hooks that do
/// nothing else when none is.
pub(crate) fn any_open() -> bool {
    OPEN.load(Ordering::Acquire) != 0
}

/// The open session with id `id`.
pub(crate) fn find(open: &[Arc<Session>], id: u64) -> Option<&Session> {
    open.iter().find(|s| s.id == id).map(|s| &**s)
}

/// Opens `session`.
pub(crate) fn register(session: Arc<Session>) {
    {
        let mut open = write(registry());
        open.push(session);
        OPEN.store(open.len(), Ordering::Release);
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    // Callsites that were switched off while nothing listened must be asked again.
    tracing_core::callsite::rebuild_interest_cache();
}

/// Closes `session`.
pub(crate) fn unregister(session: &Session) {
    session.close();
    {
        let mut open = write(registry());
        open.retain(|s| s.id != session.id);
        OPEN.store(open.len(), Ordering::Release);
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    tracing_core::callsite::rebuild_interest_cache();
}

/// Notes `id` (0: none) as the session the calling JavaScript thread started.
pub(crate) fn set_this_thread(id: u64) {
    let _ = THIS_THREAD.try_with(|t| t.set(id));
}

/// The id of the session the calling thread started, if any.
pub(crate) fn this_thread() -> Option<u64> {
    THIS_THREAD.try_with(Cell::get).ok().filter(|&id| id != 0)
}

/// The most verbose level any open session may want. While one is open,
/// every level: `tracing`'s macros skip a callsite below the hint before it
/// is even registered, and a filter must see (and turn off) each callsite
/// the addon meets to say, when it shows no span, which ones it hid. A
/// callsite turned off costs one check of its cached interest.
pub(crate) fn max_level_hint() -> Option<tracing_core::LevelFilter> {
    Some(if open_now().is_empty() {
        tracing_core::LevelFilter::OFF
    } else {
        tracing_core::LevelFilter::TRACE
    })
}
