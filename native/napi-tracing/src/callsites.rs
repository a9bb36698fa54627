//! Small numeric ids for callsites, so records name a callsite in four bytes.
//!
//! The table belongs to this addon (each cdylib links its own copy), and it
//! only grows: an addon has a fixed, small set of callsites.

use rustc_hash::FxHashMap;
use std::sync::{OnceLock, RwLock};
use tracing_core::callsite::Identifier;
use tracing_core::Metadata;

use crate::sync::{read, write};

fn table() -> &'static RwLock<FxHashMap<Identifier, u32>> {
    static TABLE: OnceLock<RwLock<FxHashMap<Identifier, u32>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// The id of the callsite that produced `meta`, assigned on first sight.
pub(crate) fn id_of(meta: &Metadata<'_>) -> u32 {
    let key = meta.callsite();
    if let Some(id) = read(table()).get(&key) {
        return *id;
    }
    let mut table = write(table());
    let next = table.len() as u32 + 1;
    *table.entry(key).or_insert(next)
}
