//! One run's figures, as every front end shows them: what was acked and
//! failed, where it went, its bytes, its send-to-ack latencies and how long
//! it took. `kprod produce`'s summary, the console's bursts and compare's
//! columns all drain events into this one aggregate, so they agree.

use hdrhistogram::Histogram;

use crate::event::Event;
use crate::stats::Sent;

/// Latencies are kept in microseconds, up to an hour, to three
/// significant digits (what kafka-producer-perf-test reports).
const MAX_LATENCY_US: u64 = 3_600_000_000;

#[derive(Debug, Clone)]
pub struct Tally {
    pub acked: u64,
    pub failed: u64,
    /// Acked records per partition.
    pub partitions: Vec<u64>,
    /// Keys and values of the acked records.
    pub key_value_bytes: u64,
    /// Keys, values and headers of the delivered batches' records: what
    /// compression works on.
    pub record_bytes: u64,
    /// The batches as librdkafka's statistics count them.
    pub sent: Sent,
    /// Send-to-ack latency of the acked records, in microseconds.
    latency_us: Histogram<u64>,
    /// When the first record counted was sent and the last one reported,
    /// in epoch ms: from the records' own stamps, so a front end that looks
    /// late makes a run look longer, never shorter.
    first_ms: Option<i64>,
    last_ms: Option<i64>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            acked: 0,
            failed: 0,
            partitions: Vec::new(),
            key_value_bytes: 0,
            record_bytes: 0,
            sent: Sent::default(),
            latency_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .expect("bounds and precision are valid"),
            first_ms: None,
            last_ms: None,
        }
    }
}

impl Tally {
    /// Counts what `event` says about the run; `now_ms` is when it was
    /// taken (clock::now_ms), the end of the run so far.
    pub fn take(&mut self, event: &Event, now_ms: i64) {
        match event {
            Event::Acked(a) => {
                self.acked += 1;
                let p = a.partition.max(0) as usize;
                if self.partitions.len() <= p {
                    self.partitions.resize(p + 1, 0);
                }
                self.partitions[p] += 1;
                self.key_value_bytes += (a.key_len.unwrap_or(0) + a.value_len.unwrap_or(0)) as u64;
                let us = (a.latency.as_micros() as u64).clamp(1, MAX_LATENCY_US);
                let _ = self.latency_us.record(us);
                self.began(a.created, now_ms);
            }
            Event::Failed { latency, .. } => {
                self.failed += 1;
                self.began(now_ms - latency.as_millis() as i64, now_ms);
            }
            Event::Batch(b) => self.record_bytes += b.record_bytes,
            Event::Stats { sent, .. } => self.sent.add(sent),
            _ => {}
        }
    }

    fn began(&mut self, sent_ms: i64, now_ms: i64) {
        self.first_ms = Some(self.first_ms.map_or(sent_ms, |f| f.min(sent_ms)));
        self.last_ms = Some(now_ms);
    }

    /// From the first record sent to the last report, in seconds; `None`
    /// before any report.
    pub fn seconds(&self) -> Option<f64> {
        Some(((self.last_ms? - self.first_ms?) as f64 / 1000.0).max(0.001))
    }

    /// Acked records a second over the run.
    pub fn records_per_sec(&self) -> f64 {
        self.seconds().map_or(0.0, |s| self.acked as f64 / s)
    }

    /// Acked keys and values, in MiB a second over the run.
    pub fn mib_per_sec(&self) -> f64 {
        self.seconds()
            .map_or(0.0, |s| self.key_value_bytes as f64 / 1_048_576.0 / s)
    }

    /// The latency at quantile `q` (0.5 for the median), in microseconds;
    /// 0 before any ack.
    pub fn latency_us(&self, q: f64) -> u64 {
        self.latency_us.value_at_quantile(q)
    }

    pub fn max_latency_us(&self) -> u64 {
        self.latency_us.max()
    }

    pub fn mean_latency_us(&self) -> f64 {
        self.latency_us.mean()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::event::Ack;

    fn ack(partition: i32, latency_ms: u64, created: i64) -> Event {
        Event::Acked(Ack {
            id: 0,
            topic: "t".into(),
            key: None,
            value: None,
            key_len: Some(1),
            value_len: Some(5),
            headers: None,
            partition,
            offset: Some(0),
            timestamp: None,
            created,
            latency: Duration::from_millis(latency_ms),
        })
    }

    #[test]
    fn counts_delivered_records_only_in_rates_bytes_and_latencies() {
        let mut t = Tally::default();
        t.take(&ack(2, 10, 1_000), 1_010);
        t.take(&ack(0, 30, 1_500), 1_530);
        t.take(
            &Event::Failed {
                id: 1,
                topic: "t".into(),
                key: None,
                value: Some(vec![0; 1000]),
                headers: None,
                partition: None,
                code: "MSG_TIMED_OUT".into(),
                message: String::new(),
                latency: Duration::from_millis(1_000),
            },
            3_000,
        );
        assert_eq!((t.acked, t.failed), (2, 1));
        assert_eq!(t.partitions, [1, 0, 1]);
        assert_eq!(
            t.key_value_bytes, 12,
            "the failed record's bytes are not counted"
        );
        assert_eq!(
            t.seconds(),
            Some(2.0),
            "from the first sent to the last report"
        );
        assert_eq!(t.records_per_sec(), 1.0);
        let near = |us: u64, ms: u64| us.abs_diff(ms * 1000) <= ms * 1000 / 100;
        assert!(near(t.max_latency_us(), 30), "{}", t.max_latency_us());
        assert!(
            near(t.latency_us(0.5), 10),
            "the failure's second is no latency"
        );
    }

    #[test]
    fn an_empty_run_has_no_duration_and_no_rate() {
        let t = Tally::default();
        assert_eq!(
            (t.seconds(), t.records_per_sec(), t.latency_us(0.99)),
            (None, 0.0, 0)
        );
    }
}
