//! Panics, written down where the worker's report will read them.
//!
//! A panic inside a napi call unwinds into Node, which aborts the process:
//! the worker dies, and its own output may not say why. While a session
//! that asked for it is open, a panic hook (chained before the one already
//! installed, which still prints as before) appends one line to the
//! session's file: the thread, where the panic happened and its message.
//! It is written in one `write`, so a line is whole or absent.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::panic::PanicHookInfo;
use std::sync::{Mutex, Once};

use crate::sync::lock;
use crate::thread_info;

/// The files of the sessions that asked, by session id.
static FILES: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());

/// Writes the panics of this process into `path` while session `session` is open.
pub(crate) fn watch(session: u64, path: String) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            note(info);
            previous(info);
        }));
    });
    lock(&FILES).push((session, path));
}

/// Stops writing into session `session`'s file.
pub(crate) fn unwatch(session: u64) {
    lock(&FILES).retain(|(s, _)| *s != session);
}

fn note(info: &PanicHookInfo<'_>) {
    // A panic while FILES is held (inside this module) must not deadlock.
    let Ok(files) = FILES.try_lock() else { return };
    if files.is_empty() {
        return;
    }
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    let location = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()))
        .unwrap_or_default();
    let thread = thread_info::with_current(|t| t.name.clone());
    let line = serde_json::json!({
        "kind": "panic",
        "pid": std::process::id(),
        "thread": thread,
        "location": location,
        "message": message,
    });
    let mut text = line.to_string();
    text.push('\n');
    for (_, path) in files.iter() {
        if let Ok(mut file) = OpenOptions::new().append(true).open(path) {
            let _ = file.write_all(text.as_bytes());
        }
    }
}
