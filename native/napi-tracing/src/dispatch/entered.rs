//! The spans entered on this thread, innermost last: what a contextual span
//! or event hangs under (the current span), and each stay's timing.
//!
//! Each entry keeps when the span was entered and the time spent so far in
//! spans entered inside it: a span's own time is its busy time less that.
//! Per thread, so a span entered on several threads at once (a pool's
//! workers) is timed on each; and an entry carries what a child needs of
//! its parent ([`Facts`]), so a contextual span finds its parent without a
//! lookup.

use std::cell::RefCell;

use crate::dispatch::call_context::Cause;
use crate::protocol::tracks::MAX_LEVEL;
use crate::protocol::Anchor;

/// What a child span or an event needs of the span it hangs under.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Facts {
    /// The span's id, as the subscriber that made it knows it.
    pub(crate) id: u64,
    /// The session that owns it (0: none).
    pub(crate) owner: u64,
    /// The uid children name as their parent: its own when its owner shows
    /// it, else its nearest shown ancestor's (0: none).
    pub(crate) parent_uid: u64,
    /// Where it (and so its children) is attributed from.
    pub(crate) anchor: Anchor,
    /// Its span path in its owner's collection (0: none).
    pub(crate) path: u32,
    /// The slice work made under it on another thread was caused from: its
    /// current (or last) stay, else what caused it (`None`: nothing drawn).
    pub(crate) cause: Option<Cause>,
}

struct Entry {
    facts: Facts,
    start: u64,
    child: u64,
    /// How many levels its slice is displaced by out-of-order exits.
    level: u8,
}

/// One stay of a span on this thread, as it ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Left {
    pub(crate) start: u64,
    /// Time spent in spans entered inside it.
    pub(crate) child: u64,
    pub(crate) level: u8,
}

thread_local! {
    static STACK: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// How many levels a span entered now on this thread is displaced by
/// out-of-order exits: inside a displaced span, its children are displaced
/// with it.
pub(crate) fn level() -> u8 {
    STACK
        .try_with(|s| s.try_borrow().ok()?.last().map(|top| top.level))
        .ok()
        .flatten()
        .unwrap_or(0)
}

/// Enters the span `facts` describes at `start`.
pub(crate) fn push(facts: Facts, start: u64) {
    let _ = STACK.try_with(|s| {
        let mut stack = s.borrow_mut();
        let level = stack.last().map_or(0, |top| top.level);
        stack.push(Entry {
            facts,
            start,
            child: 0,
            level,
        })
    });
}

/// Leaves span `id` at `now` and charges its time to the span it was
/// entered in. Spans may exit out of order (`tracing` allows it): those
/// entered after `id` and still inside outlive it, so their slices could
/// not nest with its slice on one track; they move one level off it,
/// keeping their real start and end. `None` when `id` is not entered here.
pub(crate) fn pop(id: u64, now: u64) -> Option<Left> {
    STACK
        .try_with(|s| {
            let mut stack = s.borrow_mut();
            let at = stack.iter().rposition(|entry| entry.facts.id == id)?;
            let entry = stack.remove(at);
            for outliving in &mut stack[at..] {
                outliving.level = outliving.level.max((entry.level + 1).min(MAX_LEVEL));
            }
            if let Some(enclosing) = at.checked_sub(1).and_then(|i| stack.get_mut(i)) {
                enclosing.child += now.saturating_sub(entry.start);
            }
            Some(Left {
                start: entry.start,
                child: entry.child,
                level: entry.level,
            })
        })
        .ok()
        .flatten()
}

/// The innermost span entered on this thread.
pub(crate) fn current() -> Option<Facts> {
    STACK
        .try_with(|s| s.try_borrow().ok()?.last().map(|e| e.facts))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: u64) -> Facts {
        Facts {
            id,
            ..Facts::default()
        }
    }

    fn left(id: u64, now: u64) -> Option<(u64, u64, u8)> {
        pop(id, now).map(|l| (l.start, l.child, l.level))
    }

    #[test]
    fn a_spans_children_are_charged_to_it_and_only_to_it() {
        let (outer, inner, sibling) = (1, 2, 3);
        push(facts(outer), 100);
        push(facts(inner), 110);
        assert_eq!(current().map(|f| f.id), Some(inner));
        assert_eq!(left(inner, 130), Some((110, 0, 0)));
        push(facts(sibling), 140);
        assert_eq!(left(sibling, 145), Some((140, 0, 0)));
        // 20 + 5 ns in children.
        assert_eq!(left(outer, 200), Some((100, 25, 0)));
        assert_eq!(left(outer, 210), None);
        assert!(current().is_none());
    }

    #[test]
    fn out_of_order_exits_displace_the_spans_that_outlive_and_their_children() {
        let (a, b, c, d) = (11, 12, 13, 14);
        push(facts(a), 0);
        push(facts(b), 10);
        push(facts(c), 12);
        // `a` leaves first: `b` and `c` outlive it and move one level off its track.
        assert_eq!(left(a, 20), Some((0, 0, 0)));
        // A child entered inside a displaced span goes with it.
        push(facts(d), 22);
        assert_eq!(left(d, 24), Some((22, 0, 1)));
        assert_eq!(left(c, 25), Some((12, 2, 1)));
        assert_eq!(left(b, 30), Some((10, 13, 1)));
        // Back to the thread's own track.
        push(facts(a), 40);
        assert_eq!(left(a, 41), Some((40, 0, 0)));
    }

    #[test]
    fn one_span_entered_on_two_threads_is_timed_on_each() {
        push(facts(21), 40);
        let other = std::thread::spawn(|| {
            push(facts(21), 45);
            left(21, 47)
        });
        assert_eq!(other.join().unwrap(), Some((45, 0, 0)));
        assert_eq!(left(21, 50), Some((40, 0, 0)));
    }
}
