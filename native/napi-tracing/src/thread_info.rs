//! The OS thread id and name of the calling thread, read once per thread.
//!
//! This describes the thread itself, not any subscriber, so one process-wide
//! cache is right: every session sees the same id for the same thread, which
//! is also the id Chrome traces and `top -H` show.
//!
//! A thread nobody named (a `std::thread` without a name, a rayon worker)
//! inherits its creator's name from the OS: the process's ("node") or a
//! JavaScript worker thread's ("WorkerThread"). Such a thread is called
//! `thread <tid>` instead, so that no track pretends to be the process or a
//! JavaScript thread.

use std::cell::{Cell, RefCell};
use std::sync::RwLock;

use crate::sync::{read, write};

/// A thread's OS id and the name its trace track shows.
pub(crate) struct ThreadInfo {
    pub(crate) tid: u64,
    pub(crate) name: String,
}

thread_local! {
    /// Read on first use; read again once the thread is noted as a
    /// JavaScript thread (its name changes then).
    static CURRENT: RefCell<Option<ThreadInfo>> = const { RefCell::new(None) };
    static MUTED: Cell<bool> = const { Cell::new(false) };
}

/// Ignores every span and event of the calling thread from now on. For the
/// threads our own outputs run on (a writer's, an exporter's): what their
/// libraries trace must not feed back into the layers they serve.
pub fn mute_this_thread() {
    let _ = MUTED.try_with(|m| m.set(true));
}

/// Whether the calling thread is muted (also while its thread-locals are
/// torn down: tracing then would only reach into freed state).
pub(crate) fn muted() -> bool {
    MUTED.try_with(Cell::get).unwrap_or(true)
}

/// Runs `f` with the calling thread's id and name.
pub(crate) fn with_current<R, F: FnOnce(&ThreadInfo) -> R>(f: F) -> R {
    // During thread-local destruction (or inside `f` itself) the cache is
    // out of reach; read afresh.
    let mut f = Some(f);
    let run = |t: &ThreadInfo, f: &mut Option<_>| f.take().map(|f: F| f(t));
    let cached = CURRENT.try_with(|cell| {
        let mut cache = cell.try_borrow_mut().ok()?;
        let info = cache.get_or_insert_with(ThreadInfo::read);
        run(info, &mut f)
    });
    match cached {
        Ok(Some(r)) => r,
        _ => run(&ThreadInfo::read(), &mut f).expect("closure not yet run"),
    }
}

impl ThreadInfo {
    fn read() -> ThreadInfo {
        let tid = os_tid();
        let name = if let Some(given) = js_thread_name(tid) {
            // Its OS name is the process's ("node") or Node's for workers.
            given
        } else {
            std::thread::current()
                .name()
                .map(str::to_owned)
                .or_else(|| os_name().filter(|name| !inherited(tid, name)))
                .unwrap_or_else(|| format!("thread {tid}"))
        };
        ThreadInfo { tid, name }
    }
}

/// The JavaScript threads that started tracing: their ids, OS names (which
/// threads they spawn inherit) and names in traces.
static JS_THREADS: RwLock<Vec<JsThread>> = RwLock::new(Vec::new());

struct JsThread {
    tid: u64,
    os_name: Option<String>,
    name: String,
}

/// Notes the calling thread as a JavaScript thread, named `name` in traces
/// (by default `JavaScript (main)` or `JavaScript (worker)`). Called when a
/// session starts, before anything asks for this thread's info.
pub(crate) fn note_js_thread(name: Option<&str>) {
    let tid = os_tid();
    let main = u64::from(std::process::id()) == tid;
    let name = name.map(str::to_owned).unwrap_or_else(|| {
        (if main {
            "JavaScript (main)"
        } else {
            "JavaScript (worker)"
        })
        .to_owned()
    });
    {
        let mut js = write(&JS_THREADS);
        match js.iter_mut().find(|t| t.tid == tid) {
            Some(known) => known.name = name,
            None => js.push(JsThread {
                tid,
                os_name: os_name(),
                name,
            }),
        }
    }
    // Read before (its id asked for), it was named as any thread.
    let _ = CURRENT.try_with(|c| c.try_borrow_mut().map(|mut c| *c = None));
}

/// The trace name of JavaScript thread `tid`, if it is one.
fn js_thread_name(tid: u64) -> Option<String> {
    read(&JS_THREADS)
        .iter()
        .find(|t| t.tid == tid)
        .map(|t| t.name.clone())
}

/// Whether `name` is only inherited: the process's name on a thread other
/// than the main one, or a JavaScript thread's name on another thread.
fn inherited(tid: u64, name: &str) -> bool {
    let process = u64::from(std::process::id()) != tid
        && process_name().is_some_and(|process| process == name);
    process
        || read(&JS_THREADS)
            .iter()
            .any(|js| js.tid != tid && js.os_name.as_deref() == Some(name))
}

/// The process's name as the OS gives it to its threads (Linux: `comm`).
fn process_name() -> Option<&'static str> {
    static NAME: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/self/comm")
            .ok()
            .map(|comm| comm.trim_end().to_owned())
    })
    .as_deref()
}

#[cfg(target_os = "linux")]
fn os_tid() -> u64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u64 }
}

#[cfg(not(target_os = "linux"))]
fn os_tid() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(target_os = "linux")]
fn os_name() -> Option<String> {
    let mut buf = [0u8; 64];
    // SAFETY: pthread_self has no preconditions and names the calling thread.
    let this = unsafe { libc::pthread_self() };
    // SAFETY: `this` is the calling thread, alive; the buffer is valid for its length.
    let rc = unsafe { libc::pthread_getname_np(this, buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).into_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(not(target_os = "linux"))]
fn os_name() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_process_name_on_another_thread_counts_as_inherited() {
        let process = process_name().expect("/proc/self/comm");
        let pid = u64::from(std::process::id());
        assert!(inherited(pid + 1, process));
        // The main thread's name is its own; other names are their threads'.
        assert!(!inherited(pid, process));
        assert!(!inherited(pid + 1, "libuv-worker"));
    }

    #[test]
    fn a_javascript_threads_name_on_another_thread_counts_as_inherited() {
        let (js_tid, js_name) = std::thread::Builder::new()
            .name("js-like".to_owned())
            .spawn(|| {
                note_js_thread(None);
                (os_tid(), os_name().unwrap())
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(inherited(js_tid + 1, &js_name));
        assert!(!inherited(js_tid, &js_name));
    }

    #[test]
    fn a_thread_named_in_rust_keeps_its_name() {
        let named = std::thread::Builder::new()
            .name("fib-worker-0".to_owned())
            .spawn(|| with_current(|t| t.name.clone()))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(named, "fib-worker-0");
    }
}
