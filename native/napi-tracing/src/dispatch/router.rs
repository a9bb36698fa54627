//! Who owns a new span or an event, decided once, the record of a new span,
//! and what each later hook does with that record: the same rules whichever
//! subscriber made it (napi-tracing's own, the addon's through
//! `napi_tracing::layer()`, or the addon's wrapped by `napi_tracing::wrap()`).
//!
//! Each cdylib links its own `tracing-core`, so everything here is this
//! addon's alone: another addon in the same process has its own. Inside one
//! addon, several JavaScript threads (worker_threads) may each have a
//! session; their spans are kept apart:
//!
//! - a span made on a JavaScript thread with a session belongs to it;
//! - otherwise it belongs to its parent's session (work fanned out to threads);
//! - otherwise to the session whose caller the thread carries
//!   (`napi_tracing::Caller::in_scope`);
//! - otherwise to the only open session, if there is exactly one; with
//!   several it belongs to none and is counted as unattributed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing_core::span::{Attributes, Record};
use tracing_core::{Event, Metadata};

use crate::dispatch::call_context::{self, Cause};
use crate::dispatch::entered::{self, Facts};
use crate::dispatch::session::Session;
use crate::dispatch::span::{next_uid, LatestPoll, SpanState, TracedSpan};
use crate::protocol::Anchor;
use crate::{clock, dispatch::open_sessions, dispatch::registry_path, thread_info};

static UNATTRIBUTED: AtomicU64 = AtomicU64::new(0);

/// Spans and events that no session could claim (several sessions open and
/// no JavaScript thread, parent or carried caller to decide between them).
pub(crate) fn unattributed() -> u64 {
    UNATTRIBUTED.load(Ordering::Relaxed)
}

/// Who owns a span or event and how it is seen.
pub(crate) struct Owner<'a> {
    pub(crate) session: &'a Session,
    /// Whether it was made on the owner's own JavaScript thread.
    pub(crate) on_js_thread: bool,
    /// The anchor the thread carries for this session, if any.
    pub(crate) carried: Option<Anchor>,
    /// The slice the carried caller was taken in, if any.
    pub(crate) carried_cause: Option<Cause>,
}

/// Decides the owner among the open sessions.
pub(crate) fn owner<'a>(open: &'a [Arc<Session>], parent: Option<&Facts>) -> Option<Owner<'a>> {
    let this = open_sessions::this_thread();
    let carried = call_context::carried();
    let claimed = this
        .or(parent.map(|p| p.owner).filter(|&o| o != 0))
        .or(carried.map(|c| c.session));
    let session = match claimed {
        // A claim by a session that has ended is nobody's.
        Some(id) => open_sessions::find(open, id),
        None => match open {
            [only] => Some(&**only),
            [] => None,
            _ => {
                UNATTRIBUTED.fetch_add(1, Ordering::Relaxed);
                None
            }
        },
    }
    .filter(|s| s.is_open())?;
    let carried = carried.filter(|c| c.session == session.id);
    Some(Owner {
        on_js_thread: this == Some(session.id),
        carried: carried.map(|c| c.anchor),
        carried_cause: carried.and_then(|c| c.cause),
        session,
    })
}

/// The record of a new span `attrs` under `parent`, made at `now`, and its
/// owner. Its owner's layers have seen it when this returns, if it shows.
pub(crate) fn new_span<'a>(
    open: &'a [Arc<Session>],
    attrs: &Attributes<'_>,
    parent: Option<&Facts>,
    now: u64,
) -> (TracedSpan, Option<&'a Session>) {
    let meta: &'static Metadata<'static> = attrs.metadata();
    let owner = if thread_info::muted() {
        None
    } else {
        owner(open, parent)
    };
    let inherited = parent.filter(|p| owner.as_ref().is_some_and(|o| o.session.id == p.owner));
    let mut rec = TracedSpan {
        uid: next_uid(),
        meta,
        owner: owner.as_ref().map_or(0, |o| o.session.id),
        visible: false,
        parent_uid: inherited.map_or(0, |p| p.parent_uid),
        anchor: Anchor::default(),
        path: inherited.map_or(0, |p| p.path),
        created_on: thread_info::with_current(|t| t.tid),
        created_at: now,
        given_track: 0,
        local: None,
        cause: None,
        poll: LatestPoll::default(),
        state: Mutex::new(SpanState::default()),
    };
    let Some(owner) = owner else {
        return (rec, None);
    };
    let session = owner.session;
    rec.anchor = session.anchor(inherited, owner.on_js_thread, owner.carried);
    // What caused it: the parent's stay, or the slice its carried caller was taken in.
    rec.cause = match inherited {
        Some(parent) => parent.cause,
        None => owner.carried_cause,
    };
    rec.visible = shows(session, meta, open.len() == 1);
    if owner.on_js_thread {
        rec.given_track = u64::from(call_context::track());
    }
    if rec.visible {
        session.on_new_span(&mut rec, inherited, attrs);
    }
    (rec, Some(session))
}

/// Whether `session` shows spans and events of `meta`: decided per
/// callsite, or for a filter that decides per span, by the filter now.
pub(crate) fn shows(session: &Session, meta: &'static Metadata<'static>, sole: bool) -> bool {
    if session.filter.dynamic {
        registry_path::enabled_for(session, meta)
    } else {
        session.shows(meta, sole)
    }
}

/// The session that shows span `rec`, when it is still open.
fn shown_by<'a>(open: &'a [Arc<Session>], rec: &TracedSpan) -> Option<&'a Session> {
    if !rec.visible || rec.owner == 0 {
        return None;
    }
    open_sessions::find(open, rec.owner).filter(|s| s.is_open())
}

/// Span `rec` recorded `values`.
pub(crate) fn on_record(rec: &TracedSpan, values: &Record<'_>) {
    if rec.visible {
        let open = open_sessions::open_now();
        if let Some(owner) = shown_by(&open, rec) {
            owner.on_record(rec, values);
        }
    }
}

/// Span `rec`, known as `id` to the subscriber that made it, was entered
/// on this thread: it is the current span here until it exits.
pub(crate) fn on_enter(rec: &TracedSpan, id: u64) {
    let times = rec.visible && {
        let open = open_sessions::open_now();
        shown_by(&open, rec).is_some_and(|owner| {
            owner.on_enter(rec);
            owner.times()
        })
    };
    let start = if times { clock::now_ns() } else { 0 };
    if start != 0 {
        rec.note_poll(start);
    }
    entered::push(rec.facts(id), start);
}

/// Span `rec`, known as `id`, exited on this thread.
pub(crate) fn on_exit(rec: &TracedSpan, id: u64) {
    let now = clock::now_ns();
    let left = entered::pop(id, now);
    if rec.visible {
        let open = open_sessions::open_now();
        if let Some(owner) = shown_by(&open, rec) {
            owner.on_exit(rec, left.as_ref().filter(|l| l.start != 0), now);
        }
    }
}

/// Span `rec` closed.
pub(crate) fn on_close(rec: &TracedSpan) {
    if rec.visible {
        let open = open_sessions::open_now();
        if let Some(owner) = shown_by(&open, rec) {
            owner.on_close(rec, clock::now_ns());
        }
    }
}

/// Hands `event`, under `parent` (its nearest span napi-tracing knows), to
/// the session that owns it and shows it; returns that session.
pub(crate) fn on_event<'a>(
    open: &'a [Arc<Session>],
    event: &Event<'_>,
    parent: Option<Facts>,
    now: u64,
) -> Option<&'a Session> {
    if thread_info::muted() {
        return None;
    }
    let owner = owner(open, parent.as_ref())?;
    let session = owner.session;
    if !shows(session, event.metadata(), open.len() == 1) {
        return None;
    }
    let inherited = parent.filter(|p| p.owner == session.id);
    session.on_event(event, inherited.as_ref(), owner.on_js_thread, now);
    Some(session)
}
