//! `napi_tracing::caller()`: the JavaScript call some work belongs to,
//! carried into work napi-tracing cannot see started.
//!
//! napi-tracing attributes a span to the test whose call made it: spans
//! made on the JavaScript thread during the call, and spans under them on
//! any thread. A span made with no parent on another thread (in
//! `AsyncTask::compute` on a libuv thread, in a task spawned on tokio, on a
//! thread of the addon's own) has no such link, and is placed by time
//! alone. Take the caller in the `#[napi]` function and run the work in
//! its scope, and its spans are the call's, whatever the timing (the
//! addon's side: [`caller()`], [`Caller`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tracing_core::subscriber::NoSubscriber;
use tracing_core::Dispatch;

use crate::dispatch::call_context::{self, Carried};
use crate::dispatch::subscribers::own::dispatch;
use crate::{dispatch::entered, dispatch::install, dispatch::open_sessions};

/// The JavaScript call some work belongs to, taken with [`caller()`] and
/// carried into work napi-tracing cannot see started: its spans with no
/// parent are then the call's. Cheap to clone, `Send` and `Sync`.
///
/// For a thread of the addon's own, move it into the thread's closure:
///
/// ```no_run
/// let caller = napi_tracing::caller(); // in the #[napi] function, on the JavaScript thread
/// std::thread::spawn(move || {
///     caller.in_scope(|| tracing::info_span!("work").in_scope(|| { /* ... */ }))
/// });
/// ```
///
/// Outside a traced run (or in a release build without napi-tracing's entry
/// points) a caller carries nothing and costs nothing.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    carried: Option<Carried>,
    /// napi-tracing's dispatcher, when it is not every thread's default
    /// (scoped): the work's spans must reach it.
    dispatch: Option<Dispatch>,
}

/// The caller of the running call: on a traced JavaScript thread, the
/// call's own; on a thread that carries one, that one; else nothing.
///
/// Take it in the `#[napi]` function and run the work in its scope, here an
/// `AsyncTask`'s `compute` on a libuv thread:
///
/// ```no_run
/// use napi::bindgen_prelude::AsyncTask;
/// use napi::{Env, Task};
/// use napi_derive::napi;
///
/// pub struct Resolve {
///     path: String,
///     caller: napi_tracing::Caller,
/// }
///
/// #[napi]
/// pub fn resolve(path: String) -> AsyncTask<Resolve> {
///     AsyncTask::new(Resolve { path, caller: napi_tracing::caller() }) // on the JavaScript thread
/// }
///
/// impl Task for Resolve {
///     type Output = String;
///     type JsValue = String;
///
///     fn compute(&mut self) -> napi::Result<String> {
///         // On a libuv thread: the span is the call's, whenever it runs.
///         self.caller.in_scope(|| tracing::debug_span!("resolve").in_scope(|| Ok(self.path.to_uppercase())))
///     }
///
///     fn resolve(&mut self, _env: Env, output: String) -> napi::Result<String> {
///         Ok(output)
///     }
/// }
/// # fn main() {}
/// ```
pub fn caller() -> Caller {
    let carried = match open_sessions::this_thread() {
        Some(id) => {
            let open = open_sessions::open_now();
            open_sessions::find(&open, id).map(|session| {
                let current = entered::current().filter(|c| c.owner == id);
                Carried {
                    session: id,
                    anchor: session.anchor(current.as_ref(), true, None),
                    cause: current.and_then(|c| c.cause),
                }
            })
        }
        None => call_context::carried(),
    };
    let dispatch = (carried.is_some() && !install::holds_global()).then(|| dispatch().clone());
    Caller { carried, dispatch }
}

impl Caller {
    /// Runs `f` as work of this caller: spans made in it with no parent are
    /// the caller's.
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(carried) = self.carried else {
            return f();
        };
        // Restored however `f` ends: a runtime that catches a panicking
        // poll (tokio does) goes on polling other work on this thread.
        let _scope = Scope(call_context::carry(Some(carried)));
        // Only where the thread has no subscriber at all: one the addon
        // installed keeps the work's spans and events (and prints them as it
        // would untraced), and traces them through napi-tracing if it can.
        match &self.dispatch {
            Some(dispatch) if tracing_core::dispatcher::get_default(|d| d.is::<NoSubscriber>()) => {
                tracing_core::dispatcher::with_default(dispatch, f)
            }
            _ => f(),
        }
    }

    /// Whether this caller carries nothing (outside a traced run): work in
    /// its scope runs as it would without it.
    #[cfg(feature = "async-runtime")]
    pub(crate) fn is_empty(&self) -> bool {
        self.carried.is_none()
    }

    /// `future`, polled as work of this caller: each poll enters the
    /// caller's scope, on whichever thread polls it.
    ///
    /// ```no_run
    /// # async fn lookup(key: String) -> Option<String> { Some(key) }
    /// let caller = napi_tracing::caller(); // on the JavaScript thread
    /// let task = caller.carry(async move { lookup("key".to_owned()).await });
    /// // then spawn `task` on any runtime: tokio::spawn(task)
    /// # drop(task);
    /// ```
    pub fn carry<F: Future>(&self, future: F) -> Carry<F> {
        Carry {
            caller: self.clone(),
            future,
        }
    }
}

/// A carried scope on this thread; dropping it restores what it replaced.
struct Scope(Option<Carried>);

impl Drop for Scope {
    fn drop(&mut self) {
        call_context::restore(self.0);
    }
}

/// A future polled as work of a caller (see [`Caller::carry`]).
#[derive(Debug)]
pub struct Carry<F> {
    caller: Caller,
    future: F,
}

impl<F: Future> Future for Carry<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is pinned with `self` and never moved out of it;
        // `caller` is not structurally pinned (it is only read).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above: `future` stays where the pinned `self` put it.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        this.caller.in_scope(|| future.poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::*;
    use crate::protocol::Anchor;

    fn carrying(session: u64) -> Caller {
        Caller {
            carried: Some(Carried {
                session,
                anchor: Anchor::default(),
                cause: None,
            }),
            dispatch: None,
        }
    }

    #[test]
    fn a_scope_ends_with_its_work_also_when_the_work_panics() {
        let outer = carrying(1);
        outer.in_scope(|| {
            let inner = carrying(2);
            assert_eq!(
                inner.in_scope(|| call_context::carried().map(|c| c.session)),
                Some(2)
            );
            let panicked = catch_unwind(AssertUnwindSafe(|| inner.in_scope(|| panic!("work"))));
            assert!(panicked.is_err());
            assert_eq!(call_context::carried().map(|c| c.session), Some(1));
        });
        assert_eq!(call_context::carried(), None);
    }

    #[test]
    fn a_scope_keeps_any_subscriber_the_addon_installed() {
        use tracing_subscriber::layer::SubscriberExt;
        let mut caller = carrying(1);
        caller.dispatch = Some(dispatch().clone());
        let default_in_scope = || {
            caller.in_scope(|| {
                tracing_core::dispatcher::get_default(|d| {
                    (
                        d.is::<crate::dispatch::subscribers::own::Core>(),
                        d.downcast_ref::<crate::dispatch::subscribers::as_layer::LayerMarker>()
                            .is_some(),
                    )
                })
            })
        };
        // The addon's subscriber with the layer: kept, so its own layers see the work.
        let with_layer = Dispatch::new(tracing_subscriber::registry().with(crate::layer()));
        let kept = tracing_core::dispatcher::with_default(&with_layer, default_in_scope);
        assert_eq!(kept, (false, true));
        // Without the layer too: the addon's output of the work stays as it is untraced.
        let without = Dispatch::new(tracing_subscriber::registry());
        let kept = tracing_core::dispatcher::with_default(&without, default_in_scope);
        assert_eq!(kept, (false, false));
        // No subscriber at all on the thread: napi-tracing's own for the scope.
        assert_eq!(default_in_scope(), (true, false));
    }
}
