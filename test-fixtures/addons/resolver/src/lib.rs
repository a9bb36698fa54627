//! A module resolver binding, shaped like real napi-rs packages: a class
//! whose constructor sets up the addon's own logging, `debug_span!`s only,
//! and asynchronous work on the libuv pool and on threads of its own.
#![deny(clippy::all)]

mod logging;

use std::collections::HashMap;
use std::sync::Mutex;
use std::thread;

use napi::bindgen_prelude::{AsyncTask, Env, Result, Task};
use napi_derive::napi;
use tracing::debug_span;

napi_tracing::export_tracing_api!();

#[napi_derive::module_init]
fn init() {
    logging::on_load();
}

/// Resolves requests against a root folder, caching what it found.
#[napi]
pub struct Resolver {
    root: String,
    cache: Mutex<HashMap<String, String>>,
}

/// What resolving costs: a few path steps, each a span.
fn lookup(root: &str, request: &str) -> String {
    let _lookup = debug_span!("lookup", request).entered();
    let mut path = root.to_owned();
    for part in request.split('/').filter(|p| !p.is_empty() && *p != ".") {
        let _step = debug_span!("step", part).entered();
        path.push('/');
        path.push_str(part);
    }
    path
}

#[napi]
impl Resolver {
    #[napi(constructor)]
    pub fn new(root: String) -> Self {
        logging::on_first_use();
        let _span = debug_span!("new_resolver", root = root.as_str()).entered();
        Resolver {
            root,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Resolves on the calling thread; a second call for the same request
    /// hits the cache.
    #[napi]
    pub fn resolve_sync(&self, request: String) -> String {
        let _span = debug_span!("resolve_sync", request = request.as_str()).entered();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(&request) {
            return found.clone();
        }
        tracing::warn!(request = request.as_str(), "cache miss");
        let found = lookup(&self.root, &request);
        cache.insert(request, found.clone());
        found
    }

    /// Resolves on the libuv pool: its span is made in `compute`, with no
    /// parent, as real addons' are.
    #[napi]
    pub fn resolve(&self, request: String) -> AsyncTask<Resolve> {
        AsyncTask::new(Resolve {
            root: self.root.clone(),
            request,
            caller: None,
        })
    }

    /// `resolve`, with the JavaScript caller carried into `compute`.
    #[napi]
    pub fn resolve_carried(&self, request: String) -> AsyncTask<Resolve> {
        AsyncTask::new(Resolve {
            root: self.root.clone(),
            request,
            caller: Some(napi_tracing::caller()),
        })
    }

    /// Resolves on a thread of the addon's own (joined before returning),
    /// with or without the caller carried into it.
    #[napi]
    pub fn resolve_on_thread(&self, request: String, carry: bool) -> String {
        let root = self.root.clone();
        let caller = carry.then(napi_tracing::caller);
        thread::Builder::new()
            .name("resolver-worker".to_owned())
            .spawn(move || {
                let work = || debug_span!("resolve_on_thread").in_scope(|| lookup(&root, &request));
                match caller {
                    Some(caller) => caller.in_scope(work),
                    None => work(),
                }
            })
            .expect("spawn the resolver thread")
            .join()
            .unwrap_or_default()
    }
}

/// Resolving on the libuv pool.
pub struct Resolve {
    root: String,
    request: String,
    caller: Option<napi_tracing::Caller>,
}

impl Task for Resolve {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let work = || {
            debug_span!("resolve", request = self.request.as_str())
                .in_scope(|| lookup(&self.root, &self.request))
        };
        Ok(match &self.caller {
            Some(caller) => caller.in_scope(work),
            None => work(),
        })
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}
