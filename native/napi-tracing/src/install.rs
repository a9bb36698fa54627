//! How napi-tracing reaches the addon's spans: as its global default, as
//! the scoped default of the JavaScript thread, or as a layer of the
//! addon's own subscriber. Chosen when a session starts
//! (`Tracing.start({ subscriber })`, the plugin's `subscriber` option).
//!
//! `tracing` has one global default per process (per addon: each cdylib
//! links its own `tracing-core`), and it can be set once. An addon that
//! installs its own subscriber with `init()` after napi-tracing took the
//! global default panics inside a napi call, which aborts the process;
//! with `try_init()` its subscriber is refused. So:
//!
//! - `global`: napi-tracing installs the global default, and sees every
//!   thread's spans; the addon must not install a subscriber of its own.
//! - `scoped`: napi-tracing is the default of the JavaScript thread only
//!   and leaves the global default to the addon: it sees the spans made on
//!   the JavaScript thread, and work carried to other threads with
//!   `napi_tracing::Caller`, until the addon installs its own subscriber;
//!   from then on it sees what that subscriber's `napi_tracing::layer()`
//!   hands it, or nothing (said in the stats' notes).
//! - `layer`: napi-tracing installs nothing and sees what the addon's
//!   subscriber's `napi_tracing::layer()` hands it, every thread's spans,
//!   whenever the addon installs it.
//! - `auto` (the default): `layer` when the addon already runs a subscriber
//!   with napi-tracing's layer; refused (with the fix named) when it runs
//!   one without; `scoped` when the addon's code calls tracing-subscriber's
//!   `init()` (found in its binary's symbol table, which debug builds keep:
//!   it would abort the process under `global`); else `global`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use tracing_core::dispatcher::{self, DefaultGuard};
use tracing_core::subscriber::NoSubscriber;

use crate::config::Requested;
use crate::core::{dispatch, Core};
use crate::layer::LayerMarker;

/// How a session reaches the addon's spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Global,
    Scoped,
    Layer,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Scoped => "scoped",
            Mode::Layer => "layer",
        }
    }
}

/// What the calling thread's default dispatcher is, seen from outside any dispatch.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Nothing,
    Ours,
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
        (Requested::Layer, _) | (Requested::Auto, Found::Addons { with_layer: true }) => {
            Mode::Layer
        }
        (Requested::Global | Requested::Auto, Found::Addons { with_layer: false }) => {
            return Err(OWN_SUBSCRIBER.to_owned())
        }
        (Requested::Global, Found::Addons { with_layer: true }) => Mode::Layer,
        (Requested::Scoped, _) => Mode::Scoped,
        (Requested::Global, Found::Nothing) => Mode::Global,
        (Requested::Auto, Found::Nothing) if calls_init() => Mode::Scoped,
        (Requested::Auto, Found::Nothing) => Mode::Global,
    };
    let mut note = None;
    let guard = match mode {
        Mode::Global if here != Found::Ours => {
            if dispatcher::set_global_default(dispatch().clone()).is_err()
                && settled_global() != Found::Ours
            {
                return Err(OWN_SUBSCRIBER.to_owned());
            }
            GLOBAL.store(true, Ordering::Release);
            None
        }
        Mode::Scoped => {
            if requested == Requested::Auto {
                note = Some(SCOPED_FOR_INIT.to_owned());
            }
            Some(dispatcher::set_default(dispatch()))
        }
        _ => None,
    };
    Ok(Installed { mode, guard, note })
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

const OWN_SUBSCRIBER: &str = "this addon already runs a global tracing subscriber of its own, \
     so napi-tracing cannot see its spans. Add napi-tracing's layer to it: \
     tracing_subscriber::registry().with(your_layers).with(napi_tracing::layer()).init() traces \
     every thread's spans and keeps your own output; or trace the JavaScript thread alone with \
     subscriber: 'scoped'";

pub(crate) const SCOPED_FOR_INIT: &str =
    "this addon calls tracing-subscriber's init(), which panics (and so \
     aborts the process) when another subscriber holds the global default: napi-tracing traces \
     the JavaScript thread only (subscriber: 'scoped') and leaves the global default to the addon. \
     Spans made on other threads are traced once the addon's subscriber has napi-tracing's layer: \
     add .with(napi_tracing::layer()) to its init";

const INSTALLED_ITS_OWN: &str = "this addon installed a global tracing subscriber of its own \
     without napi-tracing's layer, so napi-tracing traces none of its spans from then on. Add \
     .with(napi_tracing::layer()) to that subscriber's init to trace every thread and keep its output";

/// Whether this addon's own code calls tracing-subscriber's `init()`:
/// `SubscriberInitExt::init`, `SubscriberBuilder::init` or `fmt::init`,
/// found by name among the functions the linker kept (the binary's symbol
/// table, which debug builds keep; its debug info names functions the
/// linker dropped, and is not read). napi-tracing itself never calls them.
/// A stripped build has no symbol table to read, and is taken not to. Read
/// once per process.
fn calls_init() -> bool {
    static CALLS: OnceLock<bool> = OnceLock::new();
    *CALLS.get_or_init(|| {
        use object::{Object, ObjectSymbol};
        let Some(bytes) = own_binary().and_then(|path| std::fs::read(path).ok()) else {
            return false;
        };
        let Ok(file) = object::File::parse(&*bytes) else {
            return false;
        };
        let named = |name: &str| is_init(name.as_bytes());
        file.symbols().any(|s| s.name().is_ok_and(named))
            || file.dynamic_symbols().any(|s| s.name().is_ok_and(named))
    })
}

/// Whether a (mangled) symbol name is one of tracing-subscriber's `init()`
/// functions: mangled names carry each path segment with its length in
/// front, so `init` is `4init` and `try_init` is `8try_init`.
fn is_init(name: &[u8]) -> bool {
    let has = |part: &[u8]| memchr::memmem::find(name, part).is_some();
    has(b"18tracing_subscriber")
        && (has(b"3fmt4init")
            || ((has(b"SubscriberInitExt") || has(b"SubscriberBuilder")) && has(b"4init")))
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
    use super::{install, is_init, Mode};
    use crate::config::Requested;

    #[test]
    fn worker_threads_starting_at_once_all_take_the_global_default_they_share() {
        // Worker threads of one process share the addon's global default; each
        // starts tracing when its first test file loads, all at once. 'auto'
        // looks at the addon's binary first (once, the others waiting), which
        // lets them all reach set_global_default together.
        let start = std::sync::Barrier::new(8);
        let modes: Vec<Result<Mode, String>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        install(Requested::Auto).map(|i| i.mode)
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(modes.iter().all(|m| m == &Ok(Mode::Global)), "{modes:?}");
    }

    #[test]
    fn init_is_known_by_its_mangled_names_and_try_init_is_not() {
        for name in [
            "_ZN18tracing_subscriber4util17SubscriberInitExt4init17h0123456789abcdefE",
            "_ZN18tracing_subscriber3fmt4init17h0123456789abcdefE",
            "_ZN18tracing_subscriber3fmt49SubscriberBuilder$LT$N$C$E$C$F$C$W$GT$4init17h0123456789abcdefE",
        ] {
            assert!(is_init(name.as_bytes()), "{name}");
        }
        for name in [
            "_ZN18tracing_subscriber4util17SubscriberInitExt8try_init17h0123456789abcdefE",
            "_ZN18tracing_subscriber3fmt8try_init17h0123456789abcdefE",
            "_ZN11my_own_addon4init17h0123456789abcdefE",
        ] {
            assert!(!is_init(name.as_bytes()), "{name}");
        }
    }
}
