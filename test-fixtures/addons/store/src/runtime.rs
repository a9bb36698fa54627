//! With `STORE_RUNTIME=own`, the store registers a napi async runtime of
//! its own from its module init, as an addon with its own scheduling does:
//! napi's Tokio runtime, every future spawned on it as napi hands it over.

use std::future::Future;
use std::pin::Pin;

use napi::bindgen_prelude::{AsyncRuntime, AsyncRuntimeRejection, AsyncRuntimeTask};

struct OwnRuntime;

// SAFETY: it owns nothing: napi drains its Tokio runtime after `shutdown`.
unsafe impl AsyncRuntime for OwnRuntime {
    fn spawn(
        &self,
        task: AsyncRuntimeTask,
    ) -> std::result::Result<(), AsyncRuntimeRejection<AsyncRuntimeTask>> {
        drop(napi::bindgen_prelude::spawn(task));
        Ok(())
    }

    fn block_on(&self, future: Pin<&mut dyn Future<Output = ()>>) -> napi::Result<()> {
        napi::bindgen_prelude::block_on(future);
        Ok(())
    }

    fn shutdown(&self) -> napi::Result<()> {
        Ok(())
    }
}

#[napi_derive::module_init]
fn register_own_runtime() {
    if std::env::var("STORE_RUNTIME").as_deref() == Ok("own") {
        napi::bindgen_prelude::register_async_runtime(OwnRuntime);
    }
}
