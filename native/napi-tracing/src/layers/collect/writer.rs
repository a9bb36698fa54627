//! The trace file's writer: a thread of its own per collection, so that a
//! traced thread never waits for the disk.
//!
//! Threads hand full buffers over without waiting; when the writer is so far
//! behind that its queue is full (a stalled disk), a buffer is dropped and
//! its entries counted rather than blocking the traced code or growing the
//! queue. Flushes (JavaScript's, at a test's start and end and every 100 ms)
//! wait until everything handed over before them is written. Written
//! buffers come back for reuse: no allocation and no fresh pages per buffer.

use std::fs::File;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::sync::lock;

/// Buffers waiting for the writer, at most: with buffers of 256 KiB, 8 MiB.
const QUEUE: usize = 32;
/// Empty buffers kept for reuse, at most, and the largest kept: a buffer
/// grown by a flush of many threads or by one huge entry is let go.
const SPARE: usize = 8;
const SPARE_BYTES: usize = 1 << 20;

enum Job {
    Write(Vec<u8>),
    /// Answered once everything before it is written.
    Flush(SyncSender<()>),
}

pub(super) struct Writer {
    jobs: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    shared: Arc<Shared>,
}

/// What the writer thread and the traced threads share.
struct Shared {
    spare: Mutex<Vec<Vec<u8>>>,
    /// Trace entries dropped because the queue was full.
    dropped: AtomicU64,
    /// The first error writing the file.
    error: Mutex<Option<String>>,
}

impl Writer {
    pub(super) fn start(file: File) -> Result<Writer, String> {
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
                move || run(file, &queue, &shared)
            })
            .map_err(|e| format!("collectLayer: cannot start the trace writer thread: {e}"))?;
        Ok(Writer {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(Some(thread)),
            shared,
        })
    }

    /// An empty buffer: one written before when there is one to spare.
    pub(super) fn buffer(&self) -> Vec<u8> {
        lock(&self.shared.spare).pop().unwrap_or_default()
    }

    /// Hands `bytes` over from a traced thread: never waits. When the queue
    /// is full, the entries are dropped and counted, and false returned.
    pub(super) fn hand_over(&self, bytes: Vec<u8>) -> bool {
        let sent = match lock(&self.jobs).as_ref() {
            Some(jobs) => jobs.try_send(Job::Write(bytes)),
            None => Err(TrySendError::Disconnected(Job::Write(bytes))),
        };
        match sent {
            Ok(()) => true,
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                if let Job::Write(bytes) = job {
                    let entries = bytes.iter().filter(|&&b| b == b'\n').count();
                    self.shared
                        .dropped
                        .fetch_add(entries as u64, Ordering::Relaxed);
                }
                false
            }
        }
    }

    /// Hands `bytes` over, waiting for room in the queue: for JavaScript's
    /// flushes, which may wait and must not lose anything.
    pub(super) fn send(&self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        // The lock is let go before waiting: traced threads take it to hand over.
        let jobs = lock(&self.jobs).clone();
        if let Some(jobs) = jobs {
            let _ = jobs.send(Job::Write(bytes));
        }
    }

    /// Returns once everything handed over before is written.
    pub(super) fn flush(&self) {
        let Some(jobs) = lock(&self.jobs).clone() else {
            return;
        };
        let (done, written) = mpsc::sync_channel(1);
        if jobs.send(Job::Flush(done)).is_ok() {
            let _ = written.recv();
        }
    }

    /// Writes what is queued, stops the thread and closes the file.
    pub(super) fn close(&self) {
        drop(lock(&self.jobs).take());
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
        lock(&self.shared.spare).clear();
    }

    pub(super) fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    pub(super) fn take_error(&self) -> Option<String> {
        lock(&self.shared.error).take()
    }
}

fn run(mut file: File, queue: &Receiver<Job>, shared: &Shared) {
    // What this thread's libraries might trace must not feed the trace.
    crate::thread_info::mute_this_thread();
    for job in queue {
        match job {
            Job::Write(mut bytes) => {
                if let Err(e) = file.write_all(&bytes) {
                    lock(&shared.error).get_or_insert_with(|| e.to_string());
                }
                bytes.clear();
                let mut spare = lock(&shared.spare);
                if spare.len() < SPARE && bytes.capacity() <= SPARE_BYTES {
                    spare.push(bytes);
                }
            }
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
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

    #[test]
    fn a_stalled_writer_never_blocks_the_traced_thread_it_drops_and_counts() {
        let (mut read_end, write_end) = pipe();
        let writer = Writer::start(write_end).unwrap();
        // 100 lines of 1 KiB per buffer; 60 buffers: far more than the
        // writer's first write (stuck on the pipe) and its queue can hold.
        let buffer = || {
            let mut bytes = Vec::new();
            for _ in 0..100 {
                bytes.extend_from_slice(&[b'x'; 1023]);
                bytes.push(b'\n');
            }
            bytes
        };
        let accepted = (0..60).filter(|_| writer.hand_over(buffer())).count() as u64;
        let dropped = writer.dropped();
        assert!(
            dropped >= 100 * (60 - QUEUE as u64 - 1),
            "dropped {dropped}"
        );
        assert_eq!(dropped, (60 - accepted) * 100, "whole buffers are dropped");
        // Once the disk moves again, everything kept is written.
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            read_end.read_to_end(&mut all).unwrap();
            all
        });
        writer.close();
        let written = reader.join().unwrap();
        let lines = written.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(lines + dropped, 60 * 100);
        assert!(writer.take_error().is_none());
    }

    #[test]
    fn flush_returns_once_written_and_buffers_come_back() {
        let path = std::env::temp_dir().join(format!("napi-tracing-writer-{}", std::process::id()));
        let writer = Writer::start(File::create(&path).unwrap()).unwrap();
        let mut first = writer.buffer();
        first.extend_from_slice(b"one\n");
        writer.hand_over(first);
        writer.send(b"two\n".to_vec());
        writer.flush();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo\n");
        // A written buffer, emptied (a new one would have no capacity).
        let reused = writer.buffer();
        assert!(reused.is_empty() && reused.capacity() > 0);
        writer.close();
        // Closed: nothing more is taken, and nothing waits.
        writer.send(b"late\n".to_vec());
        writer.flush();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo\n");
        std::fs::remove_file(&path).unwrap();
    }
}
