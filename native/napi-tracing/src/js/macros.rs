//! `export_tracing_api!`: the one line an addon adds.

/// Adds this addon's tracing entry points as `#[napi]` functions, typed in
/// the addon's generated `index.d.ts`:
///
/// - `napiTracingProtocol(): number`: the protocol version, checked by the
///   TypeScript package before anything else;
/// - `napiTracingBuild(): NapiTracingBuild`: the crate's version and how
///   it was optimised;
/// - `napiTracingStart(config: string, sink?: (batch: Buffer) => void): void`:
///   the sink receives the callback layers' records (the lifecycle stream);
/// - `napiTracingCaller(tag: number, slot: number): number`: tags the spans
///   this thread creates from now on (which concurrent test called) and
///   draws them on that test's track (slot 0: the thread's own); returns
///   the track's id;
/// - `napiTracingOpenSpans(): NapiTracingAnchor[]`: the collect layer's open
///   spans by anchor (for the plugin's "still open at test end");
/// - `napiTracingFlush(wait?: boolean): NapiTracingFlushed`: delivers what is
///   queued; returns what it drained from the collect layer: when its new
///   epoch began and its sums (the sums stream);
/// - `napiTracingStats(): NapiTracingStats`;
/// - `napiTracingStop(): NapiTracingStats`.
///
/// With the crate's `async-runtime` feature, it also registers napi's own
/// Tokio runtime as the addon's napi async runtime (unless the addon
/// registers one of its own), and exports `napiTracingAsyncRuntime`,
/// whether it did: the futures of the addon's `#[napi] async fn`s then
/// carry their caller.
///
/// The addon must depend on `napi` and `napi-derive` (every napi-rs addon
/// does). Call the functions through `Tracing.start()` from the TypeScript
/// package rather than directly. Each one catches panics: a panic inside
/// becomes a JavaScript error naming the entry point.
///
/// One line in the addon's `lib.rs` (put `#[cfg(feature = "napi-tracing")]`
/// above it, with napi-tracing an optional dependency, and only the tests'
/// build has the exports and the crate):
///
/// ```no_run
/// napi_tracing::export_tracing_api!();
/// # fn main() {}
/// ```
///
/// An addon that exports to OpenTelemetry (`otlpLayer`) adds the
/// `napi-tracing-otlp` crate and names its exporter here, which registers
/// it: `napi_tracing::export_tracing_api!(otlp = napi_tracing_otlp::layer);`
/// (compiled in that crate's docs).
#[macro_export]
macro_rules! export_tracing_api {
    () => {
        $crate::export_tracing_api!(@entry_points {});
    };
    (otlp = $otlp:path) => {
        $crate::export_tracing_api!(@entry_points { $crate::extension::register_otlp($otlp); });
    };
    (@entry_points { $($register:tt)* }) => {
        /// The tracing entry points `export_tracing_api!()` adds (napi-rs
        /// registers `#[napi]` items wherever they are).
        #[doc(hidden)]
        #[allow(missing_docs)]
        pub mod napi_tracing_entry_points {
            // Written `Env` and `Function<'_, ..>`: napi-derive before 3.7 knows
            // the env parameter by that exact name, and declares no lifetimes.
            use napi::bindgen_prelude::{Buffer, Function};
            use napi::Env;
            /// Counters of this thread's tracing session.
            #[napi_derive::napi(object)]
            pub struct NapiTracingStats {
                /// Records delivered to the TypeScript sink.
                pub delivered: f64,
                /// Records dropped: queue full, or JavaScript could not run.
                pub dropped: f64,
                /// Spans and events no session could claim.
                pub unattributed: f64,
                /// What went wrong in the session's outputs.
                pub warnings: Vec<String>,
                /// The OS thread id of the calling JavaScript thread.
                pub thread_id: f64,
                /// How the session reaches the addon's spans: global, scoped or layer.
                pub subscriber: String,
                /// What the session cannot trace, and why.
                pub notes: Vec<String>,
                /// Span callsites met that the filter turned off, as `LEVEL target::name`.
                pub hidden: Vec<String>,
                /// What one span costs the session on this machine (ns, measured at start; 0: not measured).
                pub span_cost_ns: f64,
            }

            impl ::core::convert::From<$crate::api::Stats> for NapiTracingStats {
                fn from(s: $crate::api::Stats) -> Self {
                    NapiTracingStats {
                        delivered: s.delivered as f64,
                        dropped: s.dropped as f64,
                        unattributed: s.unattributed as f64,
                        warnings: s.warnings,
                        thread_id: s.thread_id as f64,
                        subscriber: s.subscriber,
                        notes: s.notes,
                        hidden: s.hidden,
                        span_cost_ns: s.span_cost_ns as f64,
                    }
                }
            }

            /// Where an open span is attributed from (the collect layer).
            #[napi_derive::napi(object)]
            pub struct NapiTracingAnchor {
                /// Nanoseconds on the clock of `process.hrtime.bigint()`.
                pub ts: f64,
                /// The caller tag, 0 for none.
                pub caller: u32,
                /// How many open spans have this anchor.
                pub count: f64,
            }

            /// The collect layer's spans still open on this thread's session, by anchor.
            #[napi_derive::napi(js_name = "napiTracingOpenSpans")]
            pub fn napi_tracing_open_spans(env: Env) -> napi::Result<Vec<NapiTracingAnchor>> {
                $crate::api::guarded("napiTracingOpenSpans", || {
                    Ok($crate::api::open_spans(&env)
                        .into_iter()
                        .map(|(ts, caller, count)| NapiTracingAnchor {
                            ts: ts as f64,
                            caller,
                            count: count as f64,
                        })
                        .collect())
                })
            }

            /// The napi-tracing protocol version this addon was built with.
            #[napi_derive::napi(js_name = "napiTracingProtocol")]
            pub fn napi_tracing_protocol() -> napi::Result<u32> {
                $crate::api::guarded("napiTracingProtocol", || Ok($crate::api::protocol()))
            }

            /// How napi-tracing was built in this addon.
            #[napi_derive::napi(object)]
            pub struct NapiTracingBuild {
                /// The profile's opt-level for napi-tracing: "0" to "3", "s" or "z".
                pub opt_level: String,
                /// Whether napi-tracing was built with debug assertions.
                pub debug_assertions: bool,
                /// The napi-tracing crate's version (the npm package's, in lockstep).
                pub version: String,
            }

            /// How napi-tracing was optimised when this addon was built.
            #[napi_derive::napi(js_name = "napiTracingBuild")]
            pub fn napi_tracing_build() -> napi::Result<NapiTracingBuild> {
                $crate::api::guarded("napiTracingBuild", || {
                    let (opt_level, debug_assertions, version) = $crate::api::build();
                    Ok(NapiTracingBuild {
                        opt_level: opt_level.to_owned(),
                        debug_assertions,
                        version: version.to_owned(),
                    })
                })
            }

            /// Starts tracing on this thread. Use `Tracing.start()` instead.
            #[napi_derive::napi(js_name = "napiTracingStart")]
            pub fn napi_tracing_start(
                env: Env,
                config: String,
                sink: Option<Function<'_, Buffer, ()>>,
            ) -> napi::Result<()> {
                $crate::api::guarded("napiTracingStart", || {
                    $($register)*
                    $crate::api::start(&env, &config, sink)
                })
            }

            /// Tags the spans this thread creates from now on (0: none) and
            /// draws them on concurrent test slot `slot`'s track (0: the
            /// thread's own); returns the track's id.
            #[napi_derive::napi(js_name = "napiTracingCaller")]
            pub fn napi_tracing_caller(tag: u32, slot: u32) -> napi::Result<u32> {
                $crate::api::guarded("napiTracingCaller", || {
                    Ok($crate::api::set_caller(tag, slot))
                })
            }

            /// What a flush drained from the collect layer.
            #[napi_derive::napi(object)]
            pub struct NapiTracingFlushed {
                /// When the collect layer's new epoch began (hrtime ns), 0 without one.
                pub epoch: f64,
                /// The collect layer's sums since the last flush (one batch of the sums stream), absent without one.
                pub sums: Option<Buffer>,
            }

            /// Delivers every queued record to this thread's layers now and,
            /// unless `wait` is false, returns once they are written; returns
            /// what it drained from the collect layer.
            #[napi_derive::napi(js_name = "napiTracingFlush")]
            pub fn napi_tracing_flush(env: Env, wait: Option<bool>) -> napi::Result<NapiTracingFlushed> {
                $crate::api::guarded("napiTracingFlush", || {
                    $crate::api::flush(&env, wait.unwrap_or(true)).map(|flushed| NapiTracingFlushed {
                        epoch: flushed.epoch as f64,
                        sums: flushed.sums.map(Buffer::from),
                    })
                })
            }

            /// Counters of this thread's session.
            #[napi_derive::napi(js_name = "napiTracingStats")]
            pub fn napi_tracing_stats(env: Env) -> napi::Result<NapiTracingStats> {
                $crate::api::guarded("napiTracingStats", || Ok($crate::api::stats(&env).into()))
            }

            /// Flushes and ends this thread's session.
            #[napi_derive::napi(js_name = "napiTracingStop")]
            pub fn napi_tracing_stop(env: Env) -> napi::Result<NapiTracingStats> {
                $crate::api::guarded("napiTracingStop", || {
                    $crate::api::stop(&env).map(::core::convert::Into::into)
                })
            }

            $crate::__register_async_runtime!();
        }
    };
}

/// With the `async-runtime` feature: has napi register napi-tracing's async
/// runtime when it registers the module in the first environment, before it
/// starts the runtime (see `async_runtime.rs` for why not in a constructor).
#[cfg(feature = "async-runtime")]
#[doc(hidden)]
#[macro_export]
macro_rules! __register_async_runtime {
    () => {
        /// Has napi register napi-tracing's async runtime for this addon image.
        #[napi_derive::module_init]
        fn napi_tracing_register_async_runtime() {
            $crate::async_runtime::register_with_module();
        }
    };
}

/// Without the `async-runtime` feature: nothing to register.
#[cfg(not(feature = "async-runtime"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __register_async_runtime {
    () => {};
}
