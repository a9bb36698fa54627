//! The JavaScript side of a session: the thread that started it, its
//! `napi_env`, and the TypeScript sink that decodes batches.
//!
//! Node-API handles belong to one thread, so this state is thread-local and
//! only touched on that thread. Node runs one env per thread (main thread or
//! worker), so "the session of this thread" is well defined. Thread-locals
//! are reached with `try_with`: during thread teardown they may be gone,
//! and tracing must then do nothing rather than panic.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, FunctionRef, ToNapiValue};
use napi::{sys, CleanupEnvHook, Env};
use tracing_core::dispatcher::DefaultGuard;

use crate::dispatch::install::{self, Mode};
use crate::dispatch::layers::outbox::Outbox;
use crate::dispatch::open_sessions;
use crate::dispatch::session::Session;

pub(crate) type Sink = FunctionRef<Buffer, ()>;

pub(crate) struct JsThread {
    pub(crate) session: Arc<Session>,
    pub(crate) env: sys::napi_env,
    pub(crate) sink: Option<Rc<Sink>>,
    pub(crate) cleanup: Option<CleanupEnvHook<u64>>,
    /// How the session reaches the addon's spans.
    pub(crate) mode: Mode,
    /// napi-tracing as this thread's default, in scoped mode.
    pub(crate) guard: Option<DefaultGuard>,
    /// What the session could not trace, and why, for the user.
    pub(crate) notes: Vec<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<JsThread>> = const { RefCell::new(None) };
    /// Set while a batch is in JavaScript: records made meanwhile (a layer
    /// calling back into the addon) join the queue and go out after it.
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
}

/// The session started on this thread, if any.
pub(crate) fn current_session() -> Option<Arc<Session>> {
    CURRENT
        .try_with(|c| {
            c.try_borrow()
                .ok()
                .and_then(|c| c.as_ref().map(|js| js.session.clone()))
        })
        .ok()
        .flatten()
}

/// In scoped mode, follows the addon if it installed its own subscriber
/// since (see `install::follow_scoped`); in layer mode, notes a wrapped one.
/// Called from JavaScript, outside any dispatch.
pub(crate) fn follow_subscriber() {
    let _ = CURRENT.try_with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else {
            return;
        };
        let Some(js) = c.as_mut() else { return };
        if js.mode == Mode::Layer && install::wrapped_now() {
            // The addon installed a wrapped subscriber: traced through it.
            js.mode = Mode::Wrap;
        }
        if js.mode != Mode::Scoped || js.guard.is_none() {
            return;
        }
        if let Some((mode, note)) = install::follow_scoped(&mut js.guard) {
            js.mode = mode;
            // The addon installed its subscriber: waiting for a wrapped one is over;
            // traced through it, the advice to change it is moot.
            let moot = matches!(mode, Mode::Layer | Mode::Wrap);
            js.notes
                .retain(|n| n != install::WRAP_NOT_YET && !(moot && n == install::SCOPED_FOR_INIT));
            js.notes.extend(note);
        }
    });
}

/// How this thread's session reaches the spans, and its notes.
pub(crate) fn mode_and_notes() -> Option<(Mode, Vec<String>)> {
    CURRENT
        .try_with(|c| {
            c.try_borrow()
                .ok()
                .and_then(|c| c.as_ref().map(|js| (js.mode, js.notes.clone())))
        })
        .ok()
        .flatten()
}

/// Whether this thread has started a session (or is busy with its state).
pub(crate) fn has_session() -> bool {
    CURRENT
        .try_with(|c| c.try_borrow().map(|c| c.is_some()).unwrap_or(true))
        .unwrap_or(false)
}

/// Makes `js` this thread's session state.
pub(crate) fn install(js: JsThread) {
    let id = js.session.id;
    let installed = CURRENT.try_with(|c| *c.borrow_mut() = Some(js)).is_ok();
    if installed {
        open_sessions::set_this_thread(id);
    }
}

/// Removes this thread's session state, if it is the session `id`.
pub(crate) fn take(id: Option<u64>) -> Option<JsThread> {
    let taken = CURRENT
        .try_with(|c| {
            let mut c = c.borrow_mut();
            match (&*c, id) {
                (Some(js), Some(id)) if js.session.id != id => None,
                _ => c.take(),
            }
        })
        .ok()
        .flatten();
    if taken.is_some() {
        open_sessions::set_this_thread(0);
    }
    taken
}

/// After a record was queued: deliver now if this is the outbox's own
/// JavaScript thread, otherwise wake that thread.
pub(crate) fn deliver_or_wake(outbox: &Outbox) {
    let here = CURRENT
        .try_with(|c| {
            c.try_borrow().ok().is_some_and(|c| {
                c.as_ref()
                    .and_then(|js| js.session.outbox().map(|o| &**o))
                    .is_some_and(|own| std::ptr::eq(own, outbox))
            })
        })
        .unwrap_or(false);
    if !here {
        outbox.wake();
    } else if !DELIVERING.try_with(Cell::get).unwrap_or(true) {
        drain();
    }
}

/// Hands everything queued for this thread's session to its sink, on this
/// thread, now. Records queued while JavaScript runs are picked up too.
pub(crate) fn drain() {
    let parts = CURRENT
        .try_with(|c| {
            let c = c.try_borrow().ok()?;
            let js = c.as_ref()?;
            Some((js.env, js.sink.clone()?, js.session.outbox()?.clone()))
        })
        .ok()
        .flatten();
    let Some((raw_env, sink, outbox)) = parts else {
        return;
    };
    if DELIVERING.try_with(|d| d.replace(true)).unwrap_or(true) {
        return;
    }
    let env = Env::from_raw(raw_env);
    if exception_pending(raw_env) {
        // Calling JavaScript now would swallow the exception the addon is
        // about to throw; deliver from the event loop instead.
        let _ = DELIVERING.try_with(|d| d.set(false));
        outbox.wake();
        return;
    }
    while let Some(batch) = outbox.take() {
        let records = batch.records;
        let status = call_sink(&env, &sink, batch.bytes);
        // A sink that threw still received the batch (the TypeScript sink
        // reports its own errors). Any other failure means JavaScript cannot
        // run here, e.g. during teardown: the batch is counted as dropped.
        let delivered = matches!(
            status,
            sys::Status::napi_ok | sys::Status::napi_pending_exception
        );
        outbox.settle(records, delivered);
        if !delivered {
            break;
        }
    }
    let _ = DELIVERING.try_with(|d| d.set(false));
}

fn exception_pending(env: sys::napi_env) -> bool {
    let mut pending = false;
    // SAFETY: called on the env's own thread (this module's state is
    // thread-local to it) with a valid out pointer.
    let status = unsafe { sys::napi_is_exception_pending(env, &mut pending) };
    status != sys::Status::napi_ok || pending
}

/// Calls the sink with one batch and returns Node-API's status. A thrown
/// exception is cleared here so it never surfaces inside the traced code.
fn call_sink(env: &Env, sink: &Sink, bytes: Vec<u8>) -> sys::napi_status {
    let raw = env.raw();
    let outcome = env.run_in_scope(|| {
        let func = sink.borrow_back(env)?;
        // SAFETY: `raw` is this thread's env; the value is created inside the
        // handle scope run_in_scope opened, and used only within it.
        let func = unsafe { ToNapiValue::to_napi_value(raw, func)? };
        // A copy that V8 owns: its size counts towards V8's heap, so batches
        // are collected as fast as they come (an external buffer's memory
        // would not prompt a collection).
        let mut arg = std::ptr::null_mut();
        let mut data = std::ptr::null_mut();
        // SAFETY: `bytes` is valid for `bytes.len()` bytes and V8 copies them
        // before returning; both out pointers are valid.
        let status = unsafe {
            sys::napi_create_buffer_copy(
                raw,
                bytes.len(),
                bytes.as_ptr().cast(),
                &mut data,
                &mut arg,
            )
        };
        drop(bytes);
        if status != sys::Status::napi_ok {
            return Ok(status);
        }
        let mut this = std::ptr::null_mut();
        // SAFETY: a valid out pointer on the env's thread.
        let status = unsafe { sys::napi_get_undefined(raw, &mut this) };
        if status != sys::Status::napi_ok {
            return Ok(status);
        }
        let mut ret = std::ptr::null_mut();
        // SAFETY: `func` is a function value and `arg` a buffer, both created
        // in this handle scope; `&arg` points at the one argument.
        let status = unsafe { sys::napi_call_function(raw, this, func, 1, &arg, &mut ret) };
        if status == sys::Status::napi_pending_exception {
            let mut thrown = std::ptr::null_mut();
            // SAFETY: a valid out pointer; an exception is pending, as checked.
            let cleared = unsafe { sys::napi_get_and_clear_last_exception(raw, &mut thrown) };
            if cleared != sys::Status::napi_ok {
                // Still pending: it must not surface in the traced code, and
                // the batch did not reach a sink that could report it.
                return Ok(cleared);
            }
        }
        Ok(status)
    });
    outcome.unwrap_or(sys::Status::napi_generic_failure)
}

/// Closes this thread's session without calling JavaScript: the env is being
/// torn down (a worker terminated, the process exiting).
pub(crate) fn teardown(id: u64) {
    if let Some(js) = take(Some(id)) {
        open_sessions::unregister(&js.session);
        crate::js::crash::unwatch(js.session.id);
        // Files are finished even though JavaScript can no longer hear of it.
        js.session.close_outputs();
        if let Some(outbox) = js.session.outbox() {
            outbox.set_waker(None);
        }
        // The hook has already run, so it is not removed. The sink reference
        // is released while the env is still valid.
        drop(js.sink);
    }
}
