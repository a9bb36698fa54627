//! `chromeLayer`: Chrome trace files through tracing-chrome, with its traps
//! handled.
//!
//! tracing-chrome caches its channel and thread ids in process-wide
//! thread-locals, so a second `ChromeLayer` in one process sends into the first
//! one's (possibly dead) channel and never names threads it has seen. This
//! module therefore builds one `ChromeLayer` per addon and process, and gives
//! each session a file of its own by rotating it (`FlushGuard::start_new`).
//! Every file passes through [`TraceFile`], which fixes what tracing-chrome
//! writes: the real pid instead of 1, a `process_name`, timestamps on the
//! `process.hrtime` clock, per-session argument and location options, and a
//! flush that returns once the data is on disk. It also pairs each thread's
//! `B`/`E` entries into one complete (`X`) slice: tracing-chrome interleaves
//! the threads' entries in one stream, and Chrome DevTools' trace engine
//! matches `B`/`E` with a single stack for all threads.
//!
//! tracing-chrome records every field through `Debug` (a string `"a"` becomes
//! `"\"a\""`, a number a string) and names events after their callsite. So
//! the forwarding layer hands it, through its `name_fn`, each entry's name
//! followed by a payload (`name\0{json}`): the span's uid and poll, the
//! thread's name, and the fields as values, recorded as the collect layer
//! records them; an event's name is its message. [`TraceFile`] unpacks it.

mod trace_file;

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use serde::Deserialize;
use tracing_chrome::{ChromeLayer, ChromeLayerBuilder, EventOrSpan, FlushGuard};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::Event;
use tracing_subscriber::layer::Context;
use tracing_subscriber::{Layer, Registry};

use super::fields_json::{event_args, EventMembers, JsonMembers};
use super::{create_file, BoxedLayer, Closed, Output};
use crate::span_data::SpanData;
use crate::sync::lock;
use crate::{clock, thread_info};
use trace_file::TraceFile;

/// How long flush and close wait for tracing-chrome's writer thread.
const WRITER_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ChromeConfig {
    pub(crate) path: String,
    pub(crate) include_args: bool,
    pub(crate) include_locations: bool,
    pub(crate) process_name: String,
}

struct Shared {
    layer: ChromeLayer<Registry>,
    guard: Mutex<FlushGuard>,
    /// `process.hrtime` microseconds at the layer's own time origin.
    origin_us: f64,
    /// The session writing the current file, if any.
    owner: Mutex<Option<u64>>,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

/// Starts a trace file for session `session` and returns the layer and output.
pub(crate) fn build(
    config: &ChromeConfig,
    session: u64,
) -> Result<(BoxedLayer, Box<dyn Output>), String> {
    let file = create_file("chromeLayer", &config.path)?;
    let progress = Arc::new(Progress::default());
    let shared = match SHARED.get() {
        Some(shared) => {
            claim(shared, session, &config.path)?;
            let trace = TraceFile::new(file, config, shared.origin_us, progress.clone());
            lock(&shared.guard).start_new(Some(Box::new(trace)));
            shared
        }
        None => {
            let mut first = Some(file);
            let shared = SHARED.get_or_init(|| {
                // Arguments and locations are always collected (arguments in
                // the name's payload); TraceFile drops them per session, since
                // the one layer's options are fixed.
                let builder = ChromeLayerBuilder::new()
                    .include_args(false)
                    .include_locations(true)
                    .name_fn(Box::new(name_with_payload));
                let origin_us = clock::now_ns() as f64 / 1000.0;
                let file = first.take().expect("first file");
                let (layer, guard) = builder
                    .writer(TraceFile::new(file, config, origin_us, progress.clone()))
                    .build();
                Shared {
                    layer,
                    guard: Mutex::new(guard),
                    origin_us,
                    owner: Mutex::new(None),
                }
            });
            if let Some(file) = first {
                // Another thread built the layer first: rotate into our file.
                claim(shared, session, &config.path)?;
                let trace = TraceFile::new(file, config, shared.origin_us, progress.clone());
                lock(&shared.guard).start_new(Some(Box::new(trace)));
            } else {
                claim(shared, session, &config.path)?;
            }
            shared
        }
    };
    let output = ChromeOutput {
        shared,
        session,
        progress,
        path: config.path.clone(),
    };
    Ok((Box::new(ChromeForward(&shared.layer)), Box::new(output)))
}

/// One trace file at a time per process: tracing-chrome has one writer.
fn claim(shared: &Shared, session: u64, path: &str) -> Result<(), String> {
    let mut owner = lock(&shared.owner);
    match *owner {
        Some(other) if other != session => Err(format!(
            "chromeLayer: another thread of this process is already writing a Chrome trace with \
             this addon; tracing-chrome writes one file per process at a time. Close that \
             Tracing first, or trace this thread without chromeLayer (could not start {path:?})"
        )),
        _ => {
            *owner = Some(session);
            Ok(())
        }
    }
}

/// A span's fields as JSON members and the times it was entered, kept by
/// [`ChromeForward`] for the name payload.
struct Fields {
    members: Vec<u8>,
    polls: u32,
}

/// Forwards a session's spans to the process's one ChromeLayer, recording
/// their fields as values first.
struct ChromeForward(&'static ChromeLayer<Registry>);

impl Layer<Registry> for ChromeForward {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        if let Some(span) = ctx.span(id) {
            let mut members = Vec::new();
            attrs.record(&mut JsonMembers(&mut members));
            span.extensions_mut().insert(Fields { members, polls: 0 });
        }
        self.0.on_new_span(attrs, id, ctx);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(&mut JsonMembers(&mut fields.members));
            }
        }
        self.0.on_record(id, values, ctx);
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        self.0.on_event(event, ctx);
    }
    fn on_enter(&self, id: &Id, ctx: Context<'_, Registry>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                fields.polls += 1;
            }
        }
        self.0.on_enter(id, ctx);
    }
    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        self.0.on_exit(id, ctx);
    }
    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        self.0.on_close(id, ctx);
    }
}

/// tracing-chrome's `name_fn`: the entry's name, a NUL, and a JSON payload
/// that [`TraceFile`] takes off again (see the module docs): `u` the span's
/// uid, `k` its poll (1 for the first stay), `t` the thread's name, `a` the
/// fields as values (an event's with its level, file and line).
fn name_with_payload(data: &EventOrSpan<'_, '_, Registry>) -> String {
    let thread = thread_info::with_current(|t| t.name.clone());
    let mut out = Vec::with_capacity(64);
    match data {
        EventOrSpan::Span(span) => {
            out.extend_from_slice(span.metadata().name().as_bytes());
            let ext = span.extensions();
            let uid = ext.get::<SpanData>().map_or(0, |data| data.uid);
            let (members, polls) = ext
                .get::<Fields>()
                .map_or((&[][..], 0), |f| (&f.members[..], f.polls));
            out.extend_from_slice(b"\0{\"u\":");
            out.extend_from_slice(itoa::Buffer::new().format(uid).as_bytes());
            out.extend_from_slice(b",\"k\":");
            out.extend_from_slice(itoa::Buffer::new().format(polls).as_bytes());
            payload_rest(&mut out, &thread, members);
        }
        EventOrSpan::Event(event) => {
            let meta = event.metadata();
            let mut members = Vec::new();
            let mut message = Vec::new();
            event_args(&mut members, meta, true);
            event.record(&mut EventMembers {
                members: JsonMembers(&mut members),
                message: &mut message,
                include_args: true,
            });
            match serde_json::from_slice::<String>(&message) {
                Ok(message) => out.extend_from_slice(message.as_bytes()),
                Err(_) => out.extend_from_slice(meta.name().as_bytes()),
            }
            out.extend_from_slice(b"\0{\"u\":0,\"k\":0");
            payload_rest(&mut out, &thread, &members);
        }
    }
    // Names and payload are UTF-8: the payload is JSON, the rest came from &str.
    String::from_utf8(out).unwrap_or_default()
}

fn payload_rest(out: &mut Vec<u8>, thread: &str, members: &[u8]) {
    out.extend_from_slice(b",\"t\":");
    let _ = serde_json::to_writer(&mut *out, thread);
    out.extend_from_slice(b",\"a\":{");
    out.extend_from_slice(members);
    out.extend_from_slice(b"}}");
}

/// What the writer thread has done with one file, for flush and close to wait on.
#[derive(Default)]
struct Progress {
    state: Mutex<ProgressState>,
    changed: Condvar,
}

#[derive(Default)]
struct ProgressState {
    flushes: u64,
    finished: bool,
    error: Option<String>,
}

impl Progress {
    fn update(&self, f: impl FnOnce(&mut ProgressState)) {
        f(&mut lock(&self.state));
        self.changed.notify_all();
    }

    /// Waits until `done` holds; false on timeout.
    fn wait(&self, done: impl Fn(&ProgressState) -> bool) -> bool {
        let state = lock(&self.state);
        let (state, timeout) = self
            .changed
            .wait_timeout_while(state, WRITER_WAIT, |s| !done(s))
            .unwrap_or_else(|e| e.into_inner());
        drop(state);
        !timeout.timed_out()
    }
}

/// The flush and close side of a session's trace file.
struct ChromeOutput {
    shared: &'static Shared,
    session: u64,
    progress: Arc<Progress>,
    path: String,
}

impl Output for ChromeOutput {
    fn flush(&self) {
        let before = lock(&self.progress.state).flushes;
        lock(&self.shared.guard).flush();
        self.progress.wait(|s| s.flushes > before || s.finished);
    }

    fn close(&self) -> Closed {
        // Finishing the file is start_new's job; the next file is a sink
        // until another session claims the layer.
        lock(&self.shared.guard).start_new(Some(Box::new(std::io::sink())));
        let finished = self.progress.wait(|s| s.finished);
        let mut owner = lock(&self.shared.owner);
        if *owner == Some(self.session) {
            *owner = None;
        }
        let mut closed = Closed::default();
        if !finished {
            closed.warnings.push(format!(
                "chromeLayer: {:?} was not finished within {}s; it may end early",
                self.path,
                WRITER_WAIT.as_secs()
            ));
        }
        if let Some(error) = lock(&self.progress.state).error.take() {
            closed.warnings.push(format!(
                "chromeLayer: writing {:?} failed: {error}",
                self.path
            ));
        }
        closed
    }
}
