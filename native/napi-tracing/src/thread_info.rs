//! The OS thread id and name of the calling thread, read once per thread.
//!
//! This describes the thread itself, not any subscriber, so one process-wide
//! cache is right: every session sees the same id for the same thread, which
//! is also the id Chrome traces and `top -H` show.

pub(crate) struct ThreadInfo {
    pub(crate) tid: u64,
    pub(crate) name: String,
}

thread_local! {
    static CURRENT: ThreadInfo = ThreadInfo::read();
}

/// Runs `f` with the calling thread's id and name.
pub(crate) fn with_current<R, F: FnOnce(&ThreadInfo) -> R>(f: F) -> R {
    // During thread-local destruction the cache is gone; read afresh.
    let mut f = Some(f);
    let run = |t: &ThreadInfo, f: &mut Option<_>| f.take().map(|f: F| f(t));
    match CURRENT.try_with(|t| run(t, &mut f)) {
        Ok(Some(r)) => r,
        _ => run(&ThreadInfo::read(), &mut f).expect("closure not yet run"),
    }
}

impl ThreadInfo {
    fn read() -> ThreadInfo {
        let tid = os_tid();
        let name = match std::thread::current().name() {
            Some(name) => name.to_owned(),
            None => os_name().unwrap_or_default(),
        };
        ThreadInfo { tid, name }
    }
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
    // SAFETY: the buffer is valid for its length; pthread_self is the calling thread.
    let rc = unsafe {
        libc::pthread_getname_np(libc::pthread_self(), buf.as_mut_ptr().cast(), buf.len())
    };
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
