//! Small ids the collect layer sums by, shared by a collection's threads:
//! span paths (a span's callsite under its parent's path: `parse ›
//! parse_text › build_tree`) and event messages. Each is made once, on the
//! thread that meets it first, and sent to JavaScript once, at the next
//! seal; threads keep their own caches in front of these tables, so the
//! tables' lock is taken only for what a thread has not seen.

use rustc_hash::{FxHashMap, FxHashSet};
use tracing_core::Metadata;

use crate::trace::json::callsite_key;

/// The path of a span with no parent of this session: the root.
pub(crate) const ROOT: u32 = 0;
/// The message id of events whose message was not kept (beyond `MESSAGES`).
pub(crate) const OTHER_MESSAGE: u32 = 0;
/// Distinct messages kept per collection: messages made with format
/// arguments differ at each event, and must not grow without bound.
pub(crate) const MESSAGES: usize = 4096;
/// The deepest a path goes: spans nested deeper (a recursion 10,000 deep)
/// are summed on the deepest level, so that a path, and a tree, stay small.
pub(crate) const MAX_DEPTH: u16 = 128;

/// A path: its callsite under its parent path.
pub(crate) struct Path {
    pub(crate) id: u32,
    pub(crate) parent: u32,
    pub(crate) meta: &'static Metadata<'static>,
}

#[derive(Default)]
pub(crate) struct Interned {
    paths: FxHashMap<(u32, usize), u32>,
    /// Each path's parent and depth (1 for a root), by id - 1.
    shape: Vec<(u32, u16)>,
    messages: FxHashMap<Vec<u8>, u32>,
    /// Made since the last seal, in the order made (parents first).
    new_paths: Vec<Path>,
    new_messages: Vec<(u32, Vec<u8>)>,
}

impl Interned {
    /// Sends none of `meta`'s paths made since the last seal to JavaScript
    /// (their ids stay taken); returns the ids of every path of `meta`,
    /// whose sums are to be left out too.
    pub(crate) fn forget(&mut self, meta: &'static Metadata<'static>) -> FxHashSet<u32> {
        self.new_paths.retain(|p| !std::ptr::eq(p.meta, meta));
        let key = callsite_key(meta);
        self.paths
            .iter()
            .filter(|((_, callsite), _)| *callsite == key)
            .map(|(_, &id)| id)
            .collect()
    }

    /// The id of `meta`'s path under `parent`, made if new. Under a path
    /// already `MAX_DEPTH` deep, the span joins its parent's level instead.
    pub(crate) fn path(&mut self, parent: u32, meta: &'static Metadata<'static>) -> u32 {
        let (mut parent, mut depth) = (parent, self.depth(parent) + 1);
        if depth > MAX_DEPTH {
            parent = self.shape[parent as usize - 1].0;
            depth = MAX_DEPTH;
        }
        let next = self.paths.len() as u32 + 1;
        let id = *self
            .paths
            .entry((parent, callsite_key(meta)))
            .or_insert(next);
        if id == next {
            self.shape.push((parent, depth));
            self.new_paths.push(Path { id, parent, meta });
        }
        id
    }

    fn depth(&self, path: u32) -> u16 {
        if path == ROOT {
            0
        } else {
            self.shape[path as usize - 1].1
        }
    }

    /// The id of an event message (its JSON string), made if new and room is left.
    pub(crate) fn message(&mut self, text: &[u8]) -> u32 {
        if let Some(&id) = self.messages.get(text) {
            return id;
        }
        if self.messages.len() >= MESSAGES {
            return OTHER_MESSAGE;
        }
        let id = self.messages.len() as u32 + 1;
        self.messages.insert(text.to_vec(), id);
        self.new_messages.push((id, text.to_vec()));
        id
    }

    /// What was made since the last call, for JavaScript.
    pub(crate) fn take_new(&mut self) -> (Vec<Path>, Vec<(u32, Vec<u8>)>) {
        (
            std::mem::take(&mut self.new_paths),
            std::mem::take(&mut self.new_messages),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::meta;

    #[test]
    fn a_path_is_made_once_and_sent_once_parents_first() {
        let mut interned = Interned::default();
        let root = interned.path(ROOT, meta());
        let child = interned.path(root, meta());
        assert_eq!((root, child), (1, 2));
        assert_eq!(interned.path(root, meta()), child);
        let (paths, _) = interned.take_new();
        assert_eq!(
            paths.iter().map(|p| (p.id, p.parent)).collect::<Vec<_>>(),
            [(1, ROOT), (2, 1)]
        );
        assert!(interned.take_new().0.is_empty());
    }

    #[test]
    fn paths_stop_at_max_depth() {
        let mut interned = Interned::default();
        let mut path = ROOT;
        let mut ids = Vec::new();
        for _ in 0..(MAX_DEPTH as usize + 50) {
            path = interned.path(path, meta());
            ids.push(path);
        }
        assert_eq!(interned.take_new().0.len(), MAX_DEPTH as usize);
        // Deeper levels of one callsite fold into the deepest.
        assert!(ids[MAX_DEPTH as usize..]
            .iter()
            .all(|&id| id == MAX_DEPTH as u32));
    }

    #[test]
    fn messages_are_kept_up_to_a_bound() {
        let mut interned = Interned::default();
        assert_eq!(interned.message(b"\"a\""), 1);
        assert_eq!(interned.message(b"\"a\""), 1);
        for n in 0..MESSAGES {
            interned.message(format!("\"{n}\"").as_bytes());
        }
        assert_eq!(interned.message(b"\"one too many\""), OTHER_MESSAGE);
        assert_eq!(interned.take_new().1.len(), MESSAGES);
    }
}
