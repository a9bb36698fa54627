//! How napi-tracing reaches the addon's spans: as its global default, as
//! the scoped default of the JavaScript thread, as a layer of the addon's
//! own subscriber, or around it. Chosen when a session starts
//! (`Tracing.start({ subscriber })`, the plugin's `subscriber` option).
//!
//! `tracing` has one global default per process (per addon: each cdylib
//! links its own `tracing-core`), and it can be set once. An addon that
//! installs its own subscriber with `init()` after napi-tracing took the
//! global default panics inside a napi call, which aborts the process;
//! with `try_init()` its subscriber is refused. So:
//!
//! - `wrap`: the addon's subscriber is `napi_tracing::wrap(..)`: napi-tracing
//!   installs nothing and traces every thread's spans through it, whatever
//!   the subscriber's filters. Taken whenever the addon runs one, whatever
//!   was asked, with no decision to make.
//! - `global`: napi-tracing installs the global default, and sees every
//!   thread's spans; the addon must not install a subscriber of its own.
//! - `scoped`: napi-tracing is the default of the JavaScript thread only
//!   and leaves the global default to the addon: it sees the spans made on
//!   the JavaScript thread, and work carried to other threads with
//!   `napi_tracing::Caller`, until the addon installs its own subscriber;
//!   from then on it sees what that subscriber hands it (wrapped, or
//!   through `napi_tracing::layer()`), or nothing (said in the stats' notes).
//! - `layer`: napi-tracing installs nothing and sees what the addon's
//!   subscriber's `napi_tracing::layer()` hands it, every thread's spans,
//!   whenever the addon installs it; less what a global filter in that
//!   subscriber keeps from it (said in the notes).
//! - `auto` (the default): `wrap` or `layer` when the addon already runs such
//!   a subscriber; refused (with the fix named) when it runs one without
//!   either; `scoped` when the addon's code wraps its subscriber or calls
//!   tracing-subscriber's `init()` (both found in its binary's read-only
//!   data, which stripped builds keep: it would abort the process under
//!   `global`); else `global`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use tracing_core::dispatcher::{self, DefaultGuard};
use tracing_core::subscriber::NoSubscriber;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};

use crate::dispatch::calibration;
use crate::dispatch::subscribers::as_layer::LayerMarker;
use crate::dispatch::subscribers::own::{dispatch, Core};
use crate::dispatch::subscribers::wrap::WrapMarker;

/// How a start asks napi-tracing to reach the addon's spans.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Requested {
    #[default]
    Auto,
    Global,
    Scoped,
    Layer,
}

/// How a session reaches the addon's spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Global,
    Scoped,
    Layer,
    Wrap,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Scoped => "scoped",
            Mode::Layer => "layer",
            Mode::Wrap => "wrap",
        }
    }
}

/// What the calling thread's default dispatcher is, seen from outside any dispatch.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Nothing,
    Ours,
    /// The addon's own subscriber, wrapped by `napi_tracing::wrap()`.
    Wrapped,
    /// The addon's own subscriber, with napi-tracing's layer in it or not.
    Addons {
        with_layer: bool,
    },
}

fn found() -> Found {
    dispatcher::get_default(|d| {
        if d.is::<NoSubscriber>() {
            Found::Nothing
        } else if d.is::<Core>() {
            Found::Ours
        } else if d.downcast_ref::<WrapMarker>().is_some() {
            Found::Wrapped
        } else {
            Found::Addons {
                with_layer: d.downcast_ref::<LayerMarker>().is_some(),
            }
        }
    })
}

/// What holds the global default once the `set_global_default` that took
/// it has finished. Worker threads of one process share the addon's global
/// default, and start tracing at once: the one that lost the race to set
/// it sees `Nothing` while the winner is still setting it, then its own.
fn settled_global() -> Found {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let now = found();
        if now != Found::Nothing || std::time::Instant::now() > until {
            return now;
        }
        std::thread::yield_now();
    }
}

static GLOBAL: AtomicBool = AtomicBool::new(false);

/// Makes napi-tracing's subscriber the addon's global default; one another
/// worker thread of the process set first is as good.
fn take_global() -> Result<(), String> {
    if dispatcher::set_global_default(dispatch().clone()).is_err()
        && settled_global() != Found::Ours
    {
        return Err(OWN_SUBSCRIBER.to_owned());
    }
    GLOBAL.store(true, Ordering::Release);
    Ok(())
}

/// Whether napi-tracing holds the addon's global default.
pub(crate) fn holds_global() -> bool {
    GLOBAL.load(Ordering::Acquire)
}

/// How a start reaches the spans; the guard of a scoped default, to keep
/// on the JavaScript thread until the session stops; a note for the user.
pub(crate) struct Installed {
    pub(crate) mode: Mode,
    pub(crate) guard: Option<DefaultGuard>,
    pub(crate) note: Option<String>,
}

/// Makes napi-tracing reach the addon's spans as `requested`, from the
/// calling JavaScript thread (which has no session). Fails, with the fix,
/// when the addon's own subscriber leaves no way in.
pub(crate) fn install(requested: Requested) -> Result<Installed, String> {
    let here = found();
    let mode = match (requested, &here) {
        (_, Found::Ours) => Mode::Global,
        (_, Found::Wrapped) => Mode::Wrap,
        (Requested::Layer, _) | (Requested::Auto, Found::Addons { with_layer: true }) => {
            Mode::Layer
        }
        (Requested::Global | Requested::Auto, Found::Addons { with_layer: false }) => {
            return Err(OWN_SUBSCRIBER.to_owned())
        }
        (Requested::Global, Found::Addons { with_layer: true }) => Mode::Layer,
        (Requested::Scoped, _) => Mode::Scoped,
        (Requested::Global, Found::Nothing) => Mode::Global,
        (Requested::Auto, Found::Nothing) if binary().wraps || binary().calls_init => Mode::Scoped,
        (Requested::Auto, Found::Nothing) => Mode::Global,
    };
    let mut note = None;
    let guard = match mode {
        Mode::Global if here != Found::Ours => {
            take_global()?;
            None
        }
        Mode::Scoped => {
            if requested == Requested::Auto {
                note = Some(
                    if binary().wraps {
                        WRAP_NOT_YET
                    } else {
                        SCOPED_FOR_INIT
                    }
                    .to_owned(),
                );
            }
            Some(dispatcher::set_default(dispatch()))
        }
        _ => None,
    };
    Ok(Installed { mode, guard, note })
}

/// From the JavaScript thread outside any dispatch: whether the addon's
/// subscriber is wrapped (`napi_tracing::wrap()`).
pub(crate) fn wrapped_now() -> bool {
    found() == Found::Wrapped
}

/// In scoped mode, from the JavaScript thread outside any dispatch: has the
/// addon installed its own global subscriber since? Peeks past the thread's
/// own default by dropping `guard` and setting it again, unless the addon's
/// subscriber is found: then the guard stays dropped, so that the thread's
/// spans go to the addon's subscriber (and through napi-tracing's layer, if
/// it has it). Returns the mode from now on.
pub(crate) fn follow_scoped(guard: &mut Option<DefaultGuard>) -> Option<(Mode, Option<String>)> {
    let ours = guard.take()?;
    drop(ours);
    match found() {
        Found::Wrapped => Some((Mode::Wrap, None)),
        Found::Addons { with_layer: true } => Some((Mode::Layer, None)),
        Found::Addons { with_layer: false } => {
            Some((Mode::Scoped, Some(INSTALLED_ITS_OWN.to_owned())))
        }
        Found::Nothing | Found::Ours => {
            *guard = Some(dispatcher::set_default(dispatch()));
            None
        }
    }
}

/// The edit that traces every span of an addon with a subscriber of its own.
pub(crate) const THE_EDIT: &str = "wrap the subscriber in its init line, \
     napi_tracing::wrap(tracing_subscriber::registry().with(...).with(...)).init(), which traces every \
     thread's spans whatever its filters and keeps its own output as it is";

const OWN_SUBSCRIBER: &str = "this addon already runs a global tracing subscriber of its own, \
     so napi-tracing cannot see its spans. To trace them, wrap the subscriber in its init line: \
     napi_tracing::wrap(tracing_subscriber::registry().with(...).with(...)).init() traces every \
     thread's spans whatever its filters and keeps its own output as it is; or trace the \
     JavaScript thread alone with subscriber: 'scoped'";

pub(crate) const SCOPED_FOR_INIT: &str =
    "this addon calls tracing-subscriber's init(), which panics (and so \
     aborts the process) when another subscriber holds the global default: napi-tracing traces \
     the JavaScript thread only (subscriber: 'scoped') and leaves the global default to the addon. \
     To trace every thread, wrap the subscriber in its init line: \
     napi_tracing::wrap(tracing_subscriber::registry().with(...).with(...)).init()";

pub(crate) const WRAP_NOT_YET: &str = "this addon wraps its tracing subscriber \
     (napi_tracing::wrap), but had not installed it when tracing started: napi-tracing traces the \
     JavaScript thread only (subscriber: 'scoped') until the addon installs it, and every thread's \
     spans from then on";

const INSTALLED_ITS_OWN: &str = "this addon installed a global tracing subscriber of its own \
     without napi-tracing, so napi-tracing traces none of its spans from then on. To trace every \
     thread and keep its output, wrap the subscriber in its init line: \
     napi_tracing::wrap(tracing_subscriber::registry().with(...).with(...)).init()";

/// In `layer` mode, from the JavaScript thread outside any dispatch: what
/// keeps spans from napi-tracing's layer, if anything does. A filter that
/// is global (not per layer) decides for every layer of the subscriber,
/// napi-tracing's too, whether it stands above or below it: asked about a
/// callsite every napi-tracing layer wants (the calibration one, TRACE), a
/// subscriber with only per-layer filters still wants it, and one with a
/// global filter that turns anything off does not.
pub(crate) fn kept_from_layer() -> Option<String> {
    calibration::register();
    dispatcher::get_default(|d| {
        if d.downcast_ref::<LayerMarker>().is_none() || d.downcast_ref::<WrapMarker>().is_some() {
            return None;
        }
        if !d.register_callsite(calibration::meta()).is_never() {
            return None;
        }
        let filter = if d.downcast_ref::<EnvFilter>().is_some() {
            "an EnvFilter"
        } else if d.downcast_ref::<Targets>().is_some() {
            "a Targets filter"
        } else if d.downcast_ref::<LevelFilter>().is_some() {
            "a LevelFilter"
        } else {
            "a filter"
        };
        Some(format!(
            "this addon's subscriber has a global filter ({filter} added with .with(), not \
             .with_filter() on one layer), which decides for every layer, napi_tracing::layer() \
             too: napi-tracing sees only the spans it lets through. To trace every span the \
             plugin's filter asks for, drop .with(napi_tracing::layer()) and instead {THE_EDIT}"
        ))
    })
}

/// What this addon's binary shows of its code (see [`binary`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Binary {
    /// It calls tracing-subscriber's `init()`.
    calls_init: bool,
    /// It wraps its subscriber with `napi_tracing::wrap()`.
    wraps: bool,
}

/// The panic messages of tracing-subscriber's `init()`s (0.3.0 to 0.3.23),
/// written backwards: `SubscriberInitExt::init`'s, and `fmt::init`'s and
/// `SubscriberBuilder::init`'s. Forwards they would be in this crate's own
/// read-only data, and so in every addon's.
const INIT_MESSAGES: [&str; 2] = [
    "rebircsbus tluafed labolg tes ot deliaf",
    "rebircsbus labolg llatsni ot elbanU",
];

/// `wrap.rs`'s marker, written backwards.
const WRAP_MARKER: &str = "rebircsbus gnicart s'nodda siht sparw gnicart-ipan";

/// What this addon's own code does, read from its binary's read-only data
/// (which stripped release builds keep): the text of tracing-subscriber's
/// `init()` panic, kept only when the addon calls it (the linker drops
/// what no code uses), and `napi_tracing::wrap()`'s marker. The file is
/// mapped, and only its read-only data sections are read. Read once per
/// process; nothing found when the file cannot be read.
fn binary() -> Binary {
    static BINARY: OnceLock<Binary> = OnceLock::new();
    *BINARY.get_or_init(|| {
        own_binary()
            .map(|path| read_binary(&path))
            .unwrap_or_default()
    })
}

fn read_binary(path: &std::path::Path) -> Binary {
    use object::{Object, ObjectSection, SectionKind};
    let Ok(file) = std::fs::File::open(path) else {
        return Binary::default();
    };
    // SAFETY: the addon's own file, mapped read-only and only read here;
    // the loader keeps it mapped too, and replacing it while the process
    // runs would break the process before this.
    let Ok(map) = (unsafe { memmap2::Mmap::map(&file) }) else {
        return Binary::default();
    };
    let Ok(parsed) = object::File::parse(&*map) else {
        return Binary::default();
    };
    let forwards = |backwards: &str| backwards.bytes().rev().collect::<Vec<u8>>();
    let init: Vec<Vec<u8>> = INIT_MESSAGES.iter().map(|m| forwards(m)).collect();
    let wrap = forwards(WRAP_MARKER);
    let mut found = Binary::default();
    let read_only = parsed.sections().filter(|s| {
        matches!(
            s.kind(),
            SectionKind::ReadOnlyData | SectionKind::ReadOnlyString
        )
    });
    for section in read_only {
        let Ok(data) = section.data() else { continue };
        let has = |needle: &[u8]| memchr::memmem::find(data, needle).is_some();
        found.calls_init |= init.iter().any(|m| has(m));
        found.wraps |= has(&wrap);
    }
    found
}

/// The path of the shared object (the addon's `.node` file) this code is in.
#[cfg(unix)]
fn own_binary() -> Option<std::path::PathBuf> {
    use std::ffi::CStr;
    use std::os::unix::ffi::OsStrExt;
    let mut info = empty_info();
    let here = own_binary as *const ();
    // SAFETY: `here` is an address in this object; `info` is a valid out pointer.
    let found = unsafe { libc::dladdr(here.cast(), &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dladdr succeeded, so dli_fname is a NUL-terminated path it owns.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    Some(std::path::PathBuf::from(std::ffi::OsStr::from_bytes(
        name.to_bytes(),
    )))
}

#[cfg(unix)]
fn empty_info() -> libc::Dl_info {
    libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    }
}

#[cfg(not(unix))]
fn own_binary() -> Option<std::path::PathBuf> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_default_another_worker_thread_set_first_is_taken_as_ours() {
        // Worker threads of one process share the addon's global default, and
        // start tracing at once: the one that loses the race to set it must
        // find napi-tracing's own there, not an addon's subscriber.
        dispatcher::set_global_default(dispatch().clone()).expect("the first to set it");
        assert_eq!(take_global(), Ok(()));
        let start = std::sync::Barrier::new(8);
        let modes: Vec<Result<Mode, String>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        install(Requested::Global).map(|i| i.mode)
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(modes.iter().all(|m| m == &Ok(Mode::Global)), "{modes:?}");
    }

    #[test]
    fn the_needles_are_written_backwards_from_what_they_look_for() {
        let forwards = |s: &str| s.chars().rev().collect::<String>();
        assert_eq!(
            forwards(INIT_MESSAGES[0]),
            "failed to set global default subscriber"
        );
        assert_eq!(
            forwards(INIT_MESSAGES[1]),
            "Unable to install global subscriber"
        );
        assert_eq!(
            forwards(WRAP_MARKER),
            crate::dispatch::subscribers::wrap::MARKER
        );
    }

    #[test]
    fn a_global_filter_under_or_over_the_layer_is_named_per_layer_filters_are_not() {
        use crate::dispatch::open_sessions;
        use crate::dispatch::subscribers::own::tests::open_session_with;
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::Layer;

        let _serial = crate::sync::lock(&crate::test_support::SERIAL);
        let session = open_session_with("debug");
        fn fmt<S>() -> impl Layer<S>
        where
            S: tracing_core::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
        {
            tracing_subscriber::fmt::layer().with_writer(std::io::sink)
        }
        let kept =
            |dispatch: tracing_core::Dispatch| dispatcher::with_default(&dispatch, kept_from_layer);
        let under = kept(tracing_core::Dispatch::new(
            tracing_subscriber::registry()
                .with(EnvFilter::new("warn"))
                .with(fmt())
                .with(crate::layer()),
        ));
        let over = kept(tracing_core::Dispatch::new(
            tracing_subscriber::registry()
                .with(crate::layer())
                .with(fmt())
                .with(Targets::new().with_target("my_addon", tracing_core::Level::TRACE)),
        ));
        let level = kept(tracing_core::Dispatch::new(
            tracing_subscriber::registry()
                .with(LevelFilter::INFO)
                .with(crate::layer()),
        ));
        let per_layer = kept(tracing_core::Dispatch::new(
            tracing_subscriber::registry()
                .with(fmt().with_filter(EnvFilter::new("warn")))
                .with(crate::layer()),
        ));
        let wrapped = kept(tracing_core::Dispatch::new(crate::wrap(
            tracing_subscriber::registry()
                .with(EnvFilter::new("warn"))
                .with(crate::layer()),
        )));
        open_sessions::unregister(&session);
        assert!(
            under
                .as_deref()
                .is_some_and(|n| n.contains("(an EnvFilter") && n.contains("napi_tracing::wrap(")),
            "{under:?}"
        );
        assert!(
            over.as_deref()
                .is_some_and(|n| n.contains("(a Targets filter")),
            "{over:?}"
        );
        assert!(
            level
                .as_deref()
                .is_some_and(|n| n.contains("(a LevelFilter")),
            "{level:?}"
        );
        assert_eq!(per_layer, None);
        assert_eq!(wrapped, None);
    }

    #[test]
    fn wrap_is_found_in_the_read_only_data_of_a_binary_that_wraps() {
        // This test binary wraps subscribers (wrap.rs's tests).
        let here = std::env::current_exe().unwrap();
        assert!(read_binary(&here).wraps);
    }
}
