//! The addon's napi async runtime, with each future carrying its caller
//! (the `async-runtime` feature, napi 3.11 or later).
//!
//! napi runs the future of every `#[napi] async fn` (and of
//! `Env::spawn_future`) on the backend registered for the addon image: it
//! hands it to [`AsyncRuntime::spawn`] on the JavaScript thread, inside the
//! call. The calling test is known there, and not on the Tokio worker that
//! polls the future, where a span with no parent would be placed by time.
//! So the backend takes the caller in `spawn` and enters it at each poll
//! ([`Caller::carry`](crate::Caller::carry)): the future's spans are its
//! call's, with no line of the addon's changed.
//!
//! Everything else stays napi's. The futures run on napi's own Tokio
//! runtime, the one napi runs them on without a backend: built by napi
//! when first used (or the runtime the addon gave
//! `create_custom_tokio_runtime`), drained by napi right after this
//! backend's `shutdown`, built again before its `start`. Outside a traced
//! run the caller is empty and the future is spawned as it is.
//!
//! napi allows one backend per addon image, registered before napi starts
//! the runtime for the first environment, and keeps the first of two. An
//! addon may register one of its own, from a library constructor
//! (`#[module_init]`, as napi says to); registered from one of ours, the
//! backend would win or lose by the order the linker gave the two, and
//! winning breaks every async call of the addon (napi rejects them with its
//! duplicate-registration error). So `export_tracing_api!()`'s constructor
//! only asks napi to call [`export`] when it registers the module: in the
//! first environment that runs after every constructor, and before napi
//! starts the runtime. The addon's own backend, if any, is then always the
//! one napi keeps, and [`note`] says why the futures are not carried.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use napi::bindgen_prelude::{AsyncRuntime, AsyncRuntimeRejection, AsyncRuntimeTask, ToNapiValue};

use crate::dispatch::caller::caller;

/// The backend: napi's Tokio runtime, each task carrying its caller.
struct CarryingTokio;

// SAFETY: this backend owns no thread, task or callback: every future and
// closure goes to napi's own Tokio runtime, which napi keeps the addon
// image loaded for and drains right after `shutdown` returns, exactly as
// it does for `#[napi] async fn`s with no backend registered.
unsafe impl AsyncRuntime for CarryingTokio {
    fn spawn(
        &self,
        task: AsyncRuntimeTask,
    ) -> std::result::Result<(), AsyncRuntimeRejection<AsyncRuntimeTask>> {
        let caller = caller();
        // The handles are dropped: the task settles its promise itself.
        if caller.is_empty() {
            drop(napi::bindgen_prelude::spawn(task));
        } else {
            drop(napi::bindgen_prelude::spawn(caller.carry(task)));
        }
        Ok(())
    }

    fn block_on(&self, future: Pin<&mut dyn Future<Output = ()>>) -> napi::Result<()> {
        napi::bindgen_prelude::block_on(future);
        Ok(())
    }

    fn shutdown(&self) -> napi::Result<()> {
        // Nothing of its own to stop: napi drains its Tokio runtime next.
        Ok(())
    }

    fn spawn_blocking(
        &self,
        work: Box<dyn FnOnce() + Send + 'static>,
    ) -> std::result::Result<(), AsyncRuntimeRejection<Box<dyn FnOnce() + Send + 'static>>> {
        let caller = caller();
        drop(napi::bindgen_prelude::spawn_blocking(move || {
            caller.in_scope(work)
        }));
        Ok(())
    }
}

/// Why napi refused the backend, once registration was tried (`None`:
/// it runs the addon's async fns).
static REFUSED: OnceLock<Option<String>> = OnceLock::new();

/// napi's reason for a second registration (it keeps the first).
const DUPLICATE: &str = "more than once";

/// Has napi register the backend when it registers the module in the
/// first environment. Called from the module init `export_tracing_api!()`
/// adds (a library constructor: it must not panic).
#[doc(hidden)]
pub fn register_with_module() {
    napi::bindgen_prelude::register_module_export(None, "napiTracingAsyncRuntime\0", export);
}

/// The module's `napiTracingAsyncRuntime` export: whether napi-tracing's
/// runtime runs the addon's async fns. Made when napi registers the module
/// in an environment; the first time, it registers the backend.
///
/// # Safety
///
/// `env` is the environment napi registers the module in.
unsafe fn export(env: napi::sys::napi_env) -> napi::Result<napi::sys::napi_value> {
    let refused = REFUSED.get_or_init(|| {
        napi::bindgen_prelude::try_register_async_runtime(CarryingTokio)
            .err()
            .map(|error| error.reason.clone())
    });
    // SAFETY: napi calls this with the live environment it registers the
    // module in, on that environment's thread.
    unsafe { ToNapiValue::to_napi_value(env, refused.is_none()) }
}

/// What a session says when napi refused the backend: its async fns' spans
/// made on other threads with no parent are placed by time.
pub(crate) fn note() -> Option<String> {
    let reason = REFUSED.get()?.as_deref()?;
    let consequence = "so the spans its #[napi] async fns make on other threads with no parent \
         are placed by time";
    Some(if reason.contains(DUPLICATE) {
        format!(
            "napi refused napi-tracing's async runtime (\"{reason}\"): the addon registers an \
             AsyncRuntime of its own, which napi keeps, {consequence}. Turn napi-tracing's \
             async-runtime feature off and carry the caller in that runtime's spawn instead \
             (napi_tracing::caller().carry(task))"
        )
    } else {
        format!(
            "napi refused napi-tracing's async runtime (\"{reason}\"), {consequence}: this napi \
             closes registration before napi-tracing registers it (when the first environment \
             registers the module); please report it, and carry the caller meanwhile \
             (napi_tracing::caller(), see vitest-napi-tracing's docs/addon.md)"
        )
    })
}
