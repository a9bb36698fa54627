//! Which JavaScript call a span belongs to: the caller tag and track
//! JavaScript sets on its thread before calling into the addon
//! (`napiTracingCaller`), the anchor a span is attributed by, and the
//! anchor a thread carries while it runs work a call started
//! (`napi_tracing::Caller::in_scope`), and the slice that caused work on
//! another thread (where the trace's causality flow starts).

use std::cell::Cell;

use crate::protocol::Anchor;

/// The slice work was caused from: one stay (poll) of a span, on the
/// track it was drawn on, entered on OS thread `tid`. A span made on
/// another thread than its cause gets a flow from this slice to its first
/// one, so a viewer draws the arrow from the call to the work it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cause {
    /// When the stay began (hrtime ns): the slice's start, which viewers bind the flow to.
    pub(crate) start: u64,
    pub(crate) track: u64,
    pub(crate) tid: u64,
}

/// The anchor a thread carries for a session: the session's id, the
/// anchor of the call that started the work, and the slice it was taken
/// in (if a span was entered there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Carried {
    pub(crate) session: u64,
    pub(crate) anchor: Anchor,
    pub(crate) cause: Option<Cause>,
}

thread_local! {
    static CALLER: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
    static CARRIED: Cell<Option<Carried>> = const { Cell::new(None) };
}

/// Tags the spans this thread creates from now on with `tag` (0: none),
/// and draws them on trace track `track` (0: the thread's own).
pub(crate) fn set(tag: u32, track: u32) {
    let _ = CALLER.try_with(|c| c.set((tag, track)));
}

/// The caller tag of the calling thread (0: none).
pub(crate) fn tag() -> u32 {
    CALLER.try_with(Cell::get).map_or(0, |(tag, _)| tag)
}

/// The trace track JavaScript chose for the calling thread's spans, 0 for
/// the thread's own.
pub(crate) fn track() -> u32 {
    CALLER.try_with(Cell::get).map_or(0, |(_, track)| track)
}

/// The anchor the calling thread carries, if it runs carried work.
pub(crate) fn carried() -> Option<Carried> {
    CARRIED.try_with(Cell::get).ok().flatten()
}

/// Makes `carried` the calling thread's until the returned value is given
/// back to [`restore`]: scopes nest.
pub(crate) fn carry(carried: Option<Carried>) -> Option<Carried> {
    CARRIED.try_with(|c| c.replace(carried)).ok().flatten()
}

/// Ends a scope begun by [`carry`], restoring what it returned.
pub(crate) fn restore(previous: Option<Carried>) {
    let _ = CARRIED.try_with(|c| c.set(previous));
}
