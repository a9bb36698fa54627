//! A binding written the way many are: its logging set up once, from an
//! init function JavaScript calls, with a global filter that keeps only
//! warnings (`src/logging.rs`); `debug_span!`s on the JavaScript thread, in
//! `AsyncTask::compute` on the libuv pool and on a thread it spawns inside
//! a call; and `warn!`s, which its own subscriber prints to stdout.
#![deny(clippy::all)]

mod logging;

use std::thread;

use napi::bindgen_prelude::{AsyncTask, Env, Result, Task};
use napi_derive::napi;
use tracing::{debug_span, warn};

napi_tracing::export_tracing_api!();

/// Sets up the addon's logging, once per process (later calls do
/// nothing): `edit` is how its init line reads, `filter` which global
/// filter it has (see `src/logging.rs`).
#[napi]
pub fn init_logging(edit: String, filter: String) -> Result<()> {
    logging::init(&edit, &filter)
}

/// `steps` path steps, each a span.
fn walk(steps: u32) -> u32 {
    (0..steps)
        .map(|n| debug_span!("step", n).in_scope(|| n + 1))
        .sum()
}

/// Works on the calling (JavaScript) thread.
#[napi]
pub fn on_js_thread(steps: u32) -> u32 {
    let _span = debug_span!("on_js_thread", steps).entered();
    warn!(steps, "working on the JavaScript thread");
    walk(steps)
}

/// Works in `AsyncTask::compute`, on the libuv pool.
#[napi]
pub fn in_compute(steps: u32) -> AsyncTask<Compute> {
    AsyncTask::new(Compute {
        steps,
        caller: napi_tracing::caller(),
    })
}

/// Work for the libuv pool.
pub struct Compute {
    steps: u32,
    caller: napi_tracing::Caller,
}

impl Task for Compute {
    type Output = u32;
    type JsValue = u32;

    fn compute(&mut self) -> Result<u32> {
        let steps = self.steps;
        Ok(self.caller.in_scope(|| {
            let _span = debug_span!("in_compute", steps).entered();
            warn!(steps, "working on the libuv pool");
            walk(steps)
        }))
    }

    fn resolve(&mut self, _env: Env, output: u32) -> Result<u32> {
        Ok(output)
    }
}

/// Works on a thread it spawns, and joins it before returning.
#[napi]
pub fn on_spawned_thread(steps: u32) -> u32 {
    let caller = napi_tracing::caller();
    thread::Builder::new()
        .name("global-filter-worker".to_owned())
        .spawn(move || {
            caller.in_scope(|| {
                let _span = debug_span!("on_spawned_thread", steps).entered();
                warn!(steps, "working on a thread of its own");
                walk(steps)
            })
        })
        .expect("spawn a worker thread")
        .join()
        .unwrap_or_default()
}
