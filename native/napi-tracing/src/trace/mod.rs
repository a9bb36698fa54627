//! Trace entries, the one writer of them, and their JSON.
//!
//! A traced thread records what happened as fixed-size [`Entry`] values in
//! a [`Batch`] of its own (a slice, a lifetime, an instant, a flow end), with span and
//! event fields kept as the binary field encoding of `protocol/`; the
//! session's writer thread (`writer.rs`) turns batches into Chrome trace
//! JSON (`json.rs`) and writes them. The traced thread never formats JSON,
//! never waits for the disk, and never takes a lock another thread holds
//! per span. The collect layer's worker trace and the chrome layer's file
//! are both written this way, with the same track placement (`protocol/tracks.rs`).

pub(crate) mod fields;
pub(crate) mod json;
pub(crate) mod writer;

use tracing_core::Metadata;

/// A part of a batch's bytes: `(offset, length)`.
pub(crate) type Bytes = (u32, u32);

/// One trace entry, as a traced thread records it.
pub(crate) enum Entry {
    /// A complete slice: a span entered at `start` for `dur` ns on `track`;
    /// `fields` are its fields in the binary field encoding; `by_time` when
    /// the span was placed in its test by time alone (its args say so).
    Slice {
        meta: &'static Metadata<'static>,
        start: u64,
        dur: u64,
        track: u64,
        fields: Bytes,
        by_time: bool,
    },
    /// The lifetime of span `uid`, never entered, created at `start` on
    /// thread `tid` and closed `dur` ns later (an async slice, see
    /// `json::lifetime`).
    Lifetime {
        meta: &'static Metadata<'static>,
        start: u64,
        dur: u64,
        tid: u64,
        uid: u64,
        fields: Bytes,
        by_time: bool,
    },
    /// A `tracing` event at `ts` on `track`, named by its message.
    Instant {
        meta: &'static Metadata<'static>,
        ts: u64,
        track: u64,
        fields: Bytes,
    },
    /// One end of the flow between two consecutive polls of span `uid`
    /// (`s` on the earlier slice, `f` on the later one, poll `poll`).
    Flow {
        meta: &'static Metadata<'static>,
        phase: u8,
        uid: u64,
        poll: u32,
        ts: u64,
        track: u64,
    },
    /// Names a track (written only into files that name their own tracks).
    Name { track: u64, name: Bytes },
}

/// Entries one thread recorded, with the bytes they point into.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) entries: Vec<Entry>,
    pub(crate) bytes: Vec<u8>,
}

/// Entries a thread records before it hands its batch to the writer: small
/// enough that many threads hold little, large enough that hand-overs stay
/// rare (about 200 KiB of entries).
pub(crate) const BATCH_ENTRIES: usize = 4096;

impl Batch {
    /// Copies `bytes` in, for an entry to point at.
    pub(crate) fn keep(&mut self, bytes: &[u8]) -> Bytes {
        let at = self.bytes.len() as u32;
        self.bytes.extend_from_slice(bytes);
        (at, bytes.len() as u32)
    }

    /// The bytes `part` points at.
    pub(crate) fn get(&self, (at, len): Bytes) -> &[u8] {
        self.bytes
            .get(at as usize..(at + len) as usize)
            .unwrap_or_default()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.entries.len() >= BATCH_ENTRIES
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes.clear();
    }

    /// Moves `other`'s entries in after this batch's own.
    pub(crate) fn append(&mut self, other: &mut Batch) {
        let base = self.bytes.len() as u32;
        self.bytes.append(&mut other.bytes);
        for entry in &mut other.entries {
            match entry {
                Entry::Slice { fields, .. }
                | Entry::Lifetime { fields, .. }
                | Entry::Instant { fields, .. } => fields.0 += base,
                Entry::Name { name, .. } => name.0 += base,
                Entry::Flow { .. } => {}
            }
        }
        self.entries.append(&mut other.entries);
    }
}
