//! What the exported entry points do. `export_tracing_api!` wraps each of
//! these in a `#[napi]` function of the addon; errors come back to
//! JavaScript as exceptions that say what to fix.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Function};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, Error, Result, Status};

use crate::js_thread::{self, JsThread};
use crate::layers::callback::CallbackLayer;
use crate::layers::collect::Collection;
use crate::layers::{self, BoxedLayer, Output};
use crate::queue::{Outbox, Waker};
use crate::session::Session;
use crate::{caller, clock, config, record, router, sessions, thread_info};

/// Counters a session reports when asked and when it stops.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Records delivered to the TypeScript sink.
    pub delivered: u64,
    /// Records dropped because the queue was full or JavaScript could not run.
    pub dropped: u64,
    /// Spans and events no session could claim (addon-wide).
    pub unattributed: u64,
    /// What went wrong in the session's outputs, for the user to read.
    pub warnings: Vec<String>,
    /// The OS thread id of the calling JavaScript thread.
    pub thread_id: u64,
}

fn invalid(message: String) -> Error {
    Error::new(Status::InvalidArg, message)
}

/// Runs entry point `name`; a panic inside becomes a JavaScript error that
/// names the entry point, never an abort of the process.
pub fn guarded<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Err(Error::new(
            Status::GenericFailure,
            format!("{name} panicked in napi-tracing: {why}; tracing of this addon may be incomplete from here on (please report it)"),
        ))
    })
}

/// The protocol version this crate speaks (see `record.rs`).
pub fn protocol() -> u32 {
    record::PROTOCOL_VERSION
}

/// How this crate was built: the profile's opt-level for it (`"0"`–`"3"`,
/// `"s"`, `"z"`, with per-package overrides applied) and whether debug
/// assertions were on.
pub fn build() -> (&'static str, bool) {
    (env!("NAPI_TRACING_OPT_LEVEL"), cfg!(debug_assertions))
}

/// Starts a session on the calling JavaScript thread.
pub fn start(env: &Env, config_json: &str, sink: Option<Function<'_, Buffer, ()>>) -> Result<()> {
    // Named as the JavaScript thread; threads it spawns inherit its OS name
    // and must not pass for it.
    thread_info::note_js_thread();
    if js_thread::has_session() {
        return Err(invalid(
            "tracing is already started for this addon on this thread; close the open \
             Tracing first (tracing.close(), or leave its `using` block)"
                .to_owned(),
        ));
    }
    let config = config::parse(config_json).map_err(invalid)?;
    let filter = config::parse_filter(&config.filter).map_err(invalid)?;
    let filter_tracks_spans = config.filter.contains('[');
    if let Some(js_now) = config.clock_ns.as_deref().and_then(|s| s.parse().ok()) {
        clock::calibrate(js_now);
    }
    router::install().map_err(|m| Error::new(Status::GenericFailure, m))?;

    let streams = config.layers.iter().any(|layer| {
        matches!(
            layer,
            config::LayerConfig::Callback {} | config::LayerConfig::Collect(_)
        )
    });
    if streams && sink.is_none() {
        return Err(invalid(
            "callback and collect layers need a sink function; start tracing through \
             Tracing.start() from 'vitest-napi-tracing'"
                .to_owned(),
        ));
    }
    let id = Session::next_id();
    let built = build_layers(config.layers, config.queue_capacity, id);
    let (layers, outbox, outputs, collection) = match built {
        Ok(built) => built,
        Err((message, outputs)) => {
            // Files already opened for this start are closed again.
            for output in outputs {
                output.close();
            }
            return Err(invalid(message));
        }
    };
    // Checked above: a stream has its sink.
    let sink = match (&outbox, sink) {
        (Some(_), Some(sink)) => Some(Rc::new(sink.create_ref()?)),
        _ => None,
    };

    let session = Arc::new(Session::new(
        id,
        filter,
        filter_tracks_spans,
        layers,
        outbox.clone(),
        outputs,
        collection,
    ));
    if let Some(outbox) = &outbox {
        outbox.set_waker(Some(make_waker(env)?));
        outbox.set_notifier(Box::new(js_thread::deliver_or_wake));
    }
    let cleanup = env.add_env_cleanup_hook(id, js_thread::teardown)?;
    js_thread::install(JsThread {
        session: session.clone(),
        env: env.raw(),
        sink,
        cleanup: Some(cleanup),
    });
    sessions::register(session);
    Ok(())
}

type Built = (
    Vec<BoxedLayer>,
    Option<Arc<Outbox>>,
    Vec<Box<dyn Output>>,
    Option<Arc<Collection>>,
);

/// Builds the layers a start asked for. On error, returns the outputs
/// already opened so the caller can close them.
fn build_layers(
    configs: Vec<config::LayerConfig>,
    queue_capacity: Option<usize>,
    session: u64,
) -> std::result::Result<Built, (String, Vec<Box<dyn Output>>)> {
    let mut layers: Vec<BoxedLayer> = Vec::new();
    let mut outbox: Option<Arc<Outbox>> = None;
    let mut outputs: Vec<Box<dyn Output>> = Vec::new();
    let mut collection = None;
    for layer in configs {
        let step: std::result::Result<(), String> = (|| {
            match layer {
                config::LayerConfig::Callback {} => {
                    if outbox.is_some() {
                        return Err("more than one callback layer was given; pass one \
                                    callbackLayer() per TypeScript layer through \
                                    Tracing.start(), which shares one stream"
                            .to_owned());
                    }
                    let capacity = queue_capacity.unwrap_or(config::DEFAULT_QUEUE_BYTES);
                    let new_outbox = Arc::new(Outbox::new(capacity, true));
                    layers.push(Box::new(CallbackLayer::new(new_outbox.clone())));
                    outbox = Some(new_outbox);
                }
                config::LayerConfig::Collect(collect) => {
                    if outbox.is_some() {
                        return Err(
                            "a collect layer cannot be combined with callback layers".to_owned()
                        );
                    }
                    let capacity = queue_capacity.unwrap_or(config::DEFAULT_QUEUE_BYTES);
                    let (layer, new_outbox, output, new_collection) =
                        layers::collect::CollectLayer::build(&collect, capacity)?;
                    layers.push(Box::new(layer));
                    outputs.push(Box::new(output));
                    outbox = Some(new_outbox);
                    collection = Some(new_collection);
                }
                config::LayerConfig::Fmt(fmt) => layers.push(layers::fmt::build(&fmt)?),
                config::LayerConfig::Chrome(chrome) => {
                    let (layer, output) = layers::chrome::build(&chrome, session)?;
                    layers.push(layer);
                    outputs.push(output);
                }
                config::LayerConfig::Otlp(otlp) => {
                    let (layer, output) = layers::otlp::build(&otlp)?;
                    layers.push(layer);
                    outputs.push(output);
                }
            }
            Ok(())
        })();
        if let Err(message) = step {
            return Err((message, outputs));
        }
    }
    Ok((layers, outbox, outputs, collection))
}

/// A weak threadsafe function whose only job is to run `drain` on this
/// JavaScript thread. Weak: it never keeps Node alive.
fn make_waker(env: &Env) -> Result<Waker> {
    let wake = env.create_function_from_closure::<(), (), _>("napiTracingWake", |_| Ok(()))?;
    let tsfn = wake
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .callee_handled::<false>()
        .build_callback(|_ctx| {
            js_thread::drain();
            Ok(())
        })?;
    Ok(Box::new(move || {
        tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok
    }))
}

/// Tags the spans this JavaScript thread creates from now on, so that spans
/// of concurrent tests can be told apart (0: no tag), and names the trace
/// track they are drawn on (0: the thread's own; the plugin gives each
/// concurrent test a track of its own).
pub fn set_caller(tag: u32, track: u32) {
    caller::set(tag, track);
}

/// (anchor time, caller tag, count) of the spans of this thread's collect
/// layer that are still open; empty without one.
pub fn open_spans(_env: &Env) -> Vec<(u64, u32, u64)> {
    js_thread::current_session()
        .and_then(|s| s.collection.as_ref().map(|c| c.open()))
        .unwrap_or_default()
}

/// Hands the collect layer's sums to the outbox, starting a new epoch.
/// Returns when the new epoch began, if there is a collect layer.
fn seal_sums() -> Option<u64> {
    js_thread::current_session()
        .and_then(|s| s.collection.clone())
        .map(|c| c.seal())
}

/// Delivers everything queued for this thread's session, now. Returns when
/// the collect layer's new epoch began (see `layers/collect/`), else 0.
pub fn flush(_env: &Env) -> Result<u64> {
    let epoch = seal_sums();
    js_thread::drain();
    if let Some(session) = js_thread::current_session() {
        session.flush_outputs();
    }
    Ok(epoch.unwrap_or(0))
}

/// The counters of this thread's session (zeros when none is open).
pub fn stats(_env: &Env) -> Stats {
    let session = js_thread::current_session();
    let outbox = session.as_ref().and_then(|s| s.outbox.clone());
    // Trace entries the collect layer's writer could not keep up with count too.
    let lost_entries = session
        .as_ref()
        .and_then(|s| s.collection.as_ref())
        .map_or(0, |c| c.dropped());
    Stats {
        delivered: outbox.as_ref().map_or(0, |o| o.delivered()),
        dropped: outbox.as_ref().map_or(0, |o| o.dropped()) + lost_entries,
        unattributed: router::unattributed(),
        warnings: Vec::new(),
        thread_id: thread_info::with_current(|t| t.tid),
    }
}

/// Delivers what is queued, then ends this thread's session. Spans still
/// open stop being reported. Stopping when nothing is open is a no-op.
pub fn stop(env: &Env) -> Result<Stats> {
    // Closed first: no hook for this session starts from here on. One that
    // already runs on another thread may still add to the sums or the trace
    // after the last seal; that much is lost.
    if let Some(session) = js_thread::current_session() {
        session.close();
    }
    seal_sums();
    js_thread::drain();
    let mut stats = stats(env);
    if let Some(js) = js_thread::take(None) {
        sessions::unregister(&js.session);
        let closed = js.session.close_outputs();
        stats.dropped += closed.dropped;
        stats.warnings = closed.warnings;
        if let Some(outbox) = &js.session.outbox {
            outbox.set_waker(None);
        }
        if let Some(hook) = js.cleanup {
            env.remove_env_cleanup_hook(hook)?;
        }
    }
    Ok(stats)
}
