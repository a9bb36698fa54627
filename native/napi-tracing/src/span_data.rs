//! What the router keeps in each span's extensions, and how a span or an
//! event finds the span it belongs under: read by the router and the layers.

use std::sync::atomic::AtomicBool;

use tracing_core::span::Id;
use tracing_core::Event;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::SpanRef;
use tracing_subscriber::Registry;

/// A span's identity in this crate and who owns it.
pub(crate) struct SpanData {
    /// Our own id: unlike tracing's, never reused within the process.
    pub(crate) uid: u64,
    /// The nearest visible ancestor's uid, 0 for none.
    pub(crate) parent_uid: u64,
    /// The id of the session that owns the span, 0 for none. An id rather
    /// than an `Arc`: no reference count shared by every thread is touched
    /// per span (see `sessions::open_now`).
    pub(crate) owner: u64,
    /// Whether the owner's filter lets this span through.
    pub(crate) visible: bool,
    /// Set when a record of this span was dropped for lack of room, so the
    /// span's later records are dropped too instead of arriving headless.
    pub(crate) lost: AtomicBool,
}

impl SpanData {
    /// The uid children should name as their parent.
    pub(crate) fn visible_uid(&self) -> u64 {
        if self.visible {
            self.uid
        } else {
            self.parent_uid
        }
    }
}

/// The span a new span or an event hangs under: the explicit parent, else
/// (for contextual ones) the span the thread is in.
pub(crate) fn parent_of<'a>(
    explicit: Option<&Id>,
    is_contextual: bool,
    ctx: &'a Context<'_, Registry>,
) -> Option<SpanRef<'a, Registry>> {
    match explicit {
        Some(id) => ctx.span(id),
        None if is_contextual => ctx.lookup_current(),
        None => None,
    }
}

/// Runs `f` on the span data of `id`, if the span has any.
pub(crate) fn with<R>(
    ctx: &Context<'_, Registry>,
    id: &Id,
    f: impl FnOnce(&SpanData) -> R,
) -> Option<R> {
    let span = ctx.span(id)?;
    let ext = span.extensions();
    ext.get::<SpanData>().map(f)
}

/// The parent's (owner id, visible uid), 0s when it has none of ours.
pub(crate) fn claim(parent: Option<SpanRef<'_, Registry>>) -> (u64, u64) {
    parent
        .and_then(|parent| {
            let ext = parent.extensions();
            ext.get::<SpanData>()
                .map(|data| (data.owner, data.visible_uid()))
        })
        .unwrap_or((0, 0))
}

/// The visible uid an event names as its parent, 0 for none.
pub(crate) fn event_parent_uid(event: &Event<'_>, ctx: &Context<'_, Registry>) -> u64 {
    claim(parent_of(event.parent(), event.is_contextual(), ctx)).1
}
