//! The collect layer: what the Vitest plugin runs in every worker.
//!
//! The per-span work that is the same for every span stays in Rust: timing
//! (busy time, time in children on the same thread) and the trace itself,
//! streamed to a file as Chrome trace lines. JavaScript receives, in
//! batches, one small record per finished span and attributes it to a test
//! and sums it into statistics (`src/collector.ts`).
//!
//! What JavaScript attributes by is the span's anchor: the span itself when
//! it started on the session's JavaScript thread (its start time, and the
//! caller tag of the JavaScript call that made it), else its parent's anchor,
//! else itself. Work fanned out to threads so belongs to the test whose call
//! started it, without JavaScript keeping every open span.

use rustc_hash::{FxHashMap, FxHashSet};
use std::fs::File;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use serde::Deserialize;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Metadata};
use tracing_subscriber::layer::Context;
use tracing_subscriber::{Layer, Registry};

use super::callback::Outbox;
use super::{create_file, Closed, Output};
use crate::dispatch::SpanData;
use crate::record::{Kind, Put};
use crate::{clock, js_thread, thread_info};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CollectConfig {
    /// The worker's trace file (JSON lines), created or truncated.
    pub(crate) path: String,
    /// The pid to write: the process's, or a worker thread's own.
    pub(crate) pid: u64,
    /// Span fields as slice args.
    pub(crate) include_args: bool,
    #[serde(default)]
    pub(crate) batch_bytes: Option<usize>,
}

/// Tracks offset so lifetime slices of spans never entered get a track of
/// their own beside their thread (see `src/collector.ts`).
const LIFETIME_TRACK: u64 = 0x4000_0000;
/// Trace bytes buffered before a write.
const WRITE_AT: usize = 1 << 20;

/// Where a span is attributed from: see the module docs.
#[derive(Clone, Copy)]
struct Anchor {
    ts: u64,
    caller: u32,
}

/// Per span: its timing, its anchor, and its fields as JSON members for the slice args.
struct Timing {
    busy: u64,
    child: u64,
    entered_at: Option<u64>,
    entered: bool,
    created_at: u64,
    created_on: u64,
    anchor: Anchor,
    /// `"a":1,"b":"x"`: JSON object members, without braces.
    args: Vec<u8>,
}

pub(crate) struct CollectLayer {
    outbox: Arc<Outbox>,
    trace: Arc<TraceFile>,
    include_args: bool,
    open: Arc<OpenSpans>,
}

/// The anchors of the spans not closed yet, so JavaScript can say which
/// test's spans were still open when it ended.
#[derive(Default)]
pub(crate) struct OpenSpans(Mutex<FxHashMap<u64, Anchor>>);

impl OpenSpans {
    /// (anchor time, caller tag) of every open span.
    pub(crate) fn anchors(&self) -> Vec<(u64, u32)> {
        let open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        open.values().map(|a| (a.ts, a.caller)).collect()
    }
}

impl CollectLayer {
    pub(crate) fn build(
        config: &CollectConfig,
        capacity: usize,
    ) -> Result<(CollectLayer, Arc<Outbox>, TraceOutput, Arc<OpenSpans>), String> {
        let file = create_file("collectLayer", &config.path)?;
        let trace = Arc::new(TraceFile {
            pid: config.pid,
            state: Mutex::new(TraceState {
                file: Some(file),
                buf: Vec::with_capacity(WRITE_AT),
                named_threads: FxHashSet::default(),
                error: None,
            }),
        });
        let outbox = Arc::new(Outbox::new(
            capacity,
            Some(config.batch_bytes.unwrap_or(1 << 20)),
        ));
        let open = Arc::new(OpenSpans::default());
        let layer = CollectLayer {
            outbox: outbox.clone(),
            trace: trace.clone(),
            include_args: config.include_args,
            open: open.clone(),
        };
        Ok((
            layer,
            outbox,
            TraceOutput {
                trace,
                path: config.path.clone(),
            },
            open,
        ))
    }
}

impl Layer<Registry> for CollectLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(uid) = span.extensions().get::<SpanData>().map(|d| d.uid) else {
            return;
        };
        let mut args = Vec::new();
        if self.include_args {
            attrs.record(&mut JsonMembers(&mut args));
        }
        let now = clock::now_ns();
        let tid = thread_info::with_current(|t| t.tid);
        let anchor = if js_thread::current_session().is_some() {
            // Only this session's spans reach this layer: this is its JavaScript thread.
            Anchor {
                ts: now,
                caller: js_thread::caller(),
            }
        } else {
            let parent = match attrs.parent() {
                Some(parent) => ctx.span(parent),
                None if attrs.is_contextual() => ctx.lookup_current(),
                None => None,
            };
            parent
                .and_then(|p| p.extensions().get::<Timing>().map(|t| t.anchor))
                .unwrap_or(Anchor { ts: now, caller: 0 })
        };
        span.extensions_mut().insert(Timing {
            busy: 0,
            child: 0,
            entered_at: None,
            entered: false,
            created_at: now,
            created_on: tid,
            anchor,
            args,
        });
        drop(span);
        self.open
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(uid, anchor);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, Registry>) {
        if !self.include_args {
            return;
        }
        if let Some(span) = ctx.span(id) {
            if let Some(timing) = span.extensions_mut().get_mut::<Timing>() {
                values.record(&mut JsonMembers(&mut timing.args));
            }
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, Registry>) {
        if let Some(span) = ctx.span(id) {
            if let Some(timing) = span.extensions_mut().get_mut::<Timing>() {
                timing.entered_at = Some(clock::now_ns());
                timing.entered = true;
            }
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        let now = clock::now_ns();
        let Some(span) = ctx.span(id) else { return };
        let meta: &'static Metadata<'static> = span.metadata();
        let dur = {
            let mut ext = span.extensions_mut();
            let Some(timing) = ext.get_mut::<Timing>() else {
                return;
            };
            let Some(start) = timing.entered_at.take() else {
                return;
            };
            let dur = now.saturating_sub(start);
            timing.busy += dur;
            let tid = thread_info::with_current(|t| t.tid);
            self.trace.slice(tid, meta, start, dur, &timing.args);
            dur
        };
        drop(span);
        // The registry has already left the span: the current one encloses it
        // on this thread, and this time is not the enclosing span's own.
        if let Some(enclosing) = ctx.lookup_current() {
            if let Some(timing) = enclosing.extensions_mut().get_mut::<Timing>() {
                timing.child += dur;
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        let now = clock::now_ns();
        let Some(span) = ctx.span(&id) else { return };
        let meta: &'static Metadata<'static> = span.metadata();
        let (uid, busy, child, anchor) = {
            let mut ext = span.extensions_mut();
            let Some(uid) = ext.get_mut::<SpanData>().map(|d| d.uid) else {
                return;
            };
            let Some(timing) = ext.get_mut::<Timing>() else {
                return;
            };
            if !timing.entered {
                // Never entered: its lifetime is its time.
                timing.busy = now.saturating_sub(timing.created_at);
                self.trace.slice(
                    LIFETIME_TRACK + timing.created_on,
                    meta,
                    timing.created_at,
                    timing.busy,
                    &timing.args,
                );
            }
            (uid, timing.busy, timing.child, timing.anchor)
        };
        drop(span);
        self.open
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&uid);
        self.outbox.emit(Some(meta), |buf, callsite, tid, ts| {
            buf.put_u8(Kind::SpanDone as u8);
            buf.put_u32(callsite);
            buf.put_u64(tid);
            buf.put_u64(ts);
            buf.put_u64(anchor.ts);
            buf.put_u32(anchor.caller);
            buf.put_u64(busy);
            buf.put_u64(child);
        });
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, Registry>) {
        let mut args = format!("\"level\":\"{}\"", event.metadata().level()).into_bytes();
        if self.include_args {
            event.record(&mut JsonMembers(&mut args));
        }
        let tid = thread_info::with_current(|t| t.tid);
        self.trace
            .instant(tid, event.metadata(), clock::now_ns(), &args);
    }
}

/// The trace file of one session, written from any thread.
pub(crate) struct TraceFile {
    pid: u64,
    state: Mutex<TraceState>,
}

struct TraceState {
    file: Option<File>,
    buf: Vec<u8>,
    named_threads: FxHashSet<u64>,
    error: Option<String>,
}

impl TraceFile {
    fn slice(
        &self,
        tid: u64,
        meta: &'static Metadata<'static>,
        start_ns: u64,
        dur_ns: u64,
        args: &[u8],
    ) {
        self.line(tid, |buf| {
            buf.extend_from_slice(b"{\"ph\":\"X\",");
            buf.extend_from_slice(names_of(meta));
            buf.extend_from_slice(b",\"ts\":");
            put_micros(buf, start_ns);
            buf.extend_from_slice(b",\"dur\":");
            put_micros(buf, dur_ns);
            close_args(buf, args);
        });
    }

    fn instant(&self, tid: u64, meta: &'static Metadata<'static>, ts_ns: u64, args: &[u8]) {
        self.line(tid, |buf| {
            buf.extend_from_slice(b"{\"ph\":\"I\",\"s\":\"t\",");
            buf.extend_from_slice(names_of(meta));
            buf.extend_from_slice(b",\"ts\":");
            put_micros(buf, ts_ns);
            close_args(buf, args);
        });
    }

    /// Writes one entry straight into the buffer; `body` writes it up to its
    /// args, pid and tid are added here. Names the thread on its first entry.
    fn line(&self, tid: u64, body: impl FnOnce(&mut Vec<u8>)) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.named_threads.insert(tid) {
            let name = if tid >= LIFETIME_TRACK {
                format!("spans never entered (thread {})", tid - LIFETIME_TRACK)
            } else {
                thread_info::with_current(|t| t.name.clone())
            };
            let buf = &mut state.buf;
            buf.extend_from_slice(b"{\"ph\":\"M\",\"name\":\"thread_name\",\"args\":{\"name\":");
            let _ =
                serde_json::to_writer(&mut *buf, if name.is_empty() { "thread" } else { &name });
            let _ = writeln!(buf, "}},\"pid\":{},\"tid\":{tid}}}", self.pid);
        }
        body(&mut state.buf);
        state.buf.extend_from_slice(b",\"pid\":");
        put_int(&mut state.buf, self.pid);
        state.buf.extend_from_slice(b",\"tid\":");
        put_int(&mut state.buf, tid);
        state.buf.extend_from_slice(b"}\n");
        if state.buf.len() >= WRITE_AT {
            write_out(&mut state);
        }
    }

    fn flush(&self) {
        write_out(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

fn close_args(buf: &mut Vec<u8>, args: &[u8]) {
    buf.extend_from_slice(b",\"args\":{");
    buf.extend_from_slice(args);
    buf.push(b'}');
}

/// `"name":…,"cat":…` of a callsite, made once: callsites are few and live forever.
fn names_of(meta: &'static Metadata<'static>) -> &'static [u8] {
    static NAMES: OnceLock<RwLock<FxHashMap<usize, &'static [u8]>>> = OnceLock::new();
    let table = NAMES.get_or_init(Default::default);
    let key = meta as *const Metadata<'static> as usize;
    if let Some(names) = table.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return names;
    }
    let mut names = b"\"name\":".to_vec();
    let _ = serde_json::to_writer(&mut names, meta.name());
    names.extend_from_slice(b",\"cat\":");
    let _ = serde_json::to_writer(&mut names, meta.target());
    let names: &'static [u8] = Box::leak(names.into_boxed_slice());
    table
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert(names)
}

fn write_out(state: &mut TraceState) {
    let TraceState {
        file, buf, error, ..
    } = state;
    if let Some(file) = file {
        if let Err(e) = file.write_all(buf) {
            error.get_or_insert_with(|| e.to_string());
        }
    }
    buf.clear();
}

/// Flush and close for the session.
pub(crate) struct TraceOutput {
    trace: Arc<TraceFile>,
    path: String,
}

impl Output for TraceOutput {
    fn flush(&self) {
        self.trace.flush();
    }

    fn close(&self) -> Closed {
        let mut state = self.trace.state.lock().unwrap_or_else(|e| e.into_inner());
        write_out(&mut state);
        state.file = None;
        let mut closed = Closed::default();
        if let Some(error) = state.error.take() {
            closed.warnings.push(format!(
                "collectLayer: writing {:?} failed: {error}",
                self.path
            ));
        }
        closed
    }
}

/// Appends nanoseconds as microseconds with three decimals (`1234.567`).
fn put_micros(buf: &mut Vec<u8>, ns: u64) {
    let mut digits = itoa::Buffer::new();
    buf.extend_from_slice(digits.format(ns / 1000).as_bytes());
    let frac = ns % 1000;
    buf.extend_from_slice(&[
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

fn put_int(buf: &mut Vec<u8>, n: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Field values as JSON object members (`"a":1,"b":"x"`), appended.
struct JsonMembers<'a>(&'a mut Vec<u8>);

impl JsonMembers<'_> {
    fn key(&mut self, field: &Field) {
        if !self.0.is_empty() {
            self.0.push(b',');
        }
        let _ = serde_json::to_writer(&mut *self.0, field.name());
        self.0.push(b':');
    }
}

impl Visit for JsonMembers<'_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.0
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        put_int(self.0, value);
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(self.0, "{value}");
        } else {
            let _ = serde_json::to_writer(&mut *self.0, &value.to_string());
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        let _ = serde_json::to_writer(&mut *self.0, value);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.key(field);
        let _ = serde_json::to_writer(&mut *self.0, &format!("{value:?}"));
    }
}
