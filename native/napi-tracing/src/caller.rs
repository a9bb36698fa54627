//! Which JavaScript call made a span: the caller tag and trace track
//! JavaScript sets on its thread before calling into the addon
//! (`napiTracingCaller`). Off the JavaScript thread both stay 0.

use std::cell::Cell;

thread_local! {
    static CALLER: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
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
