//! An event's values, recorded and handed back as a `ValueSet`: for making
//! the event again under another parent id (`registry_path.rs`), which
//! tracing's `Event` has no other way to do.

use std::fmt;

use tracing_core::field::{display, Field, Value, ValueSet, Visit};
use tracing_core::Event;

/// The most fields a callsite has: `tracing`'s macros accept no more.
const MAX_FIELDS: usize = 32;

enum Owned {
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    Str(String),
    /// `Debug` output, recorded again as it was written.
    Text(String),
}

struct Collect(Vec<Option<Owned>>);

impl Collect {
    fn put(&mut self, field: &Field, value: Owned) {
        if let Some(slot) = self.0.get_mut(field.index()) {
            *slot = Some(value);
        }
    }
}

impl Visit for Collect {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Owned::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Owned::U64(value));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put(field, Owned::I128(value));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.put(field, Owned::U128(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Owned::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Owned::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Owned::Str(value.to_owned()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Owned::Text(format!("{value:?}")));
    }
}

/// Calls `f` with `event`'s values as a `ValueSet` of its callsite's fields.
pub(crate) fn with_values<R>(event: &Event<'_>, f: impl FnOnce(&ValueSet<'_>) -> R) -> R {
    let set = event.metadata().fields();
    let fields: Vec<Field> = set.iter().take(MAX_FIELDS).collect();
    let mut collected = Collect((0..fields.len()).map(|_| None).collect());
    event.record(&mut collected);
    let texts: Vec<Option<tracing_core::field::DisplayValue<&str>>> = collected
        .0
        .iter()
        .map(|v| match v {
            Some(Owned::Text(text)) => Some(display(text.as_str())),
            _ => None,
        })
        .collect();
    let value = |i: usize| -> Option<&dyn Value> {
        match collected.0.get(i)?.as_ref()? {
            Owned::I64(v) => Some(v),
            Owned::U64(v) => Some(v),
            Owned::I128(v) => Some(v),
            Owned::U128(v) => Some(v),
            Owned::F64(v) => Some(v),
            Owned::Bool(v) => Some(v),
            Owned::Str(v) => Some(v),
            Owned::Text(_) => texts[i].as_ref().map(|d| d as &dyn Value),
        }
    };
    let Some(first) = fields.first() else {
        return f(&set.value_set(&[]));
    };
    // A fixed-size array (all `value_set` takes): slots beyond the fields
    // repeat the first field without a value, which records nothing.
    let values: [(&Field, Option<&dyn Value>); MAX_FIELDS] =
        std::array::from_fn(|i| match fields.get(i) {
            Some(field) => (field, value(i)),
            None => (first, None),
        });
    f(&set.value_set(&values))
}
