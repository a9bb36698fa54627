//! Where every slice of a trace goes: the track ids and their names, for
//! every writer of trace entries (the collect layer's worker trace, the
//! chrome layer's file, the worker's test slices through the ids it is
//! given). One owner, so that no two writers place or name a track apart.
//!
//! A track is a `tid` in the trace. Besides each OS thread's own, there are
//! tracks for slices that cannot nest on their thread's track: spans
//! displaced by out-of-order exits, and the
//! tracks of concurrent tests (a slot each, below the JavaScript thread that
//! runs them: see `napiTracingCaller`). All ids stay below 2^32, as trace
//! viewers read `tid`s, and the ranges never overlap: OS thread ids are
//! below 2^22 on Linux.
//!
//! ```text
//! [0, 0x0040_0000)              OS threads
//! [0x2000_0000, 0x2800_0000)    concurrent tests: JavaScript thread tid × 32 + slot (1..=31)
//! base + k × 0x3000_0000        spans displaced k levels by out-of-order exits (k ≤ 3)
//! ```

/// Where the tracks of concurrent tests start.
pub(crate) const GIVEN: u64 = 0x2000_0000;
/// Concurrent tests with a track of their own per JavaScript thread: more
/// at once share the thread's own track.
pub(crate) const SLOTS: u32 = 31;
const DISPLACED: u64 = 0x3000_0000;
/// Deeper displacements share the last level's track.
pub(crate) const MAX_LEVEL: u8 = 3;

/// The track of concurrent test slot `slot` (1..=[`SLOTS`]) of the
/// JavaScript thread `js_tid`; 0 (the thread's own) for slot 0 or beyond.
pub(crate) fn concurrent(js_tid: u64, slot: u32) -> u64 {
    if slot == 0 || slot > SLOTS {
        return 0;
    }
    GIVEN + (js_tid << 5) + u64::from(slot)
}

/// Whether `track` is a concurrent test's.
pub(crate) fn is_concurrent(track: u64) -> bool {
    (GIVEN..GIVEN + 0x0800_0000).contains(&track)
}

/// The name of a concurrent test's track, given its JavaScript thread's name.
pub(crate) fn concurrent_name(js_thread: &str, track: u64) -> String {
    format!("{js_thread} · concurrent {}", track & 31)
}

/// The track of slices `level` levels off track `base` (0: `base` itself).
pub(crate) fn displaced(base: u64, level: u8) -> u64 {
    base + u64::from(level.min(MAX_LEVEL)) * DISPLACED
}

/// The name of track `base` displaced `level` levels, given the name of
/// `base` itself (a thread's, or a concurrent test's track's).
pub(crate) fn name(base_name: &str, level: u8) -> String {
    match level {
        0 => base_name.to_owned(),
        1 => format!("{base_name} (out-of-order exits)"),
        n => format!(
            "{base_name} (out-of-order exits, level {})",
            n.min(MAX_LEVEL)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_ranges_never_meet() {
        let os = [1, (1 << 22) - 1];
        let given = [concurrent(1, 1), concurrent((1 << 22) - 1, SLOTS)];
        let mut all: Vec<u64> = os.to_vec();
        all.extend(given);
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
            }
        }
    }

    #[test]
    fn names_say_what_a_track_holds() {
        assert_eq!(name("fib-worker-0", 0), "fib-worker-0");
        assert_eq!(name("main", 1), "main (out-of-order exits)");
        let slot = concurrent(4242, 3);
        let test = concurrent_name("JavaScript (main)", slot);
        assert_eq!(test, "JavaScript (main) · concurrent 3");
        assert_eq!(
            name(&test, 2),
            "JavaScript (main) · concurrent 3 (out-of-order exits, level 2)"
        );
    }

    #[test]
    fn slots_beyond_the_last_share_the_threads_own_track() {
        assert_eq!(concurrent(7, 0), 0);
        assert_eq!(concurrent(7, SLOTS + 1), 0);
        assert_ne!(concurrent(7, 1), concurrent(8, 1));
    }
}
