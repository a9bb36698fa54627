//! One nanosecond clock for every record: the clock of `process.hrtime.bigint()`.
//!
//! Node reads `uv_hrtime()`, which on Linux is `clock_gettime(CLOCK_MONOTONIC)`.
//! Reading the same clock here puts Rust timestamps and JavaScript timestamps
//! on one axis without calibration. Elsewhere the clock is calibrated once
//! against a JavaScript reading passed in at start.

#[cfg(target_os = "linux")]
pub(crate) fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(target_os = "linux")]
pub(crate) fn calibrate(_js_now_ns: u64) {}

#[cfg(not(target_os = "linux"))]
mod calibrated {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::Instant;

    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    static OFFSET: AtomicU64 = AtomicU64::new(0);

    pub(crate) fn now_ns() -> u64 {
        let origin = ORIGIN.get_or_init(Instant::now);
        OFFSET.load(Ordering::Relaxed) + origin.elapsed().as_nanos() as u64
    }

    pub(crate) fn calibrate(js_now_ns: u64) {
        let origin = ORIGIN.get_or_init(Instant::now);
        let _ = OFFSET.compare_exchange(
            0,
            js_now_ns.saturating_sub(origin.elapsed().as_nanos() as u64),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) use calibrated::{calibrate, now_ns};
