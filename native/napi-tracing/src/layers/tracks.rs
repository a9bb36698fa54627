//! The trace tracks the collect layer writes on, and their names.
//!
//! A track is a `tid` in the trace. Besides each OS thread's own, there are
//! tracks for slices that cannot nest on their thread's track: spans never
//! entered (their lifetime), spans displaced by out-of-order exits, and the
//! tracks JavaScript gives concurrent tests (see `napiTracingCaller`). All
//! ids stay below 2^32, as trace viewers read `tid`s, and the ranges never
//! overlap: OS thread ids are below 2^22 on Linux.
//!
//! ```text
//! [0, 0x0040_0000)              OS threads
//! [0x2000_0000, 0x2800_0000)    given by JavaScript (concurrent tests)
//! [0x4000_0000, 0x4040_0000)    spans never entered, per thread
//! base + k × 0x3000_0000        spans displaced k levels by out-of-order exits (k ≤ 3)
//! ```

/// Where the ids JavaScript gives start.
pub(crate) const GIVEN: u64 = 0x2000_0000;
const LIFETIME: u64 = 0x4000_0000;
const DISPLACED: u64 = 0x3000_0000;
/// Deeper displacements share the last level's track.
pub(crate) const MAX_LEVEL: u8 = 3;

/// The track of spans created on thread `tid` and never entered.
pub(crate) fn lifetime(tid: u64) -> u64 {
    LIFETIME + tid
}

/// The track of slices `level` levels off track `base` (0: `base` itself).
pub(crate) fn displaced(base: u64, level: u8) -> u64 {
    base + u64::from(level.min(MAX_LEVEL)) * DISPLACED
}

/// The name of a track this crate writes on, given the name of the thread
/// writing to it; `None` for a track JavaScript gave (JavaScript names it).
pub(crate) fn name(base: u64, level: u8, thread: &str) -> Option<String> {
    let own = if base >= GIVEN { None } else { Some(thread) };
    match level {
        0 => own.map(str::to_owned),
        1 => Some(format!(
            "{} (out-of-order exits)",
            own.unwrap_or("concurrent test")
        )),
        n => Some(format!(
            "{} (out-of-order exits, level {})",
            own.unwrap_or("concurrent test"),
            n.min(MAX_LEVEL)
        )),
    }
}

/// The name of the lifetime track of thread `tid`.
pub(crate) fn lifetime_name(tid: u64) -> String {
    format!("spans never entered (thread {tid})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_ranges_never_meet() {
        let os = [1, (1 << 22) - 1];
        let given = [GIVEN, GIVEN + (((1 << 22) - 1) << 5) + 31];
        let lifetime_ids = os.map(lifetime);
        let mut all: Vec<u64> = os.to_vec();
        all.extend(given);
        all.extend(lifetime_ids);
        for level in 1..=MAX_LEVEL {
            all.extend(os.map(|b| displaced(b, level)));
            all.extend(given.map(|b| displaced(b, level)));
        }
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
        assert!(all.iter().all(|&t| t < 1 << 32));
        // Each range holds only its own kind.
        for level in 1..=MAX_LEVEL {
            for b in os {
                let t = displaced(b, level);
                assert!(!(GIVEN..GIVEN + 0x0800_0000).contains(&t));
                assert!(!(LIFETIME..LIFETIME + (1 << 22)).contains(&t));
            }
        }
    }

    #[test]
    fn names_say_what_a_track_holds() {
        assert_eq!(name(7, 0, "fib-worker-0").as_deref(), Some("fib-worker-0"));
        assert_eq!(name(GIVEN + 33, 0, "node"), None);
        assert_eq!(
            name(7, 1, "main").as_deref(),
            Some("main (out-of-order exits)")
        );
        assert_eq!(
            name(GIVEN + 33, 2, "main").as_deref(),
            Some("concurrent test (out-of-order exits, level 2)")
        );
        assert_eq!(lifetime_name(9), "spans never entered (thread 9)");
    }
}
