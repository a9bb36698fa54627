//! What the exported entry points do. `export_tracing_api!` wraps each of
//! these in a `#[napi]` function of the addon; errors come back to
//! JavaScript as exceptions that say what to fix.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Function};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, Error, Result, Status};

use crate::dispatch::filter::Filter;
use crate::dispatch::install::{self, Mode};
use crate::dispatch::layers::callback::CallbackLayer;
use crate::dispatch::layers::outbox::{Outbox, Waker};
use crate::dispatch::layers::trace::TraceLayer;
use crate::dispatch::layers::{self, create_file};
use crate::dispatch::session::{Parts, Session};
use crate::js::config::LayerConfig;
use crate::js::thread::{self, JsThread};
use crate::{
    clock, dispatch::calibration, dispatch::call_context, dispatch::open_sessions,
    dispatch::registry_path, dispatch::router, js::config, js::crash, protocol, protocol::tracks,
    thread_info,
};

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
    /// How the session reaches the addon's spans: `global`, `scoped`,
    /// `layer` (empty when none is open).
    pub subscriber: String,
    /// What the session cannot trace, and why, for the user to read.
    pub notes: Vec<String>,
    /// Span callsites met that the session's filter turned off, as
    /// `LEVEL target::name` (the first 64).
    pub hidden: Vec<String>,
    /// What one span costs the session on this machine, measured when it
    /// started (ns; 0 where not measured: see `span_cost_ns`).
    pub span_cost_ns: u64,
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

/// The protocol version this crate speaks (see `protocol/`).
pub fn protocol() -> u32 {
    protocol::PROTOCOL_VERSION
}

/// How this crate was built: the profile's opt-level for it (`"0"`–`"3"`,
/// `"s"`, `"z"`, with per-package overrides applied), whether debug
/// assertions were on, and the crate's version (the npm package's too).
pub fn build() -> (&'static str, bool, &'static str) {
    (
        env!("NAPI_TRACING_OPT_LEVEL"),
        cfg!(debug_assertions),
        env!("CARGO_PKG_VERSION"),
    )
}

/// Starts a session on the calling JavaScript thread.
pub fn start(env: &Env, config_json: &str, sink: Option<Function<'_, Buffer, ()>>) -> Result<()> {
    if thread::has_session() {
        return Err(invalid(
            "tracing is already started for this addon on this thread; close the open \
             Tracing first (tracing.close(), or leave its `using` block)"
                .to_owned(),
        ));
    }
    let config = config::parse(config_json).map_err(invalid)?;
    // Named as the JavaScript thread; threads it spawns inherit its OS name
    // and must not pass for it.
    thread_info::note_js_thread(config.thread_name.as_deref());
    let filter = Filter::parse(&config.filter).map_err(invalid)?;
    if let Some(js_now) = config.clock_ns.as_deref().and_then(|s| s.parse().ok()) {
        clock::calibrate(js_now);
    }
    let callbacks = config
        .layers
        .iter()
        .any(|layer| matches!(layer, LayerConfig::Callback {}));
    if callbacks && sink.is_none() {
        return Err(invalid(
            "callback layers need a sink function; start tracing through Tracing.start() \
             from 'vitest-napi-tracing'"
                .to_owned(),
        ));
    }
    let id = Session::next_id();
    let parts = build_layers(config.layers, config.queue_capacity, filter).map_err(invalid)?;
    let installed = match install::install(config.subscriber) {
        Ok(installed) => installed,
        Err(message) => {
            close_parts(&parts);
            return Err(Error::new(Status::GenericFailure, message));
        }
    };
    if installed.mode == Mode::Layer && (!parts.registry_layers.is_empty() || parts.filter.dynamic)
    {
        close_parts(&parts);
        return Err(invalid(
            "fmtLayer, otlpLayer and filters with span directives ([span{field}]) need \
             napi-tracing's own subscriber, but this addon's own subscriber traces it \
             (through napi_tracing::layer()): use that subscriber's layers instead"
                .to_owned(),
        ));
    }
    // Checked above: callback layers have their sink.
    let sink = match (&parts.callback, sink) {
        (Some(_), Some(sink)) => Some(Rc::new(sink.create_ref()?)),
        _ => None,
    };
    let session = Arc::new(Session::new(id, parts));
    if session.on_registry_path() {
        registry_path::prepare();
    }
    if let Some(outbox) = session.outbox() {
        outbox.set_waker(Some(make_waker(env)?));
        outbox.set_notifier(Box::new(thread::deliver_or_wake));
    }
    let cleanup = env.add_env_cleanup_hook(id, thread::teardown)?;
    let mut notes: Vec<String> = installed.note.into_iter().collect();
    if installed.mode == Mode::Global
        && (crate::dispatch::subscribers::as_layer::registered()
            || crate::dispatch::subscribers::wrap::registered())
    {
        notes.push(LAYER_REFUSED.to_owned());
    }
    #[cfg(feature = "async-runtime")]
    notes.extend(crate::js::async_runtime::note());
    thread::install(JsThread {
        session: session.clone(),
        env: env.raw(),
        sink,
        cleanup: Some(cleanup),
        mode: installed.mode,
        guard: installed.guard,
        notes,
    });
    if let Some(path) = config.panic_file {
        crash::watch(id, path);
    }
    open_sessions::register(session.clone());
    if session.trace.is_some() && session.callback.is_none() && !session.on_registry_path() {
        session.set_span_cost_ns(span_cost_ns(&session));
    }
    Ok(())
}

/// What one span (made, entered, exited, closed) costs through this
/// thread's dispatcher with `session` tracing it, in ns: the shortest of a
/// few rounds of the calibration callsite's spans, after one to warm up;
/// their sums, trace entries and paths are left out again. 0 where the
/// dispatcher is not napi-tracing's own (the addon's subscriber owns the
/// cost then) or the clock did not move.
fn span_cost_ns(session: &Session) -> u64 {
    const SPANS: u64 = 500;
    const ROUNDS: usize = 4;
    let Some(trace) = &session.trace else {
        return 0;
    };
    let ours = tracing_core::dispatcher::get_default(|d| {
        d.is::<crate::dispatch::subscribers::own::Core>()
    });
    if !ours {
        return 0;
    }
    calibration::register();
    let meta = calibration::meta();
    let fields = meta.fields().value_set(&[]);
    let mut shortest = u64::MAX;
    tracing_core::dispatcher::get_default(|dispatch| {
        for round in 0..ROUNDS {
            let started = clock::now_ns();
            for _ in 0..SPANS {
                let id =
                    dispatch.new_span(&tracing_core::span::Attributes::new_root(meta, &fields));
                dispatch.enter(&id);
                dispatch.exit(&id);
                dispatch.try_close(id);
            }
            let took = clock::now_ns().saturating_sub(started);
            // Each round's entries go before the batch could fill and be written.
            trace.collection.forget(meta);
            if round > 0 {
                shortest = shortest.min(took / SPANS);
            }
        }
    });
    if shortest == u64::MAX {
        0
    } else {
        shortest
    }
}

const LAYER_REFUSED: &str = "this addon built a subscriber with napi_tracing::wrap() or \
     napi_tracing::layer(), but napi-tracing already held the global default, so the addon's \
     subscriber was not installed (its own output is off while traced): set subscriber: 'layer' \
     so that napi-tracing traces through the addon's subscriber instead";

/// Closes the files a start opened before it failed.
fn close_parts(parts: &Parts) {
    if let Some(trace) = &parts.trace {
        trace.collection.close(trace.name);
    }
    for output in &parts.outputs {
        output.close();
    }
}

const COLLECT_ALONE: &str = "the plugin's collect layer cannot be combined with callback layers";

/// Builds the layers a start asked for, checking how they combine.
fn build_layers(
    configs: Vec<LayerConfig>,
    queue_capacity: Option<usize>,
    filter: Filter,
) -> std::result::Result<Parts, String> {
    let mut parts = Parts {
        filter,
        trace: None,
        callback: None,
        registry_layers: Vec::new(),
        outputs: Vec::new(),
    };
    let capacity = queue_capacity.unwrap_or(config::DEFAULT_QUEUE_BYTES);
    for layer in configs {
        let step: std::result::Result<(), String> = (|| {
            match layer {
                LayerConfig::Callback {} => {
                    if parts.callback.is_some() {
                        return Err("more than one callback layer was given; pass one \
                             callbackLayer() per TypeScript layer through Tracing.start(), which \
                             shares one stream"
                            .to_owned());
                    }
                    if parts.trace.as_ref().is_some_and(|t| t.collection.sums()) {
                        return Err(COLLECT_ALONE.to_owned());
                    }
                    parts.callback = Some(CallbackLayer::new(Arc::new(Outbox::new(capacity))));
                }
                LayerConfig::Collect(collect) => {
                    if parts.callback.is_some() {
                        return Err(COLLECT_ALONE.to_owned());
                    }
                    if parts.trace.is_some() {
                        return Err("the plugin's collect layer cannot be combined with chromeLayer: each writes a trace of its own".to_owned());
                    }
                    let file = create_file("collectLayer", &collect.path)?;
                    parts.trace = Some(TraceLayer::collect(&collect, file)?);
                }
                LayerConfig::Chrome(chrome) => {
                    if parts.trace.is_some() {
                        return Err(
                            "one chromeLayer per Tracing: each writes a trace file of its own"
                                .to_owned(),
                        );
                    }
                    let file = create_file("chromeLayer", &chrome.path)?;
                    parts.trace = Some(TraceLayer::chrome(&chrome, file)?);
                }
                LayerConfig::Fmt(fmt) => parts.registry_layers.push(layers::fmt::build(&fmt)?),
                LayerConfig::Otlp(otlp) => {
                    let (layer, output) = layers::otlp::build(&otlp)?;
                    parts.registry_layers.push(layer);
                    parts.outputs.push(output);
                }
            }
            Ok(())
        })();
        if let Err(message) = step {
            close_parts(&parts);
            return Err(message);
        }
    }
    Ok(parts)
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
            thread::drain();
            Ok(())
        })?;
    Ok(Box::new(move || {
        tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok
    }))
}

/// Tags the spans this JavaScript thread creates from now on, so that spans
/// of concurrent tests can be told apart (0: no tag), and draws them on the
/// track of concurrent test slot `slot` (0: the thread's own; the plugin
/// gives each concurrent test a slot). Returns the track's id, which the
/// worker draws the test's slice on (0: the thread's own).
pub fn set_caller(tag: u32, slot: u32) -> u32 {
    let track = tracks::concurrent(slot);
    call_context::set(tag, track as u32);
    if track != 0 {
        if let Some(trace) =
            thread::current_session().and_then(|s| s.trace.as_ref().map(|t| t.collection.clone()))
        {
            let name = thread_info::with_current(|t| tracks::concurrent_name(&t.name, track));
            crate::sync::lock(&trace.local()).name_track(track, &name);
        }
    }
    track as u32
}

/// (anchor time, caller tag, count) of the spans of this thread's collect
/// layer that are still open; empty without one.
pub fn open_spans(_env: &Env) -> Vec<(u64, u32, u64)> {
    thread::current_session()
        .and_then(|s| s.trace.as_ref().map(|t| t.collection.open()))
        .unwrap_or_default()
}

/// What a flush drained from the collect layer.
#[derive(Debug, Default)]
pub struct Flushed {
    /// When its new epoch began (hrtime ns), 0 without a collect layer.
    pub epoch: u64,
    /// Its sums since the last flush, as one batch of the sums stream
    /// (`protocol/sums.rs`); `None` without a collect layer.
    pub sums: Option<Vec<u8>>,
}

/// Delivers everything queued for this thread's session, now: the callback
/// layers' records through the sink, the collect layer's sums in what it
/// returns (starting its new epoch). With `wait`, returns once every output
/// has written what it received; without (a test window's edge), the
/// outputs are left alone: a window needs the sums and a new epoch, not the
/// trace on disk, and handing the trace's entries over at each edge would
/// wake the writer and write the file twice per test. The worker's
/// checkpoints (every 100 ms) and full batches write them.
pub fn flush(_env: &Env, wait: bool) -> Result<Flushed> {
    thread::follow_subscriber();
    let session = thread::current_session();
    let flushed = session
        .as_ref()
        .and_then(|s| s.trace.as_ref())
        .filter(|t| t.collection.sums())
        .map_or_else(Flushed::default, |trace| {
            let (epoch, sums) = trace.collection.seal();
            Flushed {
                epoch,
                sums: Some(sums),
            }
        });
    thread::drain();
    if let Some(session) = session {
        if wait {
            session.flush_outputs();
        }
    }
    Ok(flushed)
}

const CLASHED: &str = "this addon's wrapped subscriber gives span ids of the kind napi-tracing \
     gives its own (top bit and bits 35 and 36 set), so napi-tracing traces only the spans that \
     subscriber makes too, not those its own filters turn off";

/// The counters of this thread's session (zeros when none is open).
pub fn stats(_env: &Env) -> Stats {
    let session = thread::current_session();
    let outbox = session.as_ref().and_then(|s| s.outbox().cloned());
    // Trace entries the collect layer's writer could not keep up with count too.
    let lost_entries = session
        .as_ref()
        .and_then(|s| s.trace.as_ref())
        .map_or(0, |t| t.collection.dropped());
    let (mode, notes) =
        thread::mode_and_notes().map_or((String::new(), Vec::new()), |(m, mut notes)| {
            if m == Mode::Layer {
                notes.extend(install::kept_from_layer());
            }
            if m == Mode::Wrap && crate::dispatch::subscribers::wrap::clashed() {
                notes.push(CLASHED.to_owned());
            }
            (m.as_str().to_owned(), notes)
        });
    Stats {
        delivered: outbox.as_ref().map_or(0, |o| o.delivered()),
        dropped: outbox.as_ref().map_or(0, |o| o.dropped()) + lost_entries,
        unattributed: router::unattributed(),
        warnings: Vec::new(),
        thread_id: thread_info::with_current(|t| t.tid),
        subscriber: mode,
        notes,
        hidden: session
            .as_ref()
            .map_or_else(Vec::new, |s| s.filter.hidden()),
        span_cost_ns: session.as_ref().map_or(0, |s| s.span_cost_ns()),
    }
}

/// Delivers what is queued for callback layers, then ends this thread's
/// session. Spans still open stop being reported, and a collect layer's
/// sums since the last flush are not returned (flush first). Stopping when
/// nothing is open is a no-op.
pub fn stop(env: &Env) -> Result<Stats> {
    // Closed first: no hook for this session starts from here on. One that
    // already runs on another thread may still add to the trace; that much
    // is lost.
    if let Some(session) = thread::current_session() {
        session.close();
    }
    thread::drain();
    let mut stats = stats(env);
    if let Some(js) = thread::take(None) {
        open_sessions::unregister(&js.session);
        crash::unwatch(js.session.id);
        let closed = js.session.close_outputs();
        stats.dropped += closed.dropped;
        stats.warnings = closed.warnings;
        if let Some(outbox) = js.session.outbox() {
            outbox.set_waker(None);
        }
        if let Some(hook) = js.cleanup {
            env.remove_env_cleanup_hook(hook)?;
        }
    }
    Ok(stats)
}
