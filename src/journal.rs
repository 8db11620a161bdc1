//! The console's run, kept as `kprod produce` would have printed it: every
//! engine event, as the same JSON Lines events, written by a thread of its
//! own to a file in the temporary directory, so the screen's loop only
//! hands each event over. An export copies it out with the verifier's
//! summary of the run at the end. The same thread keeps the records sent
//! in the console's history (history.rs), from the same events.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};

use crate::engine::verify::Summary;
use crate::engine::Event;
use crate::output::{Line, Output};

enum Job {
    Event(Box<Event>, i64),
    /// Copy what was written so far to the path, then the summary; answer
    /// on the channel.
    Export {
        to: PathBuf,
        summary: Option<Box<Summary>>,
        done: Sender<std::io::Result<u64>>,
    },
}

/// The running journal; its file goes when it is dropped, once the
/// history it keeps is on disk.
pub struct Journal {
    jobs: Option<Sender<Job>>,
    path: PathBuf,
    writer: Option<std::thread::JoinHandle<()>>,
    /// Why history stopped during the run, and whether the console was
    /// told (a check an event, so atomics rather than a lock).
    history_failed: Arc<OnceLock<String>>,
    told: AtomicBool,
}

impl Drop for Journal {
    fn drop(&mut self) {
        // The writer ends when its channel closes; history is then flushed.
        self.jobs = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Journal {
    /// A journal in the temporary directory, keeping the records sent in
    /// the history in `history` too, or why none could be opened. History
    /// that cannot be opened is told on `history_error` and left out.
    pub fn start(history: Option<PathBuf>) -> std::io::Result<(Journal, Option<String>)> {
        let path = std::env::temp_dir().join(format!("kprod-run-{}.jsonl", std::process::id()));
        let file = std::fs::File::create(&path)?;
        let (history, history_error) = match history.map(|d| (crate::history::Writer::open(&d), d))
        {
            None => (None, None),
            Some((Ok(w), _)) => (Some(w), None),
            Some((Err(e), d)) => (
                None,
                Some(format!(
                    "no history this run: {} cannot be written ({e})",
                    d.display()
                )),
            ),
        };
        let (jobs, rx) = mpsc::channel();
        let kept = path.clone();
        let history_failed = Arc::new(OnceLock::new());
        let failed = history_failed.clone();
        let writer = std::thread::Builder::new()
            .name("kprod-journal".into())
            .spawn(move || write(file, &kept, history, &failed, rx))?;
        Ok((
            Journal {
                jobs: Some(jobs),
                path,
                writer: Some(writer),
                history_failed,
                told: AtomicBool::new(false),
            },
            history_error,
        ))
    }

    /// Why history stopped, once: a disk that filled up during the run.
    pub fn history_failure(&self) -> Option<String> {
        let why = self.history_failed.get()?;
        (!self.told.load(Ordering::Relaxed) && !self.told.swap(true, Ordering::Relaxed))
            .then(|| why.clone())
    }

    /// An engine event as it arrives.
    pub fn record(&self, event: &Event) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(Job::Event(Box::new(event.clone()), now_ms()));
        }
    }

    /// Every event so far, and `summary` last, written to `to`; how many
    /// lines.
    pub fn export(&self, to: &Path, summary: Option<&Summary>) -> std::io::Result<u64> {
        let (done, answer) = mpsc::channel();
        self.jobs
            .as_ref()
            .ok_or_else(|| std::io::Error::other("the journal's writer stopped"))?
            .send(Job::Export {
                to: to.to_path_buf(),
                summary: summary.cloned().map(Box::new),
                done,
            })
            .map_err(|_| std::io::Error::other("the journal's writer stopped"))?;
        answer
            .recv()
            .map_err(|_| std::io::Error::other("the journal's writer stopped"))?
    }
}

/// Where exports go: the data directory's exports/, named by the time.
pub fn export_path(now_ms: i64) -> PathBuf {
    let dir = directories::ProjectDirs::from("", "", "kprod")
        .map(|d| d.data_dir().join("exports"))
        .unwrap_or_else(|| PathBuf::from("."));
    let stamp = chrono::DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .format("%Y%m%d-%H%M%S%.3f");
    dir.join(format!("kprod-run-{stamp}.jsonl"))
}

fn write(
    file: std::fs::File,
    path: &Path,
    mut history: Option<crate::history::Writer>,
    failed: &OnceLock<String>,
    jobs: Receiver<Job>,
) {
    let mut out = std::io::BufWriter::new(file);
    let mut lines = 0u64;
    let mut kept = Kept::default();
    while let Ok(first) = jobs.recv() {
        // Everything waiting, then history written and flushed: a record
        // acked is on disk as soon as the console is idle, for the next
        // run and for the history picker, and once a second in a flood.
        let waiting = std::iter::once(first).chain(std::iter::from_fn(|| jobs.try_recv().ok()));
        for (n, job) in waiting.enumerate() {
            let keep = history.is_some();
            take(job, &mut out, path, &mut lines, keep.then_some(&mut kept));
            // The clock read every so many events, not for each.
            if keep && n % 1024 == 1023 && kept.since.elapsed() >= KEEP_EVERY {
                kept.write(&mut history, failed);
            }
        }
        kept.write(&mut history, failed);
    }
}

/// How often history is written while events keep coming.
const KEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The records to go into history at its next write. No more than
/// history holds are kept: in a burst of a million, the older ones would
/// only be written to be rotated away, so they are dropped here instead,
/// at the cost of a line of JSON each.
struct Kept {
    entries: std::collections::VecDeque<crate::history::Entry>,
    since: std::time::Instant,
}

impl Default for Kept {
    fn default() -> Kept {
        Kept {
            entries: Default::default(),
            since: std::time::Instant::now(),
        }
    }
}

impl Kept {
    fn push(&mut self, entry: crate::history::Entry) {
        if self.entries.len() == crate::history::MAX_RECORDS {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    fn write(&mut self, history: &mut Option<crate::history::Writer>, failed: &OnceLock<String>) {
        self.since = std::time::Instant::now();
        let Some(h) = history.as_mut() else {
            self.entries.clear();
            return;
        };
        // A disk that fills up ends history, not the run.
        let written = self
            .entries
            .drain(..)
            .try_for_each(|e| h.append(&e))
            .and_then(|()| h.flush());
        if let Err(e) = written {
            let _ = failed.set(format!(
                "history stopped: {} cannot be written ({e}); records are no longer kept",
                h.dir().display()
            ));
            *history = None;
        }
    }
}

fn take(
    job: Job,
    out: &mut std::io::BufWriter<std::fs::File>,
    path: &Path,
    lines: &mut u64,
    kept: Option<&mut Kept>,
) {
    match job {
        Job::Event(event, timestamp) => {
            if let Some(kept) = kept {
                if let Some(entry) = crate::history::Entry::from_event(&event, timestamp) {
                    kept.push(entry);
                }
            }
            if let Some(event) = Output::from_event(*event) {
                if serde_json::to_writer(&mut *out, &Line { event, timestamp }).is_ok() {
                    let _ = out.write_all(b"\n");
                    *lines += 1;
                }
            }
        }
        Job::Export { to, summary, done } => {
            let _ = done.send(export(out, path, *lines, &to, summary.as_deref()));
        }
    }
}

fn export(
    out: &mut std::io::BufWriter<std::fs::File>,
    path: &Path,
    lines: u64,
    to: &Path,
    summary: Option<&Summary>,
) -> std::io::Result<u64> {
    out.flush()?;
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::File::open(path)?;
    let mut copy = std::io::BufWriter::new(std::fs::File::create(to)?);
    std::io::copy(&mut file, &mut copy)?;
    let mut written = lines;
    if let Some(s) = summary {
        let line = Line {
            event: Output::summary(s),
            timestamp: now_ms(),
        };
        serde_json::to_writer(&mut copy, &line).map_err(std::io::Error::other)?;
        copy.write_all(b"\n")?;
        written += 1;
    }
    copy.flush()?;
    Ok(written)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
