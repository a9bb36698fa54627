// The workload and the addons' subscribers the wrapper is tested with:
// included by tests/wrap_keeps_the_addons_output.rs and by wrap.rs's unit
// tests, which bring the `use`s.

/// What a fmt layer writes, kept.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

impl Output {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl io::Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Output {
    type Writer = Output;
    fn make_writer(&'a self) -> Output {
        self.clone()
    }
}

/// tracing-subscriber's fmt layer writing to `out`, with nothing in its
/// lines that changes between runs (no time, no colours).
fn fmt<S>(out: &Output) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(out.clone())
        .with_ansi(false)
        .without_time()
        .with_span_events(FmtSpan::NEW | FmtSpan::ENTER | FmtSpan::EXIT)
}

/// A field value whose computation makes spans and events of its own.
fn computed() -> u64 {
    tracing::warn_span!("in_a_field").in_scope(|| {
        tracing::debug!("debug in a field");
        tracing::warn!("warn in a field");
        7
    })
}

/// Spans and events of every kind the wrapper handles differently: at
/// DEBUG (which the addons' filters below turn off) and WARN; with
/// explicit parents either kind; a decision asked for and never
/// followed (`enabled!`); field values that make spans; records,
/// follows-from; spans made on other threads under a parent.
fn workload() {
    let outer = tracing::debug_span!("outer", n = 1).entered();
    tracing::warn!(x = 2, "warn in a debug span");
    tracing::info!("info, turned off");
    let warned = tracing::warn_span!("warned", k = tracing::field::Empty);
    warned.in_scope(|| {
        tracing::warn!("in a warn span");
        let _debug = tracing::debug_span!("debug_in_warn").entered();
        tracing::error!("error in a debug span in a warn span");
    });
    warned.record("k", "recorded");
    let debug = tracing::debug_span!("debug_parent");
    tracing::warn!(parent: &debug, "warn with an explicit debug parent");
    tracing::warn!(parent: &warned, "warn with an explicit warn parent");
    tracing::warn_span!(parent: &debug, "warn_child_of_debug")
        .in_scope(|| tracing::warn!("in a warn child of a debug span"));
    // Asked, and followed by no span or event of the same callsite.
    let _ = tracing::enabled!(Level::DEBUG);
    let _ = tracing::enabled!(Level::WARN);
    let later = tracing::warn_span!("after_enabled", v = computed());
    later.in_scope(|| tracing::warn!("after enabled! and a computed field"));
    later.follows_from(&warned);
    later.follows_from(&debug);
    for n in 0..3 {
        let dispatch = dispatcher::get_default(Dispatch::clone);
        let (warned, debug) = (warned.clone(), debug.clone());
        std::thread::spawn(move || {
            dispatcher::with_default(&dispatch, || {
                tracing::warn_span!(parent: &warned, "on_a_thread", n).in_scope(|| {
                    let _d = tracing::debug_span!(parent: &debug, "debug_on_a_thread").entered();
                    tracing::warn!(n, "warn on a thread");
                });
            })
        })
        .join()
        .unwrap();
    }
    drop(outer);
}

/// Each way an addon filters: the subscriber it builds, writing to `out`.
fn addons_subscriber(shape: &str, out: &Output) -> Box<dyn Subscriber + Send + Sync> {
    match shape {
        "EnvFilter" => Box::new(
            tracing_subscriber::registry()
                .with(EnvFilter::new("warn"))
                .with(fmt(out)),
        ),
        "Targets" => Box::new(
            tracing_subscriber::registry()
                .with(Targets::new().with_default(Level::WARN))
                .with(fmt(out)),
        ),
        "LevelFilter" => Box::new(
            tracing_subscriber::registry()
                .with(LevelFilter::WARN)
                .with(fmt(out)),
        ),
        "filter over the layers" => Box::new(
            tracing_subscriber::registry()
                .with(fmt(out))
                .with(EnvFilter::new("warn")),
        ),
        "per-layer filters" => Box::new(
            tracing_subscriber::registry()
                .with(fmt(out).with_filter(LevelFilter::WARN))
                .with(fmt(out).with_filter(EnvFilter::new("error,napi_tracing[warned]=trace"))),
        ),
        "fmt().with_env_filter()" => Box::new(
            tracing_subscriber::fmt()
                .with_env_filter("warn")
                .with_writer(out.clone())
                .with_ansi(false)
                .without_time()
                .with_span_events(FmtSpan::NEW | FmtSpan::ENTER | FmtSpan::EXIT)
                .finish(),
        ),
        other => panic!("no subscriber shape {other}"),
    }
}

const SHAPES: [&str; 6] = [
    "EnvFilter",
    "Targets",
    "LevelFilter",
    "filter over the layers",
    "per-layer filters",
    "fmt().with_env_filter()",
];

