//! An async key-value store, written as napi-rs addons with an async API
//! are: every operation is a `#[napi] async fn` that napi runs on its tokio
//! runtime, waits on tokio's timer as I/O would, makes `debug` spans on
//! tokio's threads (none of them under a span made on the JavaScript
//! thread), and fans lookups out to tokio tasks.
#![deny(clippy::all)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use napi_derive::napi;
use tokio::sync::RwLock;
use tokio::task::JoinSet;
use tracing::{debug, debug_span, instrument, Instrument};

mod runtime;

napi_tracing::export_tracing_api!();

/// How long one read or write of the store waits, as I/O would.
const LATENCY: Duration = Duration::from_millis(1);

/// Waits out `rounds` round trips to the store, one after another; returns
/// how many were made.
#[napi]
pub async fn ping(rounds: u32) -> u32 {
    for round in 0..rounds {
        tokio::time::sleep(LATENCY)
            .instrument(debug_span!("round_trip", round))
            .await;
    }
    rounds
}

/// A named store of string values.
#[napi]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    entries: RwLock<HashMap<String, String>>,
}

#[napi]
impl Store {
    #[napi(constructor)]
    pub fn new(name: String) -> Self {
        Store {
            inner: Arc::new(Inner {
                name,
                entries: RwLock::default(),
            }),
        }
    }

    /// Stores `value` under `key`.
    #[napi]
    pub async fn set(&self, key: String, value: String) {
        self.inner.set(key, value).await
    }

    /// The value stored under `key`, if any.
    #[napi]
    pub async fn get(&self, key: String) -> Option<String> {
        self.inner.get(&key).await
    }

    /// The values stored under `keys`, looked up at once, one tokio task each.
    #[napi]
    pub async fn get_many(&self, keys: Vec<String>) -> Vec<Option<String>> {
        self.inner.clone().get_many(keys).await
    }

    /// Loads `keys` in the background, one tokio task each, and waits for
    /// them; returns how many were found.
    #[napi]
    pub async fn warm(&self, keys: Vec<String>) -> u32 {
        self.inner.clone().warm(keys, false).await
    }

    /// `warm`, with the JavaScript caller carried into each task.
    #[napi]
    pub async fn warm_carried(&self, keys: Vec<String>) -> u32 {
        self.inner.clone().warm(keys, true).await
    }

    /// Trims every value, on tokio's blocking pool; returns how many
    /// entries there are.
    #[napi]
    pub async fn compact(&self) -> u32 {
        self.inner.clone().compact().await
    }
}

impl Inner {
    #[instrument(level = "debug", skip(self, value), fields(store = %self.name))]
    async fn set(&self, key: String, value: String) {
        tokio::time::sleep(LATENCY).await;
        self.entries.write().await.insert(key, value);
        debug!("stored");
    }

    #[instrument(level = "debug", skip(self), fields(store = %self.name))]
    async fn get(&self, key: &str) -> Option<String> {
        tokio::time::sleep(LATENCY).await;
        let value = self.entries.read().await.get(key).cloned();
        debug!(found = value.is_some(), "read");
        value
    }

    #[instrument(level = "debug", skip_all, fields(store = %self.name, keys = keys.len()))]
    async fn get_many(self: Arc<Self>, keys: Vec<String>) -> Vec<Option<String>> {
        let mut lookups = JoinSet::new();
        for (at, key) in keys.into_iter().enumerate() {
            let store = self.clone();
            lookups.spawn(async move { (at, store.get(&key).await) }.in_current_span());
        }
        let mut values = vec![None; lookups.len()];
        while let Some(done) = lookups.join_next().await {
            let (at, value) = done.expect("a lookup task panicked");
            values[at] = value;
        }
        values
    }

    /// Like `get_many`, but its tasks are not given its span: their `get`
    /// spans have no parent. With `carry`, each task carries the caller.
    #[instrument(level = "debug", skip_all, fields(store = %self.name, keys = keys.len()))]
    async fn warm(self: Arc<Self>, keys: Vec<String>, carry: bool) -> u32 {
        let mut loads = JoinSet::new();
        for key in keys {
            let store = self.clone();
            let load = async move { store.get(&key).await.is_some() };
            if carry {
                loads.spawn(napi_tracing::caller().carry(load));
            } else {
                loads.spawn(load);
            }
        }
        let mut found = 0;
        while let Some(done) = loads.join_next().await {
            found += u32::from(done.expect("a load task panicked"));
        }
        found
    }

    #[instrument(level = "debug", skip_all, fields(store = %self.name))]
    async fn compact(self: Arc<Self>) -> u32 {
        let entries = std::mem::take(&mut *self.entries.write().await);
        let rewrite = debug_span!("rewrite", entries = entries.len());
        let trimmed = tokio::task::spawn_blocking(move || {
            rewrite.in_scope(|| {
                entries
                    .into_iter()
                    .map(|(key, value)| (key, value.trim().to_owned()))
                    .collect::<HashMap<_, _>>()
            })
        })
        .await
        .expect("the rewrite panicked");
        let count = trimmed.len() as u32;
        self.entries.write().await.extend(trimmed);
        count
    }
}
