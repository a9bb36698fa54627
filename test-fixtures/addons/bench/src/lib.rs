//! The benchmark addon (`npm run bench`): span workloads of known shapes,
//! traced through napi-tracing (`make_spans`), under tracing-chrome alone
//! (`chrome_alone`), the native reference the TypeScript paths are held to,
//! or under tracing-subscriber's `Registry` with a layer that does nothing
//! (`floor`), what any tracing-subscriber setup pays; and that same
//! subscriber wrapped by `napi_tracing::wrap()` (`wrapped`), as an addon
//! with its own logging runs it.
#![deny(clippy::all)]

use std::fs::File;
use std::hint::black_box;
use std::thread;
use std::time::Instant;

use napi::{Error, Result, Status};
use napi_derive::napi;
use tracing::{info, info_span, Dispatch, Subscriber};
use tracing_chrome::ChromeLayerBuilder;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::{EnvFilter, Registry};

napi_tracing::export_tracing_api!();

/// Spans per chain in the `nested` shape.
const DEPTH: u32 = 8;

#[derive(Clone, Copy)]
enum Shape {
    /// `info_span!("span").in_scope(..)`, one after another.
    Flat,
    /// Chains of `DEPTH` spans, each inside the previous one.
    Nested,
    /// Spans with three fields: a u64, a &str and a bool.
    Fields,
    /// Spans with one `info!` event (one field) inside each.
    Events,
}

impl Shape {
    fn parse(shape: &str) -> Result<Shape> {
        match shape {
            "flat" => Ok(Shape::Flat),
            "nested" => Ok(Shape::Nested),
            "fields" => Ok(Shape::Fields),
            "events" => Ok(Shape::Events),
            other => Err(Error::new(
                Status::InvalidArg,
                format!("unknown shape {other:?}; use 'flat', 'nested', 'fields' or 'events'"),
            )),
        }
    }
}

/// `n` spans of `shape` on the calling thread.
fn workload(n: u32, shape: Shape) {
    match shape {
        Shape::Flat => {
            for i in 0..n {
                info_span!("span").in_scope(|| black_box(i));
            }
        }
        Shape::Nested => {
            let mut left = n;
            while left > 0 {
                let depth = left.min(DEPTH);
                chain(depth);
                left -= depth;
            }
        }
        Shape::Fields => {
            for i in 0..n {
                info_span!(
                    "span",
                    count = u64::from(i),
                    name = "bench",
                    even = i % 2 == 0
                )
                .in_scope(|| black_box(i));
            }
        }
        Shape::Events => {
            for i in 0..n {
                info_span!("span").in_scope(|| info!(i, "event"));
            }
        }
    }
}

/// `depth` spans, each entered inside the previous one.
fn chain(depth: u32) {
    info_span!("nested").in_scope(|| {
        if depth > 1 {
            chain(depth - 1);
        }
    });
}

/// `n` spans per thread: on the calling thread (`threads` = 0), or on
/// `threads` threads spawned and joined here, each in a `worker` span whose
/// parent is a `fan_out` span of the calling thread. With `dispatch`, each
/// thread makes it its default (a scoped default holds on one thread only).
fn run(n: u32, shape: Shape, threads: u32, dispatch: Option<&Dispatch>) -> Result<()> {
    if threads == 0 {
        workload(n, shape);
        return Ok(());
    }
    let root = info_span!("fan_out", threads);
    let _entered = root.enter();
    thread::scope(|scope| {
        for t in 0..threads {
            let root = &root;
            thread::Builder::new()
                .name(format!("bench-{t}"))
                .spawn_scoped(scope, move || {
                    let work =
                        || info_span!(parent: root, "worker").in_scope(|| workload(n, shape));
                    match dispatch {
                        Some(dispatch) => tracing::dispatcher::with_default(dispatch, work),
                        None => work(),
                    }
                })
                .map_err(|e| Error::from_reason(format!("cannot spawn a bench thread: {e}")))?;
        }
        Ok(())
    })
}

/// Makes `n` spans of `shape` per thread, through this addon's dispatcher
/// (napi-tracing's once a session has started; nothing listens otherwise).
#[napi]
pub fn make_spans(n: u32, shape: String, threads: u32) -> Result<()> {
    run(n, Shape::parse(&shape)?, threads, None)
}

/// The native reference: the same workload under a tracing-chrome layer
/// alone (arguments on, locations off), through a scoped dispatcher, written
/// to `path`. No napi-tracing session is involved. Returns the nanoseconds
/// from the first span until the writer thread has finished the file.
#[napi]
pub fn chrome_alone(path: String, n: u32, shape: String, threads: u32) -> Result<f64> {
    let shape = Shape::parse(&shape)?;
    let file = File::create(&path)
        .map_err(|e| Error::from_reason(format!("cannot write {path:?}: {e}")))?;
    let (layer, guard) = ChromeLayerBuilder::<Registry>::new()
        .writer(file)
        .include_args(true)
        .include_locations(false)
        .build();
    let dispatch = Dispatch::new(Registry::default().with(layer));
    let start = Instant::now();
    let ran =
        tracing::dispatcher::with_default(&dispatch, || run(n, shape, threads, Some(&dispatch)));
    // Dropping the guard ends the writer thread once it has written and
    // closed the file: the timing includes writing the trace.
    drop(guard);
    let elapsed = start.elapsed().as_nanos() as f64;
    ran?;
    drop(dispatch);
    // Callsites asked the scoped dispatcher for interest; without it again,
    // they go back to what napi-tracing's dispatcher alone wants.
    tracing::callsite::rebuild_interest_cache();
    Ok(elapsed)
}

/// A layer that does nothing: what is left is the `Registry`'s own work
/// (span slots, the thread's span stack, parent lookups).
struct NoopLayer;

impl<S: Subscriber> Layer<S> for NoopLayer {}

/// The floor: the same workload under `Registry` and a `NoopLayer`, with
/// `EnvFilter::new("trace")` on top when `with_filter` (as napi-tracing's
/// sessions have), through a scoped dispatcher. Returns the nanoseconds the
/// workload took.
#[napi]
pub fn floor(n: u32, shape: String, threads: u32, with_filter: bool) -> Result<f64> {
    let shape = Shape::parse(&shape)?;
    let dispatch = if with_filter {
        Dispatch::new(
            Registry::default()
                .with(EnvFilter::new("trace"))
                .with(NoopLayer),
        )
    } else {
        Dispatch::new(Registry::default().with(NoopLayer))
    };
    let start = Instant::now();
    let ran =
        tracing::dispatcher::with_default(&dispatch, || run(n, shape, threads, Some(&dispatch)));
    let elapsed = start.elapsed().as_nanos() as f64;
    ran?;
    drop(dispatch);
    // As for chrome_alone: callsites go back to what napi-tracing's dispatcher wants.
    tracing::callsite::rebuild_interest_cache();
    Ok(elapsed)
}

/// The same workload under `napi_tracing::wrap()` around the floor's
/// subscriber with `EnvFilter::new(filter)` on top (a global filter, as
/// addons' own subscribers have), through a scoped dispatcher: what the
/// wrapper costs with no session open, and, with one open (started from
/// JavaScript), what tracing through it does. Returns the nanoseconds the
/// workload took.
#[napi]
pub fn wrapped(n: u32, shape: String, threads: u32, filter: String) -> Result<f64> {
    let shape = Shape::parse(&shape)?;
    let dispatch = Dispatch::new(napi_tracing::wrap(
        Registry::default()
            .with(EnvFilter::new(filter))
            .with(NoopLayer),
    ));
    let start = Instant::now();
    let ran =
        tracing::dispatcher::with_default(&dispatch, || run(n, shape, threads, Some(&dispatch)));
    let elapsed = start.elapsed().as_nanos() as f64;
    ran?;
    drop(dispatch);
    // As for chrome_alone: callsites go back to what napi-tracing's dispatcher wants.
    tracing::callsite::rebuild_interest_cache();
    Ok(elapsed)
}
