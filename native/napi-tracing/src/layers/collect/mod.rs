//! The collect layer: what the Vitest plugin runs in every worker.
//!
//! All per-span work stays in Rust: timing (busy time, time in children on
//! the same thread), the trace itself, streamed to a file as Chrome trace
//! lines, and the statistics, summed by callsite and anchor. JavaScript
//! receives the sums when it flushes, one small record per (callsite,
//! anchor), attributes each to a test and adds it up (`src/collector.ts`).
//! No JavaScript runs per span, and what waits for JavaScript grows with
//! the number of callsites, not of spans.
//!
//! What JavaScript attributes by is the span's anchor: for a span made on
//! the session's JavaScript thread, the moment of the last flush before it
//! (an epoch) and the caller tag of the JavaScript call that made it; for
//! any other span its parent's anchor, else the current epoch. Work fanned
//! out to threads so belongs to the test whose call started it. The
//! JavaScript side flushes when a test starts and ends (`SpanCollector`
//! does), so an epoch never straddles a test's start or end and the epoch's
//! time places its spans exactly as their own start times would.

use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::Cell;
use std::fs::File;
use std::io::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use serde::Deserialize;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Metadata};
use tracing_subscriber::layer::Context;
use tracing_subscriber::{Layer, Registry};

use super::callback::Outbox;
use super::{create_file, Closed, Output};
use crate::record::{Kind, Put};
use crate::{clock, js_thread, thread_info};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CollectConfig {
    /// The worker's trace file (Chrome trace entries, one per line, each
    /// followed by a comma), created or truncated.
    pub(crate) path: String,
    /// The pid to write: the process's, or a worker thread's own.
    pub(crate) pid: u64,
    /// Span fields as slice args.
    pub(crate) include_args: bool,
}

/// Tracks offset so lifetime slices of spans never entered get a track of
/// their own beside their thread (see `src/collector.ts`).
const LIFETIME_TRACK: u64 = 0x4000_0000;
/// Trace bytes buffered before a write.
const WRITE_AT: usize = 1 << 20;

/// Where a span is attributed from: see the module docs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Anchor {
    ts: u64,
    caller: u32,
}

/// Per span: its timing, its anchor, and its fields as JSON members for the slice args.
struct Timing {
    busy: u64,
    child: u64,
    entered: bool,
    created_at: u64,
    created_on: u64,
    anchor: Anchor,
    /// `"a":1,"b":"x"`: JSON object members, without braces.
    args: Vec<u8>,
}

pub(crate) struct CollectLayer {
    trace: Arc<TraceFile>,
    include_args: bool,
    sums: Arc<SpanSums>,
}

/// The statistics summed since the last flush, and the spans still open,
/// shared by every thread of one session.
pub(crate) struct SpanSums {
    state: Mutex<SumsState>,
    outbox: Arc<Outbox>,
}

struct SumsState {
    /// When the current epoch began (the last flush): the anchor time of
    /// spans made now. See the module docs.
    epoch: u64,
    /// Finished spans since the last flush, by callsite and anchor.
    done: FxHashMap<(usize, Anchor), Totals>,
    /// Spans not closed yet, by anchor: what JavaScript asks at a test's end.
    open: FxHashMap<Anchor, u64>,
}

/// The sums of one callsite's spans with one anchor.
struct Totals {
    meta: &'static Metadata<'static>,
    calls: u64,
    busy: u64,
    self_ns: u64,
    min: u64,
    max: u64,
}

impl SpanSums {
    fn lock(&self) -> MutexGuard<'_, SumsState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// (anchor time, caller tag, how many) of the open spans.
    pub(crate) fn open(&self) -> Vec<(u64, u32, u64)> {
        let state = self.lock();
        state
            .open
            .iter()
            .map(|(a, n)| (a.ts, a.caller, *n))
            .collect()
    }

    /// Ends the epoch: hands the sums so far to the outbox, one record per
    /// (callsite, anchor), for the JavaScript thread to take next. Returns
    /// when the new epoch began: spans made from now on are anchored there.
    pub(crate) fn seal(&self) -> u64 {
        let (epoch, done) = {
            let mut state = self.lock();
            state.epoch = clock::now_ns();
            (state.epoch, std::mem::take(&mut state.done))
        };
        for ((_, anchor), t) in done {
            self.outbox.emit(Some(t.meta), |buf, callsite, _tid, _ts| {
                buf.put_u8(Kind::SpanStats as u8);
                buf.put_u32(callsite);
                buf.put_u64(anchor.ts);
                buf.put_u32(anchor.caller);
                buf.put_u64(t.calls);
                buf.put_u64(t.busy);
                buf.put_u64(t.self_ns);
                buf.put_u64(t.min);
                buf.put_u64(t.max);
            });
        }
        epoch
    }
}

impl CollectLayer {
    pub(crate) fn build(
        config: &CollectConfig,
        capacity: usize,
    ) -> Result<(CollectLayer, Arc<Outbox>, TraceOutput, Arc<SpanSums>), String> {
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
        // Records are made only when JavaScript flushes, and taken right after.
        let outbox = Arc::new(Outbox::new(capacity, false));
        let sums = Arc::new(SpanSums {
            state: Mutex::new(SumsState {
                epoch: clock::now_ns(),
                done: FxHashMap::default(),
                open: FxHashMap::default(),
            }),
            outbox: outbox.clone(),
        });
        let layer = CollectLayer {
            trace: trace.clone(),
            include_args: config.include_args,
            sums: sums.clone(),
        };
        Ok((
            layer,
            outbox,
            TraceOutput {
                trace,
                path: config.path.clone(),
            },
            sums,
        ))
    }
}

impl Layer<Registry> for CollectLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, Registry>) {
        let Some(span) = ctx.span(id) else { return };
        let mut args = Vec::new();
        if self.include_args && !attrs.values().is_empty() {
            // Room for a few small fields at once instead of growing field by field.
            args.reserve(64);
            attrs.record(&mut JsonMembers(&mut args));
        }
        let now = clock::now_ns();
        let tid = thread_info::with_current(|t| t.tid);
        // Only this session's spans reach this layer: a session here means
        // this is its JavaScript thread.
        let on_js_thread = js_thread::has_session();
        let inherited = if on_js_thread {
            None
        } else {
            let parent = match attrs.parent() {
                Some(parent) => ctx.span(parent),
                None if attrs.is_contextual() => ctx.lookup_current(),
                None => None,
            };
            parent.and_then(|p| p.extensions().get::<Timing>().map(|t| t.anchor))
        };
        let anchor = {
            let mut sums = self.sums.lock();
            let anchor = inherited.unwrap_or(Anchor {
                ts: sums.epoch,
                caller: if on_js_thread { js_thread::caller() } else { 0 },
            });
            *sums.open.entry(anchor).or_insert(0) += 1;
            anchor
        };
        span.extensions_mut().insert(Timing {
            busy: 0,
            child: 0,
            entered: false,
            created_at: now,
            created_on: tid,
            anchor,
            args,
        });
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
                timing.entered = true;
                entered::push(id, clock::now_ns());
            }
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, Registry>) {
        let now = clock::now_ns();
        // Entered before this session saw it: nothing to time.
        let Some((start, child)) = entered::pop(id, now) else {
            return;
        };
        let Some(span) = ctx.span(id) else { return };
        let meta: &'static Metadata<'static> = span.metadata();
        let mut ext = span.extensions_mut();
        let Some(timing) = ext.get_mut::<Timing>() else {
            return;
        };
        let dur = now.saturating_sub(start);
        timing.busy += dur;
        timing.child += child;
        let tid = thread_info::with_current(|t| t.tid);
        self.trace.slice(tid, meta, start, dur, &timing.args);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, Registry>) {
        let Some(span) = ctx.span(&id) else { return };
        let meta: &'static Metadata<'static> = span.metadata();
        let (busy, child, anchor) = {
            let mut ext = span.extensions_mut();
            let Some(timing) = ext.get_mut::<Timing>() else {
                return;
            };
            if !timing.entered {
                // Never entered: its lifetime is its time.
                timing.busy = clock::now_ns().saturating_sub(timing.created_at);
                self.trace.slice(
                    LIFETIME_TRACK + timing.created_on,
                    meta,
                    timing.created_at,
                    timing.busy,
                    &timing.args,
                );
            }
            (timing.busy, timing.child, timing.anchor)
        };
        drop(span);
        let mut sums = self.sums.lock();
        if let Some(open) = sums.open.get_mut(&anchor) {
            *open -= 1;
            if *open == 0 {
                sums.open.remove(&anchor);
            }
        }
        let key = (meta as *const Metadata<'static> as usize, anchor);
        let self_ns = busy.saturating_sub(child);
        match sums.done.get_mut(&key) {
            Some(t) => {
                t.calls += 1;
                t.busy += busy;
                t.self_ns += self_ns;
                t.min = t.min.min(busy);
                t.max = t.max.max(busy);
            }
            None => {
                sums.done.insert(
                    key,
                    Totals {
                        meta,
                        calls: 1,
                        busy,
                        self_ns,
                        min: busy,
                        max: busy,
                    },
                );
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, Registry>) {
        thread_local! {
            static ARGS: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
        }
        let ts = clock::now_ns();
        let tid = thread_info::with_current(|t| t.tid);
        let meta = event.metadata();
        // Fields are formatted before the trace is locked: a field's Debug
        // code may itself trace (and so write to this trace).
        let mut args = ARGS.try_with(Cell::take).unwrap_or_default();
        args.clear();
        args.extend_from_slice(b"\"level\":\"");
        args.extend_from_slice(meta.level().as_str().as_bytes());
        args.push(b'"');
        if self.include_args {
            event.record(&mut JsonMembers(&mut args));
        }
        self.trace.line(tid, |buf| {
            buf.extend_from_slice(b"{\"ph\":\"I\",\"s\":\"t\",");
            buf.extend_from_slice(names_of(meta));
            buf.extend_from_slice(b",\"ts\":");
            put_micros(buf, ts);
            close_args(buf, &args);
        });
        let _ = ARGS.try_with(|c| c.set(args));
    }
}

/// The spans entered on this thread, innermost last, each with when it was
/// entered and the time spent so far in spans entered inside it: a span's
/// own time is its busy time less that. Per thread, so a span entered on
/// several threads at once (a pool's workers) is timed on each; and a stack
/// rather than a registry lookup of the enclosing span at every exit.
mod entered {
    use std::cell::RefCell;
    use tracing_core::span::Id;

    struct Entry {
        id: u64,
        start: u64,
        child: u64,
    }

    thread_local! {
        static STACK: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn push(id: &Id, start: u64) {
        let _ = STACK.try_with(|s| {
            s.borrow_mut().push(Entry {
                id: id.into_u64(),
                start,
                child: 0,
            })
        });
    }

    /// Leaves `id` at `now`: returns when it was entered and the time spent
    /// in its children, and charges its time to the span it was entered in.
    pub(super) fn pop(id: &Id, now: u64) -> Option<(u64, u64)> {
        STACK
            .try_with(|s| {
                let mut stack = s.borrow_mut();
                let id = id.into_u64();
                // Normally the innermost; spans may be exited out of order.
                let at = stack.iter().rposition(|entry| entry.id == id)?;
                let entry = stack.remove(at);
                if let Some(enclosing) = at.checked_sub(1).and_then(|i| stack.get_mut(i)) {
                    enclosing.child += now.saturating_sub(entry.start);
                }
                Some((entry.start, entry.child))
            })
            .ok()
            .flatten()
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
            let _ = writeln!(buf, "}},\"pid\":{},\"tid\":{tid}}},", self.pid);
        }
        body(&mut state.buf);
        state.buf.extend_from_slice(b",\"pid\":");
        put_int(&mut state.buf, self.pid);
        state.buf.extend_from_slice(b",\"tid\":");
        put_int(&mut state.buf, tid);
        // Each entry ends with a comma: the merged trace is the files' bytes
        // (src/trace/merge.ts).
        state.buf.extend_from_slice(b"},\n");
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
        let name = field.name();
        // Field names are nearly always Rust identifiers: nothing to escape.
        if name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            self.0.push(b'"');
            self.0.extend_from_slice(name.as_bytes());
            self.0.extend_from_slice(b"\":");
        } else {
            let _ = serde_json::to_writer(&mut *self.0, name);
            self.0.push(b':');
        }
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
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.0.extend_from_slice(text);
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

#[cfg(test)]
mod tests {
    use super::entered;
    use tracing_core::span::Id;

    #[test]
    fn a_spans_children_are_charged_to_it_and_only_to_it() {
        let (outer, inner, sibling) = (Id::from_u64(1), Id::from_u64(2), Id::from_u64(3));
        entered::push(&outer, 100);
        entered::push(&inner, 110);
        assert_eq!(entered::pop(&inner, 130), Some((110, 0)));
        entered::push(&sibling, 140);
        assert_eq!(entered::pop(&sibling, 145), Some((140, 0)));
        // 20 + 5 ns in children.
        assert_eq!(entered::pop(&outer, 200), Some((100, 25)));
        assert_eq!(entered::pop(&outer, 210), None);
    }

    #[test]
    fn out_of_order_exits_and_one_span_entered_on_two_threads() {
        let (a, b) = (Id::from_u64(11), Id::from_u64(12));
        entered::push(&a, 0);
        entered::push(&b, 10);
        // `a` leaves first: `b` is then the innermost and is timed from its own entry.
        assert_eq!(entered::pop(&a, 20), Some((0, 0)));
        assert_eq!(entered::pop(&b, 30), Some((10, 0)));
        // The same span entered on another thread at the same time has its own entry there.
        entered::push(&a, 40);
        let other = std::thread::spawn(|| {
            let a = Id::from_u64(11);
            entered::push(&a, 45);
            entered::pop(&a, 47)
        });
        assert_eq!(other.join().unwrap(), Some((45, 0)));
        assert_eq!(entered::pop(&a, 50), Some((40, 0)));
    }
}
