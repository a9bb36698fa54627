//! The JavaScript side of a session: the thread that started it, its
//! `napi_env`, and the TypeScript sink that decodes batches.
//!
//! Node-API handles belong to one thread, so this state is thread-local and
//! only touched on that thread. Node runs one env per thread (main thread or
//! worker), so "the session of this thread" is well defined.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, FunctionRef, ToNapiValue};
use napi::{sys, CleanupEnvHook, Env};

use crate::layers::callback::Outbox;
use crate::session::{self, Session};

pub(crate) type Sink = FunctionRef<Buffer, ()>;

pub(crate) struct JsThread {
    pub(crate) session: Arc<Session>,
    pub(crate) env: sys::napi_env,
    pub(crate) sink: Option<Rc<Sink>>,
    pub(crate) cleanup: Option<CleanupEnvHook<u64>>,
}

thread_local! {
    static CURRENT: RefCell<Option<JsThread>> = const { RefCell::new(None) };
    /// Set while a batch is in JavaScript: records made meanwhile (a layer
    /// calling back into the addon) join the queue and go out after it.
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
    /// The caller tag JavaScript set on this thread (see `record.rs`), and
    /// the trace track its spans go on (0: the thread's own).
    static CALLER: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
}

/// Tags the spans this thread creates from now on with `tag` (0: none),
/// and draws them on trace track `track` (0: the thread's own).
pub(crate) fn set_caller(tag: u32, track: u32) {
    let _ = CALLER.try_with(|c| c.set((tag, track)));
}

/// The caller tag of the calling thread.
pub(crate) fn caller() -> u32 {
    CALLER.try_with(Cell::get).map_or(0, |(tag, _)| tag)
}

/// The trace track JavaScript chose for the calling thread's spans, 0 for
/// the thread's own (always 0 off the JavaScript thread).
pub(crate) fn caller_track() -> u32 {
    CALLER.try_with(Cell::get).map_or(0, |(_, track)| track)
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

/// The id of the session started on this thread, if any.
pub(crate) fn current_session_id() -> Option<u64> {
    CURRENT
        .try_with(|c| {
            c.try_borrow()
                .ok()
                .and_then(|c| c.as_ref().map(|js| js.session.id))
        })
        .ok()
        .flatten()
}

pub(crate) fn has_session() -> bool {
    CURRENT
        .try_with(|c| c.try_borrow().map(|c| c.is_some()).unwrap_or(true))
        .unwrap_or(false)
}

pub(crate) fn install(js: JsThread) {
    CURRENT.with(|c| *c.borrow_mut() = Some(js));
}

/// Removes this thread's session state, if it is the session `id`.
pub(crate) fn take(id: Option<u64>) -> Option<JsThread> {
    CURRENT
        .try_with(|c| {
            let mut c = c.borrow_mut();
            match (&*c, id) {
                (Some(js), Some(id)) if js.session.id != id => None,
                _ => c.take(),
            }
        })
        .ok()
        .flatten()
}

/// After a record was queued: deliver now if this is the outbox's own
/// JavaScript thread, otherwise wake that thread.
pub(crate) fn deliver_or_wake(outbox: &Outbox) {
    let here = CURRENT
        .try_with(|c| {
            c.try_borrow().ok().is_some_and(|c| {
                c.as_ref()
                    .and_then(|js| js.session.outbox.as_deref())
                    .is_some_and(|own| std::ptr::eq(own, outbox))
            })
        })
        .unwrap_or(false);
    if !here {
        outbox.wake();
    } else if !DELIVERING.with(Cell::get) {
        drain();
    }
}

/// Hands everything queued for this thread's session to its sink, on this
/// thread, now. Records queued while JavaScript runs are picked up too.
pub(crate) fn drain() {
    let parts = CURRENT.with(|c| {
        let c = c.borrow();
        let js = c.as_ref()?;
        Some((js.env, js.sink.clone()?, js.session.outbox.clone()?))
    });
    let Some((raw_env, sink, outbox)) = parts else {
        return;
    };
    if DELIVERING.replace(true) {
        return;
    }
    let env = Env::from_raw(raw_env);
    if exception_pending(raw_env) {
        // Calling JavaScript now would swallow the exception the addon is
        // about to throw; deliver from the event loop instead.
        DELIVERING.set(false);
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
    DELIVERING.set(false);
}

fn exception_pending(env: sys::napi_env) -> bool {
    let mut pending = false;
    // SAFETY: called on the env's own thread with a valid out pointer.
    let status = unsafe { sys::napi_is_exception_pending(env, &mut pending) };
    status != sys::Status::napi_ok || pending
}

/// Calls the sink with one batch and returns Node-API's status. A thrown
/// exception is cleared here so it never surfaces inside the traced code.
fn call_sink(env: &Env, sink: &Sink, bytes: Vec<u8>) -> sys::napi_status {
    let raw = env.raw();
    let outcome = env.run_in_scope(|| {
        let func = sink.borrow_back(env)?;
        // SAFETY: all values are created and used on the env's own thread,
        // inside the handle scope opened by run_in_scope.
        unsafe {
            let func = ToNapiValue::to_napi_value(raw, func)?;
            // A copy that V8 owns: its size counts towards V8's heap, so
            // batches are collected as fast as they come (an external
            // buffer's memory would not prompt a collection).
            let mut arg = std::ptr::null_mut();
            let mut data = std::ptr::null_mut();
            let status = sys::napi_create_buffer_copy(
                raw,
                bytes.len(),
                bytes.as_ptr().cast(),
                &mut data,
                &mut arg,
            );
            drop(bytes);
            if status != sys::Status::napi_ok {
                return Ok(status);
            }
            let mut this = std::ptr::null_mut();
            sys::napi_get_undefined(raw, &mut this);
            let mut ret = std::ptr::null_mut();
            let status = sys::napi_call_function(raw, this, func, 1, &arg, &mut ret);
            if status == sys::Status::napi_pending_exception {
                let mut thrown = std::ptr::null_mut();
                sys::napi_get_and_clear_last_exception(raw, &mut thrown);
            }
            Ok(status)
        }
    });
    outcome.unwrap_or(sys::Status::napi_generic_failure)
}

/// Closes this thread's session without calling JavaScript: the env is being
/// torn down (a worker terminated, the process exiting).
pub(crate) fn teardown(id: u64) {
    if let Some(js) = take(Some(id)) {
        session::unregister(&js.session);
        // Files are finished even though JavaScript can no longer hear of it.
        js.session.close_outputs();
        if let Some(outbox) = &js.session.outbox {
            outbox.set_waker(None);
        }
        // The hook has already run, so it is not removed. The sink reference
        // is released while the env is still valid.
        drop(js.sink);
    }
}
