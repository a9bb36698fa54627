//! The `Write` tracing-chrome writes one trace file through, rewriting each
//! entry into what viewers need (see the module docs of `chrome`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::{ChromeConfig, Progress};
use crate::layers::tracks::{self, MAX_LEVEL};

/// Spans whose last poll is remembered, for the flow to the next one: a span
/// entered again after this many others were entered loses its link.
const POLLS_KEPT: usize = 1 << 16;

/// One `B` entry waiting for its `E`.
struct Open {
    uid: u64,
    begin: Value,
    /// How many levels its slice is displaced by out-of-order exits.
    level: u8,
}

/// What the name payload carries (see `name_with_payload`).
struct Payload {
    uid: u64,
    poll: u64,
    thread: Option<String>,
    args: Option<Value>,
}

/// tracing-chrome writes `[`, then one JSON entry per line, then `]`; each
/// entry is rewritten here. Writes never fail towards tracing-chrome (its
/// writer thread unwraps them): the first error is kept and reported at
/// close.
pub(super) struct TraceFile {
    out: BufWriter<File>,
    line: Vec<u8>,
    pid: u32,
    origin_us: f64,
    include_args: bool,
    include_locations: bool,
    process_name: String,
    progress: Arc<Progress>,
    finished: bool,
    /// Per thread, the `B` entries whose `E` has not come yet, innermost last.
    open: HashMap<u64, Vec<Open>>,
    /// Thread names, by tracing-chrome's tid, from the payload of the
    /// thread's first entry (tracing-chrome's own are a number for threads
    /// Rust did not name); its `thread_name` entries wait for them.
    names: HashMap<u64, String>,
    pending_names: HashMap<u64, Value>,
    /// Tracks named in this file (threads, and their displaced tracks).
    named: HashSet<u64>,
    /// The last poll of recently entered spans: (start, track), by uid.
    last_polls: HashMap<u64, (f64, u64)>,
    poll_order: VecDeque<u64>,
}

impl TraceFile {
    pub(super) fn new(
        file: File,
        config: &ChromeConfig,
        origin_us: f64,
        progress: Arc<Progress>,
    ) -> TraceFile {
        TraceFile {
            out: BufWriter::new(file),
            line: Vec::new(),
            pid: std::process::id(),
            origin_us,
            include_args: config.include_args,
            include_locations: config.include_locations,
            process_name: config.process_name.clone(),
            progress,
            finished: false,
            open: HashMap::new(),
            names: HashMap::new(),
            pending_names: HashMap::new(),
            named: HashSet::new(),
            last_polls: HashMap::new(),
            poll_order: VecDeque::new(),
        }
    }

    fn emit(&mut self, bytes: &[u8]) {
        if let Err(e) = self.out.write_all(bytes) {
            self.progress.update(|s| {
                s.error.get_or_insert_with(|| e.to_string());
            });
        }
    }

    fn entry(&mut self, value: &Value) {
        self.emit(format!(",\n{value}").as_bytes());
    }

    fn line(&mut self, line: &[u8]) {
        let line = line.trim_ascii();
        let line = line.strip_suffix(b",").unwrap_or(line);
        match line {
            b"" => {}
            b"[" => {
                let meta = json!({
                    "ph": "M", "name": "process_name", "pid": self.pid, "tid": 0,
                    "args": { "name": self.process_name },
                });
                self.emit(format!("[\n{meta}").as_bytes());
            }
            b"]" => self.finish(),
            entry => match serde_json::from_slice::<Value>(entry) {
                Ok(value) => self.rewrite(value),
                Err(e) => self.progress.update(|s| {
                    s.error.get_or_insert_with(|| {
                        format!("unreadable entry from tracing-chrome: {e}")
                    });
                }),
            },
        }
    }

    /// Rewrites one entry of tracing-chrome's and writes what it becomes.
    fn rewrite(&mut self, mut value: Value) {
        let Some(entry) = value.as_object_mut() else {
            return;
        };
        entry.insert("pid".into(), self.pid.into());
        if let Some(ts) = entry.get("ts").and_then(Value::as_f64) {
            entry.insert("ts".into(), (self.origin_us + ts).into());
        }
        let phase = entry
            .get("ph")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let tid = entry.get("tid").and_then(Value::as_u64).unwrap_or_default();
        if phase == "M" {
            // Named once its thread's first entry tells the thread's real name.
            self.pending_names.insert(tid, value);
            return;
        }
        let payload = unpack(entry);
        if let Some(thread) = payload.thread {
            self.name_thread(tid, thread);
        }
        if !self.include_locations {
            entry.remove(".file");
            entry.remove(".line");
        }
        match (self.include_args, payload.args) {
            (true, Some(mut args)) => {
                if !self.include_locations {
                    if let Some(args) = args.as_object_mut() {
                        args.remove("file");
                        args.remove("line");
                    }
                }
                entry.insert("args".into(), args);
            }
            _ => {
                entry.remove("args");
            }
        }
        match phase.as_str() {
            "B" => {
                let stack = self.open.entry(tid).or_default();
                // Inside a displaced span, its children are displaced with it.
                let level = stack.last().map_or(0, |top| top.level);
                stack.push(Open {
                    uid: payload.uid,
                    begin: value,
                    level,
                });
            }
            "E" => self.end(tid, payload.uid, payload.poll, &value),
            "i" => {
                // Instants: the spelling DevTools' engine knows; file and line are in args.
                entry.insert("ph".into(), "I".into());
                entry.remove(".file");
                entry.remove(".line");
                self.entry(&value);
            }
            _ => self.entry(&value),
        }
    }

    /// Pairs an `E` with its `B` into one complete slice. When a span exits
    /// while spans entered after it are still open (out of order), those
    /// move one level off its track, as the collect layer does.
    fn end(&mut self, tid: u64, uid: u64, poll: u64, end: &Value) {
        let stack = self.open.entry(tid).or_default();
        let Some(at) = stack.iter().rposition(|open| open.uid == uid) else {
            // Its `B` went to an earlier file.
            return;
        };
        let open = stack.remove(at);
        for outliving in &mut stack[at..] {
            outliving.level = outliving.level.max((open.level + 1).min(MAX_LEVEL));
        }
        let mut begin = open.begin;
        let start = begin.get("ts").and_then(Value::as_f64).unwrap_or_default();
        let stop = end.get("ts").and_then(Value::as_f64).unwrap_or(start);
        let track = tracks::displaced(tid, open.level);
        if open.level > 0 && self.named.insert(track) {
            let thread = self.names.get(&tid).map_or("thread", String::as_str);
            let name = tracks::name(tid, open.level, thread).unwrap_or_default();
            let meta = json!({ "ph": "M", "name": "thread_name", "pid": self.pid, "tid": track, "args": { "name": name } });
            self.entry(&meta);
        }
        if let Some(entry) = begin.as_object_mut() {
            // Fields recorded while the span was entered came with its exit.
            match end.get("args") {
                Some(args) => entry.insert("args".into(), args.clone()),
                None => entry.remove("args"),
            };
            entry.insert("ph".into(), "X".into());
            entry.insert("dur".into(), (stop - start).max(0.0).into());
            entry.insert("tid".into(), track.into());
        }
        self.entry(&begin);
        self.link_poll(&begin, uid, poll, start, track);
    }

    /// Links a span's poll to its previous one with a flow (`s` on the
    /// earlier slice, `f` on this one), as the collect layer does.
    fn link_poll(&mut self, slice: &Value, uid: u64, poll: u64, start: f64, track: u64) {
        if uid == 0 {
            return;
        }
        if let Some(&(previous, previous_track)) = self.last_polls.get(&uid).filter(|_| poll > 1) {
            let id = format!("{}.{uid}.{poll}", self.pid);
            for (phase, ts, tid) in [("s", previous, previous_track), ("f", start, track)] {
                let mut flow = json!({
                    "ph": phase, "id": id, "name": slice["name"], "cat": slice["cat"],
                    "ts": ts, "pid": self.pid, "tid": tid,
                });
                if phase == "f" {
                    flow["bp"] = "e".into();
                }
                self.entry(&flow);
            }
        } else {
            self.poll_order.push_back(uid);
            if self.poll_order.len() > POLLS_KEPT {
                if let Some(oldest) = self.poll_order.pop_front() {
                    self.last_polls.remove(&oldest);
                }
            }
        }
        self.last_polls.insert(uid, (start, track));
    }

    /// Writes the thread's name entry once, with its real name.
    fn name_thread(&mut self, tid: u64, name: String) {
        if !self.named.insert(tid) {
            return;
        }
        self.pending_names.remove(&tid);
        let meta = json!({ "ph": "M", "name": "thread_name", "pid": self.pid, "tid": tid, "args": { "name": name } });
        self.names.insert(tid, name);
        self.entry(&meta);
    }

    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            // Threads named but never traced in this file (tracing-chrome
            // repeats its names in each file): its numbers say `thread N`.
            let pending: Vec<(u64, Value)> = self.pending_names.drain().collect();
            for (tid, mut meta) in pending {
                if self.named.insert(tid) {
                    let name = meta["args"]["name"].as_str().unwrap_or_default().to_owned();
                    if name.parse::<u64>().is_ok() {
                        meta["args"]["name"] = format!("thread {name}").into();
                    }
                    self.entry(&meta);
                }
            }
            // Spans still open when the file ends keep their `B`: viewers show
            // them running to the end of the trace.
            let open: Vec<Value> = self
                .open
                .drain()
                .flat_map(|(_, v)| v)
                .map(|open| open.begin)
                .collect();
            for entry in open {
                self.entry(&entry);
            }
            self.emit(b"\n]\n");
        }
    }
}

/// Takes the payload off an entry's name (see `name_with_payload`).
fn unpack(entry: &mut Map<String, Value>) -> Payload {
    let mut payload = Payload {
        uid: 0,
        poll: 0,
        thread: None,
        args: None,
    };
    let Some(name) = entry.get("name").and_then(Value::as_str) else {
        return payload;
    };
    // The payload is JSON, which holds no raw NUL: the last one divides.
    let Some(at) = name.rfind('\0') else {
        return payload;
    };
    let (plain, json) = (name[..at].to_owned(), &name[at + 1..]);
    if let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(json) {
        payload.uid = fields.get("u").and_then(Value::as_u64).unwrap_or(0);
        payload.poll = fields.get("k").and_then(Value::as_u64).unwrap_or(0);
        payload.thread = fields
            .remove("t")
            .and_then(|t| t.as_str().map(str::to_owned));
        payload.args = fields.remove("a");
    }
    entry.insert("name".into(), plain.into());
    payload
}

impl Write for TraceFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(&rest[..at]);
            self.line(&line);
            rest = &rest[at + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // tracing-chrome writes the separator before each entry, so the last
        // entry (or the closing `]`) has no newline yet; it is complete now.
        let rest = std::mem::take(&mut self.line);
        self.line(&rest);
        if let Err(e) = self.out.flush() {
            self.progress.update(|s| {
                s.error.get_or_insert_with(|| e.to_string());
            });
        }
        self.progress.update(|s| s.flushes += 1);
        Ok(())
    }
}

impl Drop for TraceFile {
    fn drop(&mut self) {
        let rest = std::mem::take(&mut self.line);
        self.line(&rest);
        self.finish();
        let _ = Write::flush(&mut self.out);
        self.progress.update(|s| s.finished = true);
    }
}
