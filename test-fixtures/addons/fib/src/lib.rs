//! A napi-rs addon instrumented with `tracing`, the way a user writes one.
#![deny(clippy::all)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::{AsyncTask, Env, Result, Task};
use napi_derive::napi;
use tracing::{field, info_span, instrument, Instrument, Span};

// With OpenTelemetry export (otlpLayer) only when built with the `otlp` feature.
#[cfg(feature = "otlp")]
napi_tracing::export_tracing_api!(otlp = napi_tracing_otlp::layer);
#[cfg(not(feature = "otlp"))]
napi_tracing::export_tracing_api!();

pub mod suites;

/// The n-th Fibonacci number: the classic recursion (one span per call), or
/// memoized. `#[instrument]` goes above `#[napi]`, so that it wraps this
/// function and not the generated JavaScript callback.
#[instrument]
#[napi]
pub fn fibonacci(index: u32, use_memoized: bool) -> f64 {
    if use_memoized {
        fibonacci_memoized(index, &mut HashMap::new())
    } else {
        match index {
            0 | 1 => f64::from(index),
            _ => fibonacci(index - 1, false) + fibonacci(index - 2, false),
        }
    }
}

#[instrument(skip(memo))]
fn fibonacci_memoized(index: u32, memo: &mut HashMap<u32, f64>) -> f64 {
    if index < 2 {
        return f64::from(index);
    }
    if let Some(&known) = memo.get(&index) {
        return known;
    }
    let value = fibonacci_memoized(index - 1, memo) + fibonacci_memoized(index - 2, memo);
    memo.insert(index, value);
    value
}

/// A span whose fields are only known after the work is done.
#[napi]
pub fn record_later(input: u32) -> u32 {
    let span = info_span!(
        "record_later",
        input,
        result = field::Empty,
        odd = field::Empty
    );
    let _entered = span.enter();
    let result = input * 2;
    span.record("result", result);
    span.record("odd", input % 2 == 1);
    result
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct Shape {
    sides: u8,
    label: &'static str,
}

/// One event at every level, with fields of every kind.
#[napi]
pub fn emit_events() {
    let span = info_span!("emit_events");
    let _entered = span.enter();
    tracing::trace!(answer = 42_i64, "a trace event");
    tracing::debug!(negative = -7_i64, huge = u64::MAX, "a debug event");
    tracing::info!(ratio = 0.5_f64, ok = true, "an info event");
    tracing::warn!(name = "fib", shape = ?Shape { sides: 3, label: "tri" }, "a warn event");
    tracing::error!(wide = i128::MIN, "an error event");
}

/// Computes `fibonacci(index)` on `threads` threads at once, each in a
/// `worker` span under this call's span, and waits for them.
#[instrument]
#[napi]
pub fn fan_out(threads: u32, index: u32) -> f64 {
    let parent = Span::current();
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|worker| {
                let parent = parent.clone();
                thread::Builder::new()
                    .name(format!("fib-worker-{worker}"))
                    .spawn_scoped(scope, move || {
                        info_span!(parent: &parent, "worker", worker)
                            .in_scope(|| fibonacci(index, false))
                    })
                    .expect("spawn a worker thread")
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
    })
}

/// Makes `spans` flat spans on each of `threads` threads and waits for them:
/// a burst the JavaScript thread cannot drain while it waits.
#[instrument]
#[napi]
pub fn burst(threads: u32, spans: u32) {
    let parent = Span::current();
    thread::scope(|scope| {
        for worker in 0..threads {
            let parent = parent.clone();
            scope.spawn(move || {
                for n in 0..spans {
                    info_span!(parent: &parent, "tick", worker, n).in_scope(|| {});
                }
            });
        }
    });
}

/// `tick` spans made by the threads of `spawn_background`, in this process:
/// lets a test know they still run when no layer may see them.
static BACKGROUND_TICKS: AtomicU64 = AtomicU64::new(0);

/// How many `tick` spans `spawn_background`'s threads have made so far.
#[napi]
pub fn background_ticks() -> f64 {
    BACKGROUND_TICKS.load(Ordering::Relaxed) as f64
}

/// Starts `threads` threads that make spans for `millis` milliseconds and
/// returns at once, like work a test leaves running.
#[napi]
pub fn spawn_background(threads: u32, millis: u32) {
    let root = info_span!("background", threads);
    for worker in 0..threads {
        let root = root.clone();
        thread::spawn(move || {
            let until = Instant::now() + Duration::from_millis(u64::from(millis));
            let mut n = 0_u64;
            while Instant::now() < until {
                info_span!(parent: &root, "tick", worker, n).in_scope(|| {
                    thread::sleep(Duration::from_micros(200));
                });
                BACKGROUND_TICKS.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        });
    }
}

/// Computes on the libuv thread pool, under a span made on the JS thread.
pub struct FibonacciTask {
    index: u32,
    parent: Span,
}

impl Task for FibonacciTask {
    type Output = f64;
    type JsValue = f64;

    fn compute(&mut self) -> Result<f64> {
        let span = info_span!(parent: &self.parent, "compute", index = self.index);
        Ok(span.in_scope(|| fibonacci(self.index, true)))
    }

    fn resolve(&mut self, _env: Env, output: f64) -> Result<f64> {
        Ok(output)
    }
}

/// `fibonacci` as an AsyncTask on the libuv pool.
#[napi]
pub fn fibonacci_task(index: u32) -> AsyncTask<FibonacciTask> {
    AsyncTask::new(FibonacciTask {
        index,
        parent: info_span!("fibonacci_task", index),
    })
}

/// `fibonacci` in an async fn, polled on napi-rs's tokio runtime.
#[napi]
pub async fn fibonacci_async(index: u32) -> f64 {
    async move {
        tokio_yield().await;
        fibonacci(index, true)
    }
    .instrument(info_span!("fibonacci_async", index))
    .await
}

/// Gives the runtime a chance to move the future, as real async work does.
async fn tokio_yield() {
    Yield(1).await
}

/// Pending `n` times (waking itself), then ready: each time the future is
/// polled again, an instrumented future enters its span again.
struct Yield(u32);

impl std::future::Future for Yield {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 == 0 {
            std::task::Poll::Ready(())
        } else {
            self.0 -= 1;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

/// One `polled` span entered `yields + 1` times on tokio: an async fn's polls.
#[napi]
pub async fn polled(yields: u32) -> u32 {
    async move {
        Yield(yields).await;
        yields
    }
    .instrument(info_span!("polled", yields))
    .await
}

/// `first_entered` exits while `second_entered`, entered inside it, is still
/// entered (`tracing` allows guards to be dropped in any order); a span is
/// then entered inside `second_entered`.
#[napi]
pub fn out_of_order_exits() {
    let first = info_span!("first_entered");
    let second = info_span!("second_entered");
    let first_guard = first.enter();
    let second_guard = second.enter();
    thread::sleep(Duration::from_micros(200));
    drop(first_guard);
    info_span!("inside_second").in_scope(|| thread::sleep(Duration::from_micros(100)));
    drop(second_guard);
}

/// A span entered on the calling thread and closed (its last handle
/// dropped) on another.
#[napi]
pub fn close_elsewhere() {
    let span = info_span!("closed_elsewhere");
    span.in_scope(|| thread::sleep(Duration::from_micros(50)));
    thread::Builder::new()
        .name("closer".into())
        .spawn(move || drop(span))
        .expect("spawn the closer")
        .join()
        .unwrap_or(());
}

/// A span on a thread nobody named, under this call's span.
#[instrument]
#[napi]
pub fn unnamed_thread() {
    let parent = Span::current();
    thread::spawn(move || info_span!(parent: &parent, "on_unnamed_thread").in_scope(|| {}))
        .join()
        .unwrap_or(());
}

/// A span and an event whose names and fields need escaping in JSON.
#[napi]
pub fn odd_names(text: String) {
    info_span!(
        "quote \" backslash \\ newline \n u2028 \u{2028} nul \0",
        text = text.as_str()
    )
    .in_scope(|| {
        tracing::info!(
            text = text.as_str(),
            "message: quote \" backslash \\ newline \n u2028 \u{2028} nul \0"
        );
    });
}

/// A span with one string field of `bytes` bytes.
#[napi]
pub fn big_field(bytes: u32) -> u32 {
    let text = "x".repeat(bytes as usize);
    info_span!("big_field", text = text.as_str()).in_scope(|| bytes)
}

/// An event whose `Debug` fields come from bytes that are not UTF-8.
#[napi]
pub fn odd_debug() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let raw: &[u8] = b"ok\xff\xfe";
    tracing::info!(
        raw = ?raw,
        os = ?OsStr::from_bytes(raw),
        lossy = %String::from_utf8_lossy(raw),
        "non-UTF-8 input"
    );
}

/// Nested spans `depth` deep on the calling thread.
#[napi]
pub fn deep(depth: u32) -> u32 {
    fn level(at: u32, depth: u32) -> u32 {
        if at == depth {
            return at;
        }
        info_span!("level", at).in_scope(|| level(at + 1, depth))
    }
    // Deep recursion needs a larger stack than the JavaScript thread may offer.
    let parent = Span::current();
    thread::scope(|scope| {
        thread::Builder::new()
            .name("deep".into())
            .stack_size(256 << 20)
            .spawn_scoped(scope, move || {
                info_span!(parent: &parent, "deep", depth).in_scope(|| level(0, depth))
            })
            .expect("spawn the deep thread")
            .join()
            .unwrap_or(0)
    })
}

/// A chain of `length` spans, each the parent of the next, never entered:
/// dropping the last closes them all, each releasing its parent.
#[napi]
pub fn chain(length: u32) -> u32 {
    let mut last = info_span!("link", at = 0);
    for at in 1..length {
        last = info_span!(parent: &last, "link", at);
    }
    drop(last);
    length
}

static HELD: Mutex<Vec<Span>> = Mutex::new(Vec::new());

/// Makes `count` spans and keeps them, never entered, until `release_spans`
/// (as handles of pending work are).
#[napi]
pub fn hold_spans(count: u32) -> u32 {
    let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
    held.extend((0..count).map(|n| info_span!("held", n)));
    count
}

/// Closes the spans `hold_spans` kept; returns how many.
#[napi]
pub fn release_spans() -> u32 {
    let held = std::mem::take(&mut *HELD.lock().unwrap_or_else(|e| e.into_inner()));
    held.len() as u32
}

/// `threads` threads at once, each making `spans` spans under this call's span.
#[instrument]
#[napi]
pub fn many_threads(threads: u32, spans: u32) -> u32 {
    let parent = Span::current();
    thread::scope(|scope| {
        for thread in 0..threads {
            let parent = parent.clone();
            thread::Builder::new()
                .stack_size(64 << 10)
                .spawn_scoped(scope, move || {
                    for n in 0..spans {
                        info_span!(parent: &parent, "tick", thread, n).in_scope(|| {});
                    }
                })
                .expect("spawn a thread");
        }
    });
    threads * spans
}

/// A span that is entered and never closed: it is kept alive forever.
#[napi]
pub fn leak_span() {
    let span = info_span!("leaked");
    span.in_scope(|| tracing::info!("inside the leaked span"));
    std::mem::forget(span);
}

/// Calls `callback` from another thread, inside a span; what the callback
/// throws is an uncaught exception of the process.
#[napi]
pub fn call_back_later(
    callback: napi::threadsafe_function::ThreadsafeFunction<u32, (), u32, napi::Status, false>,
) {
    let parent = info_span!("call_back_later");
    thread::spawn(move || {
        info_span!(parent: &parent, "calling_back").in_scope(|| {
            callback.call(
                7,
                napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking,
            );
        });
    });
}

/// A unit of work whose shape the tests change from outside: `steps` step
/// spans, then three `spin` spans each busy for `spin_micros` µs.
#[instrument]
#[napi]
pub fn work(steps: u32, spin_micros: u32) -> u32 {
    for step in 0..steps {
        info_span!("step", step).in_scope(|| std::hint::black_box(step));
    }
    for _ in 0..3 {
        let _spin = info_span!("spin").entered();
        let until = Instant::now() + Duration::from_micros(u64::from(spin_micros));
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    }
    steps
}

/// Polls of an operation that are pending by design (a protocol's handshake),
/// before its I/O may be ready.
const HANDSHAKE_POLLS: u32 = 10;

/// `ops` operations, each polled as an async runtime polls a future: pending
/// for its handshake's polls, then ready if the thread doing its I/O is
/// done, else polled once more when it is. One `poll` span per poll: 11 or
/// 12 per operation as the two threads' timing falls, so their count varies
/// between identical runs within a tenth (the `poll_io` span and its `op`
/// spans do not). Returns the polls made.
#[instrument]
#[napi]
pub fn poll_io(ops: u32) -> u32 {
    let mut polls = 0;
    for op in 0..ops {
        let _op = info_span!("op", op).entered();
        let done = Arc::new(AtomicBool::new(false));
        let io = {
            let done = Arc::clone(&done);
            thread::spawn(move || {
                thread::sleep(Duration::from_micros(50));
                done.store(true, Ordering::Release);
            })
        };
        let mut polled = 0;
        loop {
            polled += 1;
            let ready = info_span!("poll")
                .in_scope(|| polled > HANDSHAKE_POLLS && done.load(Ordering::Acquire));
            if ready {
                break;
            }
            if polled == HANDSHAKE_POLLS {
                // As long as the I/O thread sleeps: a race either may win.
                thread::sleep(Duration::from_micros(50));
            } else if polled > HANDSHAKE_POLLS {
                while !done.load(Ordering::Acquire) {
                    thread::yield_now();
                }
            }
        }
        polls += polled;
        io.join().expect("the I/O thread ends");
    }
    polls
}
