//! Every record the console sent, in this run and in earlier ones, kept in
//! the data directory so it can be found again and re-sent with the same
//! bytes. Each line is a kcat -J object (the bytes as text, or base64 where
//! they are not UTF-8) with when it was sent and, for a record that failed,
//! why; so a history file is also a file `kprod produce --format jsonl`
//! and the console's record files read. Records only: settings, profiles
//! and credentials are never written here.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::engine::{Ack, Event};
use crate::lines::Line;
use crate::replay::{self, Placed};

/// How many records history keeps, at most, and how many bytes.
pub const MAX_RECORDS: usize = 10_000;
pub const MAX_BYTES: u64 = 16 << 20;

/// The file written to, and the older one it was before it filled up:
/// history is these two, so it holds between half and all of its bounds.
const CURRENT: &str = "history.jsonl";
const OLDER: &str = "history.1.jsonl";

/// A record as history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The record, and where it went (the partition and offset the broker
    /// gave; none for a record that failed before it had one).
    pub record: Placed,
    /// When it was acked or failed, in ms since the epoch.
    pub at: i64,
    /// The error code of a record that failed; `None` when acked.
    pub failed: Option<String>,
}

/// Where history is kept: the data directory's history/.
pub fn dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kprod").map(|d| d.data_dir().join("history"))
}

impl Entry {
    /// The record an engine event reports as sent, when it carries the
    /// bytes it went out with (acks with payloads, failures in delivery).
    pub fn from_event(event: &Event, at: i64) -> Option<Entry> {
        match event {
            Event::Acked(Ack {
                topic,
                key,
                value,
                headers: Some(headers),
                partition,
                offset,
                created,
                key_len,
                value_len,
                ..
            }) if key.is_some() == key_len.is_some() && value.is_some() == value_len.is_some() => {
                Some(Entry {
                    record: Placed {
                        line: Line {
                            key: key.clone(),
                            value: value.clone(),
                            headers: headers.clone(),
                            // The CreateTime it went with: a LogAppendTime
                            // (or the embedded cluster's made-up one) is the
                            // broker's, not the record's.
                            timestamp: Some(*created),
                        },
                        topic: Some(topic.clone()),
                        partition: Some(*partition),
                        offset: *offset,
                    },
                    at,
                    failed: None,
                })
            }
            Event::Failed {
                topic,
                key,
                value,
                headers: Some(headers),
                partition,
                code,
                ..
            } => Some(Entry {
                record: Placed {
                    line: Line {
                        key: key.clone(),
                        value: value.clone(),
                        headers: headers.clone(),
                        timestamp: None,
                    },
                    topic: Some(topic.clone()),
                    partition: *partition,
                    offset: None,
                },
                at,
                failed: Some(code.clone()),
            }),
            _ => None,
        }
    }

    /// The entry as one line of history.
    pub fn to_line(&self) -> String {
        let mut o = replay::Object::of(&self.record);
        o.sent_at = Some(self.at);
        o.failed = self.failed.as_deref();
        // A struct of strings and numbers always serializes.
        serde_json::to_string(&o).unwrap_or_default()
    }

    /// One line of history, or why it is not one.
    pub fn parse(line: &str) -> Result<Entry, String> {
        let record = replay::placed(line)?;
        let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        Ok(Entry {
            record,
            at: v.get("sent_at").and_then(Value::as_i64).unwrap_or(0),
            failed: v.get("failed").and_then(Value::as_str).map(str::to_string),
        })
    }

    /// Whether every word of `query` is found in the entry, ignoring case:
    /// a bare word in the topic, key, value or headers; `topic:`, `key:`
    /// or `value:` before it, in that one.
    pub fn matches(&self, query: &str) -> bool {
        let text = |b: &Option<Vec<u8>>| {
            b.as_deref()
                .map(|b| String::from_utf8_lossy(b).to_lowercase())
                .unwrap_or_default()
        };
        let topic = self.record.topic.as_deref().unwrap_or("").to_lowercase();
        let (key, value) = (text(&self.record.line.key), text(&self.record.line.value));
        let headers = self
            .record
            .line
            .headers
            .iter()
            .map(|h| format!("{}:{}", h.name, text(&h.value)).to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        query.split_whitespace().all(|word| {
            let word = word.to_lowercase();
            match word.split_once(':') {
                Some(("topic", w)) => topic.contains(w),
                Some(("key", w)) => key.contains(w),
                Some(("value", w)) => value.contains(w),
                _ => [&topic, &key, &value, &headers]
                    .iter()
                    .any(|f| f.contains(&word)),
            }
        })
    }
}

/// History being written: appended a line a record, and started anew (the
/// full file kept as the older one) when a half of either bound is reached.
pub struct Writer {
    dir: PathBuf,
    out: BufWriter<File>,
    lines: usize,
    bytes: u64,
    max_records: usize,
    max_bytes: u64,
}

impl Writer {
    /// History in `dir`, with the bounds kprod keeps.
    pub fn open(dir: &Path) -> std::io::Result<Writer> {
        Writer::bounded(dir, MAX_RECORDS, MAX_BYTES)
    }

    /// History in `dir`, at most `max_records` and `max_bytes`.
    pub fn bounded(dir: &Path, max_records: usize, max_bytes: u64) -> std::io::Result<Writer> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(CURRENT);
        // What the file holds already counts towards its half.
        // (A regular file only: a device such as /dev/full would never end.)
        let lines = match File::open(&path) {
            Ok(f) if f.metadata()?.is_file() => BufReader::new(f).lines().count(),
            _ => 0,
        };
        let out = append_private(&path)?;
        let bytes = out.metadata()?.len();
        Ok(Writer {
            dir: dir.to_path_buf(),
            out: BufWriter::new(out),
            lines,
            bytes,
            max_records: max_records.max(2),
            max_bytes,
        })
    }

    /// One record more.
    pub fn append(&mut self, entry: &Entry) -> std::io::Result<()> {
        let mut line = entry.to_line();
        line.push('\n');
        if self.lines >= self.max_records / 2 || self.bytes + line.len() as u64 > self.max_bytes / 2
        {
            self.rotate()?;
        }
        self.out.write_all(line.as_bytes())?;
        self.lines += 1;
        self.bytes += line.len() as u64;
        Ok(())
    }

    /// The directory history is kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What was appended, on disk.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        std::fs::rename(self.dir.join(CURRENT), self.dir.join(OLDER))?;
        let out = append_private(&self.dir.join(CURRENT))?;
        self.out = BufWriter::new(out);
        (self.lines, self.bytes) = (0, 0);
        Ok(())
    }
}

/// A history file opened to append, readable by its owner only when it is
/// made: the records a QA engineer sends may be customers' data.
fn append_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// Every record history holds, oldest first, and how many lines could not
/// be read (a line cut short when kprod was killed mid-write).
pub fn read(dir: &Path) -> std::io::Result<(Vec<Entry>, usize)> {
    let mut entries = Vec::new();
    let mut bad = 0;
    for name in [OLDER, CURRENT] {
        let file = match File::open(dir.join(name)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for line in BufReader::new(file).lines() {
            match Entry::parse(&line?) {
                Ok(e) => entries.push(e),
                Err(_) => bad += 1,
            }
        }
    }
    Ok((entries, bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::record::Header;

    fn entry(n: usize) -> Entry {
        Entry {
            record: Placed {
                line: Line {
                    key: Some(format!("k{n}").into_bytes()),
                    value: Some(vec![0, 159, 146, 150, n as u8]),
                    headers: vec![
                        Header {
                            name: "bin".into(),
                            value: Some(vec![255, 0]),
                        },
                        Header {
                            name: "none".into(),
                            value: None,
                        },
                    ],
                    timestamp: Some(1_764_000_000_000),
                },
                topic: Some("orders".into()),
                partition: Some(2),
                offset: Some(n as i64),
            },
            at: 1_764_000_000_123,
            failed: (n % 2 == 1).then(|| "MSG_TIMED_OUT".into()),
        }
    }

    #[test]
    fn history_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::bounded(dir.path(), 4, u64::MAX).unwrap();
        for n in 0..3 {
            w.append(&entry(n)).unwrap();
        }
        w.flush().unwrap();
        for name in [CURRENT, OLDER] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }

    #[test]
    fn a_line_gives_back_the_same_bytes() {
        for n in 0..4 {
            let e = entry(n);
            assert_eq!(Entry::parse(&e.to_line()).unwrap(), e);
        }
    }

    #[test]
    fn it_keeps_between_half_and_all_of_its_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::bounded(dir.path(), 10, u64::MAX).unwrap();
        for n in 0..23 {
            w.append(&entry(n)).unwrap();
        }
        w.flush().unwrap();
        let (kept, bad) = read(dir.path()).unwrap();
        assert_eq!(bad, 0);
        // 23 = 4 full halves of 5 and 3: the last full half and the 3.
        assert_eq!(kept.len(), 8);
        assert_eq!(kept.first().unwrap().record.offset, Some(15));
        assert_eq!(kept.last().unwrap().record.offset, Some(22));
        // Opened again, it goes on counting what the file holds.
        let mut w = Writer::bounded(dir.path(), 10, u64::MAX).unwrap();
        for n in 23..25 {
            w.append(&entry(n)).unwrap();
        }
        w.flush().unwrap();
        let (kept, _) = read(dir.path()).unwrap();
        assert_eq!(kept.len(), 10);
        assert_eq!(kept.last().unwrap().record.offset, Some(24));
        // And by size: no file grows past half the bytes.
        let acked = |n| Entry {
            failed: None,
            ..entry(n)
        };
        let line = acked(0).to_line().len() as u64 + 1;
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::bounded(dir.path(), usize::MAX, line * 6).unwrap();
        for n in 0..7 {
            w.append(&acked(n)).unwrap();
        }
        w.flush().unwrap();
        assert_eq!(read(dir.path()).unwrap().0.len(), 4);
    }

    #[test]
    fn a_line_cut_short_is_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = entry(0).to_line();
        text.push_str("\n{\"topic\":\"or");
        std::fs::write(dir.path().join(CURRENT), text).unwrap();
        let (kept, bad) = read(dir.path()).unwrap();
        assert_eq!((kept.len(), bad), (1, 1));
    }

    #[test]
    fn searching_by_field_or_anywhere() {
        let e = entry(0);
        assert!(e.matches("ORDERS k0"));
        assert!(e.matches("topic:ord key:k0"));
        assert!(!e.matches("key:orders"));
        assert!(e.matches("none:"));
        assert!(!e.matches("k0 missing"));
        assert!(e.matches(""));
    }
}
