//! The event log: a bounded ring of lines with a filter and a scroll, the
//! produce requests seen, and how acks and requests read as log lines.

use std::collections::VecDeque;

use crate::engine::requests::{Outcome as Sent, Request};
use crate::engine::{Ack, Level, Stamp};

/// Lines the event log keeps; older ones are dropped, totals are not.
pub const LOG_CAPACITY: usize = 5_000;

/// What kind of line the log shows, for colour and filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Acked,
    Failed,
    /// Something the verifier found wrong with a record.
    Issue,
    /// A batch delivered.
    Batch,
    Notice(Level),
}

pub struct LogLine {
    pub status: Status,
    pub text: String,
    /// A record's key and value as shown, after the text where the pane
    /// has room on its row (so "same key, same partition" can be seen):
    /// both, the key alone, or neither where they would wrap the line.
    pub record: Option<(String, String)>,
}

/// Which lines the log shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Acked,
    Failed,
    Queued,
    Batches,
    Notices,
}

impl Filter {
    pub fn admits(self, s: Status) -> bool {
        match self {
            Filter::All => true,
            Filter::Acked => s == Status::Acked,
            Filter::Failed => matches!(s, Status::Failed | Status::Issue),
            Filter::Queued => s == Status::Queued,
            Filter::Batches => s == Status::Batch,
            Filter::Notices => matches!(s, Status::Notice(_)),
        }
    }

    pub(super) fn next(self) -> Filter {
        match self {
            Filter::All => Filter::Acked,
            Filter::Acked => Filter::Failed,
            Filter::Failed => Filter::Queued,
            Filter::Queued => Filter::Batches,
            Filter::Batches => Filter::Notices,
            Filter::Notices => Filter::All,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Acked => "acked",
            Filter::Failed => "failed+issues",
            Filter::Queued => "queued",
            Filter::Batches => "batches",
            Filter::Notices => "notices",
        }
    }
}

/// The event log: a bounded ring of lines, a filter and a scroll position.
pub struct Log {
    pub lines: VecDeque<LogLine>,
    pub filter: Filter,
    /// Lines scrolled up from the newest; 0 follows new lines.
    pub scroll: usize,
}

impl Log {
    pub(super) fn push(&mut self, status: Status, text: String, record: Option<(String, String)>) {
        if self.lines.len() == LOG_CAPACITY {
            self.lines.pop_front();
        }
        self.lines.push_back(LogLine {
            status,
            text,
            record,
        });
        if self.scroll > 0 && self.filter.admits(status) {
            // Keep the lines being read in place while new ones arrive.
            self.scroll += 1;
        }
    }

    pub fn visible(&self) -> impl DoubleEndedIterator<Item = &LogLine> {
        let filter = self.filter;
        self.lines.iter().filter(move |l| filter.admits(l.status))
    }

    /// Scrolls back (or on) by `delta` lines of `lines` shown.
    pub(super) fn scroll_by(&mut self, delta: isize, lines: usize) {
        let max = lines.saturating_sub(1);
        self.scroll = (self.scroll as isize + delta).clamp(0, max as isize) as usize;
    }
}

/// How many produce requests the request view keeps.
const REQUESTS_KEPT: usize = 500;

/// The produce requests seen: the newest for the request view, counts of
/// what went wrong for the counters.
#[derive(Default)]
pub struct Requests {
    /// Oldest first; a request is told when sent and again when it ends.
    pub recent: VecDeque<Request>,
    pub retries: u64,
    pub timeouts: u64,
    pub errors: u64,
    /// The idempotent producer's id and epoch, as its requests carry them.
    pub pid: Option<(i64, i16)>,
    /// The log pane shows the requests instead of the event log.
    pub shown: bool,
}

impl Requests {
    pub(super) fn record(&mut self, r: Request) {
        match &r.outcome {
            Sent::InFlight => {
                self.retries += u64::from(r.is_retry());
                // A producer without idempotence has no id: its requests
                // carry none, and the last one's must not linger.
                self.pid = r.pid;
            }
            Sent::TimedOut(_) => self.timeouts += 1,
            Sent::Failed(_) => self.errors += 1,
            Sent::Delivered => {}
        }
        if r.outcome != Sent::InFlight {
            if let Some(old) = self
                .recent
                .iter_mut()
                .rev()
                .find(|o| o.broker == r.broker && o.corr == r.corr && o.sent_ms == r.sent_ms)
            {
                *old = r;
                return;
            }
        }
        if self.recent.len() == REQUESTS_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(r);
    }
}

/// A request worth a log line: a retry going out, or one that failed.
pub(super) fn request_line(r: &Request) -> String {
    let what = match &r.outcome {
        Sent::InFlight => format!("retry, attempt {}", r.attempt),
        Sent::Failed(e) => format!("refused: {e}"),
        Sent::TimedOut(e) => format!("no response within request.timeout.ms: {e}"),
        Sent::Delivered => "delivered".into(),
    };
    format!(
        "request {} p{} to broker {}  {} records  corr {}  {what}",
        r.topic, r.partition, r.broker, r.records, r.corr
    )
}

/// A record's key and value as a log line shows them, when the ack
/// carries them (the console's acks do).
pub fn record_of(ack: &Ack) -> Option<(String, String)> {
    let whole = ack.key.is_some() == ack.key_len.is_some()
        && ack.value.is_some() == ack.value_len.is_some();
    whole.then(|| {
        (
            short(ack.key.as_deref(), SHOWN),
            short(ack.value.as_deref(), SHOWN),
        )
    })
}

impl LogLine {
    /// The line as a row of `width` shows it: with the record's key and
    /// value if they fit, the key alone if that fits, else the text.
    pub fn shown(&self, width: usize) -> std::borrow::Cow<'_, str> {
        let Some((key, value)) = &self.record else {
            return self.text.as_str().into();
        };
        let room = width.saturating_sub(self.text.chars().count());
        let both = format!("  key {key}  value {value}");
        if both.chars().count() <= room {
            return format!("{}{both}", self.text).into();
        }
        let alone = format!("  key {key}");
        if alone.chars().count() <= room {
            return format!("{}{alone}", self.text).into();
        }
        self.text.as_str().into()
    }
}

/// Characters of a key or value a log line shows.
const SHOWN: usize = 24;

/// A key or value on one line: its text, cut to `max` characters with its
/// line breaks as spaces, or its size when it is not text; "null".
pub fn short(b: Option<&[u8]>, max: usize) -> String {
    match b {
        None => "null".into(),
        Some(b) => match crate::engine::serde::as_text(b) {
            Some(t) => {
                let mut out: String = t
                    .chars()
                    .take(max)
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                if t.chars().nth(max).is_some() {
                    out.push('…');
                }
                out
            }
            None => format!("{} B", b.len()),
        },
    }
}

pub(super) fn ms(d: std::time::Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

/// How an ack reads in the log: where the record is and when the broker says
/// it was written.
/// On the embedded cluster the broker's timestamp is not real, so the
/// record's own CreateTime is shown, marked.
/// `now_ms` is when the ack came: a timestamp far from it (one typed in
/// the composer) is shown with its date.
pub fn ack_line(ack: &Ack, embedded: bool, now_ms: i64) -> String {
    let offset = match ack.offset {
        Some(o) => format!("offset {o}"),
        None => "offset unknown (acks=0)".into(),
    };
    // "created": the producer's CreateTime kept; "appended": the broker's
    // LogAppendTime; "*": the embedded cluster's stamp is not real.
    let ts = match ack.timestamp {
        _ if embedded => format!("created {}*", clock(ack.created, now_ms)),
        Some(Stamp::CreateTime(t)) => format!("created {}", clock(t, now_ms)),
        Some(Stamp::LogAppendTime(t)) => format!("appended {}", clock(t, now_ms)),
        None => "no timestamp".into(),
    };
    format!(
        "#{} acked p{} {offset} {} {ts}",
        ack.id,
        ack.partition,
        ms(ack.latency)
    )
}

/// Milliseconds since the epoch as local wall-clock time, with the date
/// when it is not within half a day of `now_ms`.
pub fn clock(ms: i64, now_ms: i64) -> String {
    let form = match (ms - now_ms).abs() > 12 * 3_600_000 {
        true => "%Y-%m-%d %H:%M:%S%.3f",
        false => "%H:%M:%S%.3f",
    };
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.with_timezone(&chrono::Local).format(form).to_string(),
        None => ms.to_string(),
    }
}
