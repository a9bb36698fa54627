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

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tracing_chrome::{ChromeLayer, ChromeLayerBuilder, FlushGuard};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::Event;
use tracing_subscriber::layer::Context;
use tracing_subscriber::{Layer, Registry};

use super::{create_file, lock, Closed, Output};
use crate::clock;
use crate::session::BoxedLayer;

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
                // Arguments and locations are always collected; TraceFile drops
                // them per session, since the one layer's options are fixed.
                let builder = ChromeLayerBuilder::new()
                    .include_args(true)
                    .include_locations(true);
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

/// Forwards a session's spans to the process's one ChromeLayer.
struct ChromeForward(&'static ChromeLayer<Registry>);

impl Layer<Registry> for ChromeForward {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        self.0.on_new_span(attrs, id, ctx);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        self.0.on_record(id, values, ctx);
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, Registry>) {
        self.0.on_event(event, ctx);
    }
    fn on_enter(&self, id: &Id, ctx: Context<'_, Registry>) {
        self.0.on_enter(id, ctx);
    }
    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        self.0.on_exit(id, ctx);
    }
    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        self.0.on_close(id, ctx);
    }
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

/// The `Write` tracing-chrome writes one file through. tracing-chrome writes
/// `[`, then one JSON entry per line, then `]`; each entry is rewritten here.
/// Writes never fail towards tracing-chrome (its writer thread unwraps them):
/// the first error is kept and reported at close.
struct TraceFile {
    out: BufWriter<File>,
    line: Vec<u8>,
    pid: u32,
    origin_us: f64,
    include_args: bool,
    include_locations: bool,
    process_name: String,
    progress: Arc<Progress>,
    finished: bool,
    /// Per thread, the `B` entries whose `E` has not come yet.
    open: HashMap<u64, Vec<Value>>,
}

impl TraceFile {
    fn new(
        file: File,
        config: &ChromeConfig,
        origin_us: f64,
        progress: Arc<Progress>,
    ) -> TraceFile {
        TraceFile {
            out: BufWriter::new(file),
            line: Vec::new(),
            pid: std::process::id(),
            origin_us,
            include_args: config.include_args,
            include_locations: config.include_locations,
            process_name: config.process_name.clone(),
            progress,
            finished: false,
            open: HashMap::new(),
        }
    }

    fn emit(&mut self, bytes: &[u8]) {
        if let Err(e) = self.out.write_all(bytes) {
            self.progress.update(|s| {
                s.error.get_or_insert_with(|| e.to_string());
            });
        }
    }

    fn line(&mut self, line: &[u8]) {
        let line = line.trim_ascii();
        let line = line.strip_suffix(b",").unwrap_or(line);
        match line {
            b"" => {}
            b"[" => {
                let meta = serde_json::json!({
                    "ph": "M", "name": "process_name", "pid": self.pid, "tid": 0,
                    "args": { "name": self.process_name },
                });
                self.emit(format!("[\n{meta}").as_bytes());
            }
            b"]" => self.finish(),
            entry => match serde_json::from_slice::<Value>(entry) {
                Ok(mut value) => {
                    self.rewrite(&mut value);
                    if let Some(value) = self.pair(value) {
                        self.emit(format!(",\n{value}").as_bytes());
                    }
                }
                Err(e) => self.progress.update(|s| {
                    s.error.get_or_insert_with(|| {
                        format!("unreadable entry from tracing-chrome: {e}")
                    });
                }),
            },
        }
    }

    fn rewrite(&self, value: &mut Value) {
        let Some(entry) = value.as_object_mut() else {
            return;
        };
        entry.insert("pid".into(), self.pid.into());
        if let Some(ts) = entry.get("ts").and_then(Value::as_f64) {
            entry.insert("ts".into(), (self.origin_us + ts).into());
        }
        if !self.include_locations {
            entry.remove(".file");
            entry.remove(".line");
        }
        let metadata = entry.get("ph").and_then(Value::as_str) == Some("M");
        if !self.include_args && !metadata {
            entry.remove("args");
        }
    }

    /// Holds `B` back until its `E`, and returns the entry to write, if any.
    fn pair(&mut self, value: Value) -> Option<Value> {
        let phase = value.get("ph").and_then(Value::as_str).unwrap_or_default();
        let tid = value.get("tid").and_then(Value::as_u64).unwrap_or_default();
        match phase {
            "B" => {
                self.open.entry(tid).or_default().push(value);
                None
            }
            "E" => {
                let Some(mut begin) = self.open.get_mut(&tid).and_then(Vec::pop) else {
                    return Some(value);
                };
                let start = begin.get("ts").and_then(Value::as_f64).unwrap_or_default();
                let end = value.get("ts").and_then(Value::as_f64).unwrap_or(start);
                if let Some(entry) = begin.as_object_mut() {
                    entry.insert("ph".into(), "X".into());
                    entry.insert("dur".into(), (end - start).max(0.0).into());
                }
                Some(begin)
            }
            // DevTools' engine only knows the older spelling of thread-scoped instants.
            "i" => {
                let mut value = value;
                if let Some(entry) = value.as_object_mut() {
                    entry.insert("ph".into(), "I".into());
                }
                Some(value)
            }
            _ => Some(value),
        }
    }

    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            // Spans still open when the file ends keep their `B`: viewers show
            // them running to the end of the trace.
            let open: Vec<Value> = self.open.drain().flat_map(|(_, v)| v).collect();
            for entry in open {
                self.emit(format!(",\n{entry}").as_bytes());
            }
            self.emit(b"\n]\n");
        }
    }
}

impl Write for TraceFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(&rest[..at]);
            self.line(&line);
            rest = &rest[at + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // tracing-chrome writes the separator before each entry, so the last
        // entry (or the closing `]`) has no newline yet; it is complete now.
        let rest = std::mem::take(&mut self.line);
        self.line(&rest);
        if let Err(e) = self.out.flush() {
            self.progress.update(|s| {
                s.error.get_or_insert_with(|| e.to_string());
            });
        }
        self.progress.update(|s| s.flushes += 1);
        Ok(())
    }
}

impl Drop for TraceFile {
    fn drop(&mut self) {
        let rest = std::mem::take(&mut self.line);
        self.line(&rest);
        self.finish();
        let _ = Write::flush(&mut self.out);
        self.progress.update(|s| s.finished = true);
    }
}
