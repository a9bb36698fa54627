//! What real suites make an addon do: a long-lived object whose methods'
//! spans hang off its root span, a guard left entered, panics the addon
//! catches, and fields recorded after a span's last exit.

use std::thread;

use napi::bindgen_prelude::Result;
use napi_derive::napi;
use tracing::{field, info_span, Instrument, Span};

use crate::fibonacci;

/// A long-lived object, as a connection, an engine or a parser session is:
/// made once (in a `beforeAll`), its constructor makes a root span and each
/// method's span is a child of it, whichever test calls the method.
#[napi]
pub struct Connection {
    root: Span,
}

#[napi]
impl Connection {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Connection {
            root: info_span!("connection"),
        }
    }

    /// One `query` span under the connection's root, around `fibonacci(index)`.
    #[napi]
    pub fn query(&self, index: u32) -> f64 {
        info_span!(parent: &self.root, "query", index).in_scope(|| fibonacci(index, false))
    }

    /// `query` on a thread of its own, under the connection's root: the
    /// parent decides there.
    #[napi]
    pub fn query_on_thread(&self, index: u32) -> f64 {
        let root = self.root.clone();
        thread::spawn(move || {
            info_span!(parent: &root, "query_on_thread", index).in_scope(|| fibonacci(index, false))
        })
        .join()
        .unwrap_or(0.0)
    }
}

/// Enters a `forgotten` span and leaks its guard: it stays entered on this
/// thread, the contextual parent of every span made here afterwards.
#[napi]
pub fn enter_and_forget() {
    std::mem::forget(info_span!("forgotten").entered());
}

/// Panics inside `catch_unwind` and returns what it caught.
#[napi]
pub fn catch_a_panic() -> String {
    let caught = std::panic::catch_unwind(|| -> u32 { panic!("caught inside the addon") });
    message_of(caught.err())
}

/// A thread that panics, joined: its panic is returned as a value.
#[napi]
pub fn join_a_panicking_thread() -> String {
    let joined = thread::Builder::new()
        .name("panicking".into())
        .spawn(|| -> u32 { panic!("a thread's panic, joined") })
        .expect("spawn the thread")
        .join();
    message_of(joined.err())
}

/// Panics; napi catches it at the boundary and throws it to JavaScript.
#[napi(catch_unwind)]
pub fn panic_to_javascript() -> u32 {
    panic!("thrown to JavaScript")
}

/// Panics at napi's boundary, uncaught: the process aborts.
#[napi]
pub fn panic_uncaught() -> u32 {
    panic!("nobody catches this")
}

/// A tokio task that panics: its `JoinHandle` returns the panic as an error.
#[napi]
pub async fn await_a_panicking_task() -> Result<String> {
    let joined = napi::bindgen_prelude::spawn(async { panic!("a tokio task's panic") }).await;
    Ok(match joined {
        Ok(()) => "no panic".to_owned(),
        Err(error) => format!("task failed: panicked {}", error.is_panic()),
    })
}

fn message_of(payload: Option<Box<dyn std::any::Any + Send>>) -> String {
    match payload {
        Some(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default(),
        None => "no panic".to_owned(),
    }
}

/// A span whose `outcome` is recorded after its only stay ended, before it
/// closes (the work is timed, then judged).
#[napi]
pub fn record_after_exit(input: u32) -> u32 {
    let span = info_span!("judged", input, outcome = field::Empty);
    let doubled = span.in_scope(|| input * 2);
    span.record("outcome", if doubled > 10 { "big" } else { "small" });
    doubled
}

/// The same after `.instrument(span).await`: `outcome` is recorded once the
/// future is done.
#[napi]
pub async fn record_after_await(input: u32) -> u32 {
    let span = info_span!("awaited", input, outcome = field::Empty);
    let doubled = async { input * 2 }.instrument(span.clone()).await;
    span.record("outcome", doubled);
    doubled
}
