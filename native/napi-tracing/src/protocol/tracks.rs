//! Where every slice of a trace goes: the track ids and their names, for
//! every writer of trace entries (the collect layer's worker trace, the
//! chrome layer's file, the worker's test slices through the ids it is
//! given). One owner, so that no two writers place or name a track apart.
//!
//! A track is a `tid` in the trace. Besides each OS thread's own, there are
//! tracks for slices that cannot nest on their thread's track: spans
//! displaced by out-of-order exits, and the tracks of concurrent tests (a
//! slot each: see `napiTracingCaller`). All ids stay below 2^32, as trace
//! viewers read `tid`s, and the ranges never overlap: OS thread ids are
//! below 2^22 on Linux. A session's spans are written under its own trace
//! process (one per JavaScript thread), so the slots of two JavaScript
//! threads may share ids.
//!
//! ```text
//! [0, 0x0040_0000)              OS threads
//! [0x2000_0000, 0x2800_0000)    concurrent tests: slot (1..2^27)
//! base + k × 0x3000_0000        spans displaced k levels by out-of-order exits (k ≤ 3)
//! ```

/// OS thread ids lie below this (Linux's limit; the layout's bound, told
/// to TypeScript and checked against the other ranges).
#[cfg(test)]
pub(crate) const THREADS: u64 = 0x0040_0000;
/// Where the tracks of concurrent tests start.
pub(crate) const GIVEN: u64 = 0x2000_0000;
/// Slots beyond the last; far more than tests ever run at once.
pub(crate) const SLOTS: u64 = 0x0800_0000;
/// How far each level of displacement moves a track.
pub(crate) const DISPLACED: u64 = 0x3000_0000;
/// Deeper displacements share the last level's track.
pub(crate) const MAX_LEVEL: u8 = 3;

/// The track of concurrent test slot `slot`; 0 (the thread's own) for slot
/// 0 or beyond the last.
pub(crate) fn concurrent(slot: u32) -> u64 {
    let slot = u64::from(slot);
    if slot == 0 || slot >= SLOTS {
        return 0;
    }
    GIVEN + slot
}

/// Whether `track` is a concurrent test's.
pub(crate) fn is_concurrent(track: u64) -> bool {
    (GIVEN + 1..GIVEN + SLOTS).contains(&track)
}

/// The name of a concurrent test's track, given its JavaScript thread's name.
pub(crate) fn concurrent_name(js_thread: &str, track: u64) -> String {
    format!("{js_thread} · concurrent {}", track - GIVEN)
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
        let os = [1, THREADS - 1];
        let given = [concurrent(1), concurrent((SLOTS - 1) as u32)];
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
        let slot = concurrent(3);
        let test = concurrent_name("JavaScript (main)", slot);
        assert_eq!(test, "JavaScript (main) · concurrent 3");
        assert_eq!(
            name(&test, 2),
            "JavaScript (main) · concurrent 3 (out-of-order exits, level 2)"
        );
    }

    #[test]
    fn every_slot_has_a_track_of_its_own() {
        assert_eq!(concurrent(0), 0);
        let tracks: std::collections::HashSet<u64> = (1..=1000).map(concurrent).collect();
        assert_eq!(tracks.len(), 1000);
        assert!(tracks.iter().all(|&t| is_concurrent(t)));
        assert_eq!(
            concurrent_name("JavaScript (main)", concurrent(40)),
            "JavaScript (main) · concurrent 40"
        );
        assert_eq!(concurrent(SLOTS as u32), 0);
    }
}
