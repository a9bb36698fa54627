//! The trace file's writer: a thread of its own per session, which turns
//! the traced threads' batches into JSON and writes them, so that a traced
//! thread never formats an entry nor waits for the disk.
//!
//! Threads hand full batches over without waiting; when the writer is so
//! far behind that its queue is full (a stalled disk), a batch is dropped
//! and its entries counted rather than blocking the traced code or growing
//! the queue. Flushes (JavaScript's, at a test's start and end and every
//! 100 ms) wait until everything handed over before them is written.
//! Written batches come back for reuse: no allocation per batch.

use std::fs::File;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rustc_hash::FxHashMap;

use super::{fields, json, Batch, Entry};
use crate::sync::lock;

/// Batches waiting for the writer, at most (about 200 KiB of entries each).
const QUEUE: usize = 32;
/// Empty batches kept for reuse, at most, and the largest kept: a batch
/// grown by a flush of many threads or by one huge field is let go.
const SPARE: usize = 8;
const SPARE_BYTES: usize = 1 << 20;
/// JSON bytes gathered before a write.
const WRITE_AT: usize = 256 << 10;
/// The arg of a slice whose span was placed in its test by time alone.
const PLACED_BY_TIME: &[u8] = b"\"napi_tracing.placed\":\"by time\"";

/// How a file's entries are framed and what they include.
#[derive(Clone, Debug)]
pub(crate) struct Format {
    /// The pid written into every entry.
    pub(crate) pid: u64,
    /// Span and event fields as `args`.
    pub(crate) include_args: bool,
    /// `.file` and `.line` of slices (tracing-chrome's keys) and `file` and
    /// `line` in events' args.
    pub(crate) slice_locations: bool,
    pub(crate) event_locations: bool,
    /// `None`: entries one per line, each followed by a comma (a worker's
    /// file, merged by copying its bytes). `Some(name)`: a whole JSON array
    /// as tracing-chrome writes it, its process named `name`.
    pub(crate) array: Option<String>,
}

enum Job {
    Write(Batch),
    /// Answered once everything before it is written.
    Flush(SyncSender<()>),
}

pub(crate) struct Writer {
    jobs: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    shared: Arc<Shared>,
}

/// What the writer thread and the traced threads share.
struct Shared {
    spare: Mutex<Vec<Batch>>,
    /// Trace entries dropped because the queue was full.
    dropped: AtomicU64,
    /// The first error writing the file.
    error: Mutex<Option<String>>,
}

impl Writer {
    pub(crate) fn start(file: File, format: Format) -> Result<Writer, String> {
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let shared = Arc::new(Shared {
            spare: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            error: Mutex::new(None),
        });
        let thread = std::thread::Builder::new()
            .name("napi-tracing writer".to_owned())
            .spawn({
                let shared = shared.clone();
                move || Out::new(file, format, &shared).run(&queue)
            })
            .map_err(|e| format!("cannot start the trace writer thread: {e}"))?;
        Ok(Writer {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(Some(thread)),
            shared,
        })
    }

    /// An empty batch: one written before when there is one to spare.
    pub(crate) fn batch(&self) -> Batch {
        lock(&self.shared.spare).pop().unwrap_or_default()
    }

    /// Hands `batch` over from a traced thread: never waits. When the queue
    /// is full, its entries are dropped and counted, and false returned.
    pub(crate) fn hand_over(&self, batch: Batch) -> bool {
        let sent = match lock(&self.jobs).as_ref() {
            Some(jobs) => jobs.try_send(Job::Write(batch)),
            None => Err(TrySendError::Disconnected(Job::Write(batch))),
        };
        match sent {
            Ok(()) => true,
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                if let Job::Write(batch) = job {
                    self.shared
                        .dropped
                        .fetch_add(batch.entries.len() as u64, Ordering::Relaxed);
                }
                false
            }
        }
    }

    /// Hands `batch` over, waiting for room in the queue: for JavaScript's
    /// flushes, which may wait and must not lose anything.
    pub(crate) fn send(&self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        // The lock is let go before waiting: traced threads take it to hand over.
        let jobs = lock(&self.jobs).clone();
        if let Some(jobs) = jobs {
            let _ = jobs.send(Job::Write(batch));
        }
    }

    /// Returns once everything handed over before is written.
    pub(crate) fn flush(&self) {
        let Some(jobs) = lock(&self.jobs).clone() else {
            return;
        };
        let (done, written) = mpsc::sync_channel(1);
        if jobs.send(Job::Flush(done)).is_ok() {
            let _ = written.recv();
        }
    }

    /// Writes what is queued, finishes the file, stops the thread.
    pub(crate) fn close(&self) {
        drop(lock(&self.jobs).take());
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
        lock(&self.shared.spare).clear();
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    pub(crate) fn take_error(&self) -> Option<String> {
        lock(&self.shared.error).take()
    }
}

/// The writer thread's side: the file, its format, and the buffers it
/// formats entries in.
struct Out<'a> {
    file: File,
    format: Format,
    shared: &'a Shared,
    text: Vec<u8>,
    /// Entries written so far (an array's separators depend on it).
    written: u64,
    scratch: Vec<u8>,
    args: Vec<u8>,
    message: Vec<u8>,
    /// The callsites' `"name":…,"cat":…`, cached in front of the shared table.
    names: FxHashMap<usize, &'static [u8]>,
}

impl<'a> Out<'a> {
    fn new(file: File, format: Format, shared: &'a Shared) -> Out<'a> {
        Out {
            file,
            format,
            shared,
            text: Vec::with_capacity(WRITE_AT + (64 << 10)),
            written: 0,
            scratch: Vec::new(),
            args: Vec::new(),
            message: Vec::new(),
            names: FxHashMap::default(),
        }
    }

    fn run(mut self, queue: &Receiver<Job>) {
        // What this thread's libraries might trace must not feed the trace.
        crate::thread_info::mute_this_thread();
        if let Some(name) = self.format.array.clone() {
            self.text.extend_from_slice(b"[\n");
            self.scratch.clear();
            json::name_entry(&mut self.scratch, "process_name", &name, self.format.pid, 0);
            self.push_entry();
        }
        for job in queue {
            match job {
                Job::Write(mut batch) => {
                    self.format_batch(&batch);
                    batch.clear();
                    let mut spare = lock(&self.shared.spare);
                    if spare.len() < SPARE && batch.bytes.capacity() <= SPARE_BYTES {
                        spare.push(batch);
                    }
                }
                Job::Flush(done) => {
                    self.write_out();
                    let _ = done.send(());
                }
            }
        }
        if self.format.array.is_some() {
            self.text.extend_from_slice(b"\n]\n");
        }
        self.write_out();
    }

    fn names(&mut self, meta: &'static tracing_core::Metadata<'static>) -> &'static [u8] {
        let key = json::callsite_key(meta);
        if let Some(&names) = self.names.get(&key) {
            return names;
        }
        let names = json::names_of(meta);
        self.names.insert(key, names);
        names
    }

    fn format_batch(&mut self, batch: &Batch) {
        let pid = self.format.pid;
        for entry in &batch.entries {
            self.scratch.clear();
            match *entry {
                Entry::Slice {
                    meta,
                    start,
                    dur,
                    track,
                    fields: part,
                    by_time,
                } => {
                    let names = self.names(meta);
                    self.span_args(batch.get(part), meta, by_time);
                    let location = self.format.slice_locations.then_some(meta);
                    json::slice(
                        &mut self.scratch,
                        names,
                        (start, dur),
                        &self.args,
                        location,
                        pid,
                        track,
                    );
                }
                Entry::Lifetime {
                    meta,
                    start,
                    dur,
                    tid,
                    uid,
                    fields: part,
                    by_time,
                } => {
                    let names = self.names(meta);
                    self.span_args(batch.get(part), meta, by_time);
                    json::lifetime(
                        &mut self.scratch,
                        names,
                        (start, dur),
                        uid,
                        &self.args,
                        pid,
                        tid,
                    );
                }
                Entry::Instant {
                    meta,
                    ts,
                    track,
                    fields: part,
                } => {
                    let names = self.names(meta);
                    self.args.clear();
                    self.message.clear();
                    fields::event(
                        &mut self.args,
                        &mut self.message,
                        batch.get(part),
                        meta,
                        self.format.include_args,
                        self.format.event_locations,
                    );
                    json::instant(
                        &mut self.scratch,
                        names,
                        &self.message,
                        ts,
                        &self.args,
                        pid,
                        track,
                    );
                }
                Entry::Flow {
                    meta,
                    phase,
                    uid,
                    poll,
                    ts,
                    track,
                } => {
                    let names = self.names(meta);
                    json::flow(&mut self.scratch, names, phase, (uid, poll), ts, pid, track);
                }
                Entry::Name { track, name } => {
                    let name = String::from_utf8_lossy(batch.get(name)).into_owned();
                    json::name_entry(&mut self.scratch, "thread_name", &name, pid, track);
                }
            }
            self.push_entry();
        }
    }

    /// A span's args into `args`: its fields, and whether it was placed by time.
    fn span_args(
        &mut self,
        fields: &[u8],
        meta: &'static tracing_core::Metadata<'static>,
        by_time: bool,
    ) {
        self.args.clear();
        if self.format.include_args {
            fields::members(&mut self.args, fields, meta);
        }
        if by_time {
            if !self.args.is_empty() {
                self.args.push(b',');
            }
            self.args.extend_from_slice(PLACED_BY_TIME);
        }
    }

    /// Moves the entry in `scratch` (ending `,\n`) to the text to write.
    fn push_entry(&mut self) {
        if self.format.array.is_some() {
            // tracing-chrome's framing: a separator before every entry but
            // the first, so that the file is a whole array once `]` follows.
            let entry = self.scratch.strip_suffix(b",\n").unwrap_or(&self.scratch);
            if self.written > 0 {
                self.text.extend_from_slice(b",\n");
            }
            self.text.extend_from_slice(entry);
        } else {
            self.text.extend_from_slice(&self.scratch);
        }
        self.written += 1;
        if self.text.len() >= WRITE_AT {
            self.write_out();
        }
    }

    fn write_out(&mut self) {
        if self.text.is_empty() {
            return;
        }
        if let Err(e) = self.file.write_all(&self.text) {
            lock(&self.shared.error).get_or_insert_with(|| e.to_string());
        }
        self.text.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;
    use std::os::fd::FromRawFd as _;

    /// A pipe nobody reads yet: the writer stalls on it as on a stalled disk.
    fn pipe() -> (File, File) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe() returns.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: the descriptor is fresh and owned by the returned file alone.
        let read = unsafe { File::from_raw_fd(fds[0]) };
        // SAFETY: as above, for the other end.
        let write = unsafe { File::from_raw_fd(fds[1]) };
        (read, write)
    }

    fn lines() -> Format {
        Format {
            pid: 7,
            include_args: true,
            slice_locations: false,
            event_locations: true,
            array: None,
        }
    }

    fn batch_of(n: usize) -> Batch {
        let mut batch = Batch::default();
        let fields = batch.keep(&[0, 0]);
        for i in 0..n {
            batch.entries.push(Entry::Slice {
                meta: crate::test_support::meta(),
                start: i as u64 * 1000,
                dur: 500,
                track: 9,
                fields,
                by_time: i == 0,
            });
        }
        batch
    }

    #[test]
    fn a_stalled_writer_never_blocks_the_traced_thread_it_drops_and_counts() {
        let (mut read_end, write_end) = pipe();
        let writer = Writer::start(write_end, lines()).unwrap();
        // 60 batches of 1,000 entries: far more than the writer's first
        // write (stuck on the pipe) and its queue can hold.
        let accepted = (0..60).filter(|_| writer.hand_over(batch_of(1000))).count() as u64;
        let dropped = writer.dropped();
        // The queue, and the few batches formatted before the pipe filled.
        assert!(
            accepted >= QUEUE as u64 && accepted <= QUEUE as u64 + 8,
            "accepted {accepted}"
        );
        assert_eq!(dropped, (60 - accepted) * 1000, "whole batches are dropped");
        // Once the disk moves again, everything kept is written.
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            read_end.read_to_end(&mut all).unwrap();
            all
        });
        writer.close();
        let written = reader.join().unwrap();
        let lines = written.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(lines + dropped, 60 * 1000);
        assert!(writer.take_error().is_none());
    }

    #[test]
    fn flush_returns_once_written_and_batches_come_back() {
        let path = std::env::temp_dir().join(format!("napi-tracing-writer-{}", std::process::id()));
        let writer = Writer::start(File::create(&path).unwrap(), lines()).unwrap();
        writer.hand_over(batch_of(1));
        writer.send(batch_of(2));
        writer.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.lines().all(|l| l.ends_with("\"pid\":7,\"tid\":9},")),
            "{text}"
        );
        // A written batch, emptied (a new one would have no capacity).
        let reused = writer.batch();
        assert!(reused.is_empty() && reused.entries.capacity() > 0);
        writer.close();
        // Closed: nothing more is taken, and nothing waits.
        writer.send(batch_of(1));
        writer.flush();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn an_array_file_is_whole_json_once_closed_and_after_each_flush_but_the_bracket() {
        let path = std::env::temp_dir().join(format!("napi-tracing-array-{}", std::process::id()));
        let format = Format {
            array: Some("node 1".to_owned()),
            ..lines()
        };
        let writer = Writer::start(File::create(&path).unwrap(), format).unwrap();
        writer.send(batch_of(2));
        writer.flush();
        let open = std::fs::read_to_string(&path).unwrap();
        let entries: serde_json::Value =
            serde_json::from_str(&format!("{}\n]", open.trim_end())).unwrap();
        assert_eq!(entries.as_array().unwrap().len(), 3);
        writer.close();
        let whole: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(whole[0]["args"]["name"], "node 1");
        std::fs::remove_file(&path).unwrap();
    }
}
