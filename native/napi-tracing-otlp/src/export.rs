//! `otlpLayer`'s exporter: OpenTelemetry export through the opentelemetry crates.
//!
//! Spans go through tracing-opentelemetry into an `SdkTracerProvider` whose
//! batch processor exports them on its own thread, either over OTLP/HTTP
//! (protobuf or JSON) to `<endpoint>/v1/traces` or to OpenTelemetry's stdout
//! exporter. Around that stock pipeline this module adds what a test run needs:
//!
//! - Counting: every span that ends is counted, and so is every span an export
//!   delivered, so `close` can report how many never arrived and why.
//! - Bounds: `flush` and `close` return within the configured timeout even
//!   when the endpoint is down; a single export is given less than that, so
//!   the last one can still fail (and be counted) before `close` gives up.
//! - Silence: what the exporter and its HTTP stack trace themselves must not
//!   reach our own layers. The batch thread mutes itself in `export`, and the
//!   HTTP client runs on a runtime of ours whose threads are muted too
//!   (reqwest's blocking client would run hyper on a thread we cannot reach).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider, Span, SpanData,
    SpanExporter, SpanProcessor,
};
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::Registry;

use napi_tracing::extension::{mute_this_thread, BoxedLayer, Closed, OtlpConfig, Output};

/// Locks `mutex`, also after a panic elsewhere poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where spans go when no endpoint is given (the TypeScript side's default too).
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4318";

/// Spans that may wait for the batch thread. The SDK's 2048 is easily
/// overrun by a traced test (fibonacci(20) alone makes 21891 spans) while an
/// export is on the wire; `OTEL_BSP_MAX_QUEUE_SIZE` still wins when set.
const QUEUE_SPANS: usize = 65_536;

/// The most of the timeout that `close` keeps for itself: an export gets the
/// rest, so its failure is known before `close` stops waiting.
const CLOSE_MARGIN: Duration = Duration::from_secs(1);

/// Builds the layer and the output that flushes and closes its exporter.
pub(crate) fn build(config: &OtlpConfig) -> Result<(BoxedLayer, Box<dyn Output>), String> {
    let timeout = Duration::from_millis(config.timeout_ms.max(1));
    let export_timeout = timeout - (timeout / 4).min(CLOSE_MARGIN);
    let counts = Arc::new(Counts::default());
    let (provider, destination) = if config.stdout {
        let exporter = opentelemetry_stdout::SpanExporter::default();
        (provider(exporter, config, &counts), Destination::Stdout)
    } else {
        let url = traces_url(config.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT))?;
        let protocol = protocol(config.protocol.as_deref())?;
        let exporter = http_exporter(&url, protocol, export_timeout)?;
        (provider(exporter, config, &counts), Destination::Http(url))
    };
    let scope = InstrumentationScope::builder("napi-tracing")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build();
    let layer: OpenTelemetryLayer<Registry, SdkTracer> =
        tracing_opentelemetry::layer().with_tracer(provider.tracer_with_scope(scope));
    let output = OtlpOutput {
        provider,
        counts,
        timeout,
        destination,
    };
    Ok((Box::new(layer), Box::new(output)))
}

/// `<endpoint>/v1/traces`, checked: the exporter would only fail later, span
/// by span, on an address it cannot use.
fn traces_url(endpoint: &str) -> Result<String, String> {
    let fix = "give the base URL of an OTLP/HTTP receiver, e.g. otlpLayer({ endpoint: \
               'http://127.0.0.1:4318' }); spans go to <endpoint>/v1/traces";
    let url = reqwest::Url::parse(endpoint.trim())
        .map_err(|e| format!("otlpLayer: endpoint {endpoint:?} is not a valid URL ({e}); {fix}"))?;
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(format!(
                "otlpLayer: endpoint {endpoint:?} uses https, but napi-tracing is built without \
                 TLS; use a plain http:// receiver, e.g. a local OpenTelemetry Collector at \
                 'http://127.0.0.1:4318'"
            ))
        }
        other => {
            return Err(format!(
                "otlpLayer: endpoint {endpoint:?} has the scheme {other:?}, but OTLP/HTTP needs \
                 http://; {fix}"
            ))
        }
    }
    if url.host_str().unwrap_or_default().is_empty() {
        return Err(format!(
            "otlpLayer: endpoint {endpoint:?} names no host; {fix}"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "otlpLayer: endpoint {endpoint:?} has a query or fragment, which cannot precede \
             /v1/traces; {fix}"
        ));
    }
    Ok(format!("{}/v1/traces", url.as_str().trim_end_matches('/')))
}

fn protocol(name: Option<&str>) -> Result<Protocol, String> {
    match name {
        None | Some("binary") => Ok(Protocol::HttpBinary),
        Some("json") => Ok(Protocol::HttpJson),
        Some(other) => Err(format!(
            "otlpLayer: protocol {other:?} is not supported; use 'binary' (protobuf, the \
             default) or 'json'"
        )),
    }
}

fn http_exporter(
    url: &str,
    protocol: Protocol,
    timeout: Duration,
) -> Result<opentelemetry_otlp::SpanExporter, String> {
    let client = MutedHttpClient::new(timeout)
        .map_err(|e| format!("otlpLayer: cannot set up an HTTP client for {url}: {e}"))?;
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(url)
        .with_protocol(protocol)
        // The exporter's own deadline, retries included.
        .with_timeout(timeout)
        .with_http_client(client)
        .build()
        .map_err(|e| {
            format!(
                "otlpLayer: cannot set up the OTLP/HTTP exporter for {url}: {e}; check \
                 otlpLayer's endpoint and protocol, and the OTEL_EXPORTER_OTLP_* variables"
            )
        })
}

fn provider<E>(exporter: E, config: &OtlpConfig, counts: &Arc<Counts>) -> SdkTracerProvider
where
    E: SpanExporter + 'static,
{
    let exporter = CountingExporter {
        inner: exporter,
        counts: counts.clone(),
    };
    let mut batch = BatchConfigBuilder::default();
    if std::env::var_os("OTEL_BSP_MAX_QUEUE_SIZE").is_none() {
        batch = batch.with_max_queue_size(QUEUE_SPANS);
    }
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch.build())
        .build();
    let resource = Resource::builder()
        .with_service_name(config.service_name.clone())
        .build();
    SdkTracerProvider::builder()
        .with_span_processor(CountingProcessor {
            inner: processor,
            counts: counts.clone(),
        })
        .with_resource(resource)
        .build()
}

/// What became of the spans, shared by the processor, the exporter and the output.
#[derive(Default)]
struct Counts {
    /// Spans handed to the batch processor.
    ended: AtomicU64,
    /// Spans in exports that succeeded.
    exported: AtomicU64,
    /// Spans in exports that failed.
    failed: AtomicU64,
    /// The first export error, for the warning.
    first_error: Mutex<Option<String>>,
    /// Set when `close` stopped waiting: later exports fail at once, so the
    /// batch thread ends soon instead of spending a timeout on each batch.
    abandoned: AtomicBool,
}

impl Counts {
    fn failed(&self, spans: u64, error: String) {
        self.failed.fetch_add(spans, Ordering::Relaxed);
        let mut first = lock(&self.first_error);
        first.get_or_insert(error);
    }
}

/// Counts the spans that reach the batch processor, including those its
/// queue turns away when full.
#[derive(Debug)]
struct CountingProcessor {
    inner: BatchSpanProcessor,
    counts: Arc<Counts>,
}

impl fmt::Debug for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counts")
            .field("ended", &self.ended)
            .field("exported", &self.exported)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl SpanProcessor for CountingProcessor {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        self.counts.ended.fetch_add(1, Ordering::Relaxed);
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Counts what each export delivered or lost. Runs on the batch thread.
#[derive(Debug)]
struct CountingExporter<E> {
    inner: E,
    counts: Arc<Counts>,
}

impl<E: SpanExporter> SpanExporter for CountingExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        // The batch processor's thread: whatever the exporter traces here
        // must not come back to the layers of the session it serves.
        mute_this_thread();
        let spans = batch.len() as u64;
        if self.counts.abandoned.load(Ordering::Acquire) {
            let error = "closing did not wait for it".to_owned();
            self.counts.failed(spans, error.clone());
            return Err(OTelSdkError::InternalFailure(error));
        }
        let result = self.inner.export(batch).await;
        match &result {
            Ok(()) => {
                self.counts.exported.fetch_add(spans, Ordering::Relaxed);
            }
            Err(e) => self.counts.failed(spans, e.to_string()),
        }
        result
    }

    // Both shutdowns are forwarded: exporters implement one or the other.
    fn shutdown(&self) -> OTelSdkResult {
        self.inner.shutdown()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// reqwest driven by a current-thread runtime of our own, from the calling
/// thread: hyper and its pool then run on the (muted) batch thread, and the
/// runtime's only other threads, for DNS lookups, mute themselves.
#[derive(Debug)]
struct MutedHttpClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl MutedHttpClient {
    fn new(timeout: Duration) -> Result<MutedHttpClient, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .on_thread_start(mute_this_thread)
            .thread_name("napi-tracing-otlp")
            .build()
            .map_err(|e| format!("cannot start its runtime: {e}"))?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(MutedHttpClient { client, runtime })
    }
}

#[async_trait::async_trait]
impl HttpClient for MutedHttpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        // Blocks the batch thread, as reqwest's blocking client would.
        self.runtime.block_on(self.client.send_bytes(request))
    }
}

enum Destination {
    Http(String),
    Stdout,
}

/// Flush and close for one provider.
struct OtlpOutput {
    provider: SdkTracerProvider,
    counts: Arc<Counts>,
    timeout: Duration,
    destination: Destination,
}

impl Output for OtlpOutput {
    fn flush(&self) {
        // The SDK waits up to 5 s for a flush, whatever our timeout: wait on a
        // helper thread instead, and leave it behind when the endpoint is slow.
        let provider = self.provider.clone();
        let (done, wait) = mpsc::channel();
        let helper = thread::Builder::new()
            .name("napi-tracing-otlp-flush".to_owned())
            .spawn(move || {
                mute_this_thread();
                let _ = done.send(provider.force_flush());
            });
        if helper.is_ok() {
            let _ = wait.recv_timeout(self.timeout);
        }
    }

    fn close(&self) -> Closed {
        let result = self.provider.shutdown_with_timeout(self.timeout);
        self.counts.abandoned.store(true, Ordering::Release);
        let ended = self.counts.ended.load(Ordering::Relaxed);
        let exported = self.counts.exported.load(Ordering::Relaxed);
        let dropped = ended.saturating_sub(exported);
        let mut closed = Closed {
            dropped,
            warnings: Vec::new(),
        };
        if dropped > 0 {
            let first_error = lock(&self.counts.first_error).clone();
            let failed = self.counts.failed.load(Ordering::Relaxed);
            let why = match (first_error, result) {
                (Some(error), _) => error,
                (None, Err(OTelSdkError::Timeout(_))) => format!(
                    "the export did not finish within timeoutMs ({} ms)",
                    self.timeout.as_millis()
                ),
                (None, Err(error)) => error.to_string(),
                (None, Ok(())) if failed == 0 => format!(
                    "the export queue ({QUEUE_SPANS} spans) was full; spans were made faster \
                     than they could be sent"
                ),
                (None, Ok(())) => "the export failed".to_owned(),
            };
            closed.warnings.push(match &self.destination {
                Destination::Http(url) => format!(
                    "otlpLayer: {dropped} spans could not be exported to {url}: {why}; is an \
                     OTLP/HTTP receiver listening there? Start one (e.g. an OpenTelemetry \
                     Collector), point otlpLayer's endpoint at it, or raise timeoutMs if it is slow"
                ),
                Destination::Stdout => format!(
                    "otlpLayer: {dropped} spans could not be printed by the stdout exporter: {why}"
                ),
            });
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Span as _, Tracer as _};

    fn config(endpoint: &str) -> OtlpConfig {
        OtlpConfig {
            endpoint: Some(endpoint.to_owned()),
            stdout: false,
            service_name: "unit".to_owned(),
            timeout_ms: 500,
            protocol: None,
        }
    }

    #[test]
    fn traces_url_appends_the_signal_path() {
        assert_eq!(
            traces_url("http://127.0.0.1:4318").unwrap(),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/otlp/").unwrap(),
            "http://collector:4318/otlp/v1/traces"
        );
    }

    #[test]
    fn bad_endpoints_are_named_with_the_fix() {
        for (endpoint, says) in [
            ("not a url", "is not a valid URL"),
            ("https://127.0.0.1:4318", "without TLS"),
            ("grpc://127.0.0.1:4317", "needs http://"),
            ("http://127.0.0.1:4318/?a=1", "query"),
        ] {
            let Err(err) = build(&config(endpoint)) else {
                panic!("{endpoint} was accepted");
            };
            assert!(err.contains(&format!("{endpoint:?}")), "{err}");
            assert!(err.contains(says), "{err}");
            assert!(err.starts_with("otlpLayer: "), "{err}");
        }
    }

    #[test]
    fn unknown_protocol_is_named() {
        let mut config = config("http://127.0.0.1:4318");
        config.protocol = Some("grpc".to_owned());
        let Err(err) = build(&config) else {
            panic!("accepted")
        };
        assert!(err.contains("\"grpc\"") && err.contains("'json'"), "{err}");
    }

    /// An exporter whose every export fails, like one facing a closed port.
    #[derive(Debug)]
    struct Refusing;

    impl SpanExporter for Refusing {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            Err(OTelSdkError::InternalFailure(
                "connection refused".to_owned(),
            ))
        }
    }

    #[test]
    fn failed_exports_are_dropped_spans_with_a_warning() {
        let counts = Arc::new(Counts::default());
        let config = config("http://127.0.0.1:1");
        let provider = provider(Refusing, &config, &counts);
        let tracer = provider.tracer("unit");
        for _ in 0..3 {
            tracer.start("work").end();
        }
        let output = OtlpOutput {
            provider,
            counts,
            timeout: Duration::from_secs(5),
            destination: Destination::Http("http://127.0.0.1:1/v1/traces".to_owned()),
        };
        let closed = output.close();
        assert_eq!(closed.dropped, 3);
        let [warning] = closed.warnings.as_slice() else {
            panic!("{:?}", closed.warnings)
        };
        assert!(
            warning.contains("3 spans could not be exported to http://127.0.0.1:1/v1/traces"),
            "{warning}"
        );
        assert!(warning.contains("connection refused"), "{warning}");
    }

    #[test]
    fn closing_with_nothing_lost_says_nothing() {
        let counts = Arc::new(Counts::default());
        let config = config("http://127.0.0.1:1");
        let output = OtlpOutput {
            provider: provider(Refusing, &config, &counts),
            counts,
            timeout: Duration::from_secs(5),
            destination: Destination::Stdout,
        };
        let closed = output.close();
        assert_eq!((closed.dropped, closed.warnings.len()), (0, 0));
    }
}
