//! A burst's and a comparison's figures, and each partition's batches:
//! what the burst, compare and chart panes read.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::Totals;
use crate::engine::compare::Outcome;
use crate::engine::tally::Tally;
use crate::engine::Event;

/// A comparison asked for and its outcomes so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub count: u64,
    pub rate: Option<f64>,
    /// The variants' labels, in order.
    pub labels: Vec<String>,
    /// One per variant done, in order; an error when it could not run.
    pub outcomes: Vec<Result<Outcome, String>>,
}

/// A burst under way (or just ended): what it aims at and how it goes.
pub struct Flow {
    pub target: u64,
    pub rate: Option<f64>,
    /// Totals when it began, so its own progress is derived from them.
    pub base: Totals,
    pub started: Instant,
    pub paused_at: Option<Instant>,
    pub paused_for: Duration,
    pub stopped: bool,
    /// When its last record was reported.
    pub ended: Option<Instant>,
    /// Totals then: records sent after it ended are not its own.
    pub at_end: Option<Totals>,
    /// Its records' acks, bytes and send-to-ack latencies, counted as
    /// `kprod produce` and compare count theirs.
    pub tally: Tally,
    /// (when, records acked, bytes acked) a few times a second, for the
    /// current rate.
    pub samples: VecDeque<(Instant, u64, u64)>,
}

impl Flow {
    /// A burst of `target` records begun `now`, on top of `base`.
    pub fn new(target: u64, rate: Option<f64>, base: Totals, now: Instant) -> Flow {
        Flow {
            target,
            rate,
            base,
            started: now,
            paused_at: None,
            paused_for: Duration::ZERO,
            stopped: false,
            ended: None,
            at_end: None,
            tally: Tally::default(),
            samples: VecDeque::new(),
        }
    }

    /// An engine event while the burst has not ended; `now_ms` is `now` on
    /// the wall clock. What comes after it ended is not its own.
    pub(super) fn take(&mut self, event: &Event, now: Instant, now_ms: i64) {
        if self.ended.is_some() {
            return;
        }
        self.tally.take(event, now_ms);
        if matches!(event, Event::Acked(_)) {
            self.sample(now);
        }
    }

    /// Records of this flow acked or failed.
    pub fn done(&self, now: &Totals) -> u64 {
        let now = self.at_end.as_ref().unwrap_or(now);
        (now.acked + now.failed).saturating_sub(self.base.acked + self.base.failed)
    }

    pub fn sent(&self, now: &Totals) -> u64 {
        let now = self.at_end.as_ref().unwrap_or(now);
        now.sent.saturating_sub(self.base.sent)
    }

    pub fn finished(&self, now: &Totals) -> bool {
        self.done(now) >= self.target || (self.stopped && now.in_flight() == 0)
    }

    /// Time spent sending until it ended, or until `now`, pauses left out.
    pub fn active(&self, now: Instant) -> Duration {
        let until = self.ended.unwrap_or(now);
        let paused = self.paused_for
            + self
                .paused_at
                .map_or(Duration::ZERO, |p| until.saturating_duration_since(p));
        until
            .saturating_duration_since(self.started)
            .saturating_sub(paused)
    }

    /// Records a second and MB a second over the last couple of seconds.
    /// Paused, nothing flows, whatever the last samples say.
    pub fn rate_now(&self) -> (f64, f64) {
        match (self.samples.front(), self.samples.back()) {
            _ if self.paused_at.is_some() => (0.0, 0.0),
            (Some(a), Some(b)) if b.0 > a.0 => {
                let secs = (b.0 - a.0).as_secs_f64();
                (
                    (b.1 - a.1) as f64 / secs,
                    (b.2 - a.2) as f64 / 1_048_576.0 / secs,
                )
            }
            _ => (0.0, 0.0),
        }
    }

    fn sample(&mut self, now: Instant) {
        if self
            .samples
            .back()
            .is_some_and(|s| now - s.0 < Duration::from_millis(200))
        {
            return;
        }
        let t = &self.tally;
        self.samples.push_back((now, t.acked, t.key_value_bytes));
        while self.samples.len() > 2 && now - self.samples[0].0 > Duration::from_secs(2) {
            self.samples.pop_front();
        }
    }
}

/// One partition's delivered batches, added up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchStat {
    pub batches: u64,
    /// Records in those batches.
    pub records: u64,
    /// Their keys, values and headers: what compression works on.
    pub record_bytes: u64,
    /// The batches as sent, after compression.
    pub wire_bytes: u64,
    /// The codec of the latest batch.
    pub codec: String,
}
