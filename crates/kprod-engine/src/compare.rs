//! Compare mode: one burst sent under two or more sets of settings, one after
//! the other, each by a producer of its own, and what each did: where records
//! landed, how they were batched and compressed, how fast and how late.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::mpsc;

use super::pace::MAX_BURST;
use super::producer::{Counters, Producer};
use super::record::Draft;
use super::settings::Settings;
use super::stats::Sent;
use super::Event;

/// What the compare prompt looks like.
pub const SYNTAX: &str =
    "COUNT[@RATE] SETTINGS vs SETTINGS [vs ...], SETTINGS being name=value pairs, `current`, or `codecs` for all five compression types";

/// A comparison to run: how many records, how fast, under which settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub count: u64,
    /// Records a second, when paced.
    pub rate: Option<f64>,
    pub variants: Vec<Variant>,
}

/// One side of a comparison: the current settings with some changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The changes, as typed (`current` when none).
    pub label: String,
    pub settings: Settings,
}

/// What one variant did with the burst.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub label: String,
    pub acked: u64,
    pub failed: u64,
    /// From the first record handed over to the last report.
    pub elapsed: Duration,
    /// Acked records per partition.
    pub partitions: Vec<u64>,
    /// The batches, as librdkafka's statistics count them.
    pub sent: Sent,
    /// Keys, values and headers of the delivered records: what compression
    /// works on.
    pub record_bytes: u64,
    /// Send-to-ack latency: p50, p95, p99, max.
    pub latency: [Duration; 4],
}

impl Outcome {
    pub fn records_per_sec(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64().max(1e-6)
    }

    pub fn mb_per_sec(&self) -> f64 {
        self.record_bytes as f64 / 1_048_576.0 / self.elapsed.as_secs_f64().max(1e-6)
    }
}

/// Parses `COUNT[@RATE] A vs B [vs C ...]` against the current settings.
pub fn parse(base: &Settings, text: &str) -> Result<Plan, String> {
    let text = text.trim();
    let (head, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let (count, rate) = match head.split_once('@') {
        Some((c, r)) => (c, Some(r)),
        None => (head, None),
    };
    let count: u64 = count
        .parse()
        .ok()
        .filter(|n| (1..=MAX_BURST).contains(n))
        .ok_or_else(|| format!("'{count}' is not a record count (1 to {MAX_BURST}): {SYNTAX}"))?;
    let rate = rate
        .map(|r| super::pace::rate(r).map_err(|e| format!("{e}: {SYNTAX}")))
        .transpose()?;
    let mut variants = Vec::new();
    for side in rest.split(" vs ") {
        let side = side.trim();
        if side == "codecs" {
            for codec in super::settings::CODECS {
                let mut settings = base.clone();
                settings
                    .set("compression.type", codec)
                    .map_err(|e| e.to_string())?;
                variants.push(Variant {
                    label: format!("compression.type={codec}"),
                    settings,
                });
            }
            continue;
        }
        let mut settings = base.clone();
        if side != "current" {
            if side.is_empty() {
                return Err(format!("a side is empty: {SYNTAX}"));
            }
            for pair in side.split_whitespace() {
                settings.set_pair(pair).map_err(|e| e.to_string())?;
            }
        }
        settings.check().map_err(|e| format!("{side}: {e}"))?;
        variants.push(Variant {
            label: side.to_string(),
            settings,
        });
    }
    if variants.len() < 2 {
        return Err(format!("two or more sides are needed: {SYNTAX}"));
    }
    Ok(Plan {
        count,
        rate,
        variants,
    })
}

/// How often a compare run's producer has librdkafka report its statistics,
/// and so how long a run waits after its last ack for the last report.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// Sends `count` numbered copies of `draft` with a producer built from the
/// variant's settings (after one warm-up record, not counted), waits for
/// every report, and adds up what happened: the batches as librdkafka's
/// statistics count them, the records' bytes as their delivery reports
/// tell.
pub async fn run(
    bootstrap: &str,
    variant: &Variant,
    draft: &Draft,
    count: u64,
    rate: Option<f64>,
) -> Result<Outcome, String> {
    let (events, mut rx) = mpsc::unbounded_channel();
    let mut settings = variant.settings.clone();
    settings
        .set(
            "statistics.interval.ms",
            &REPORT_EVERY.as_millis().to_string(),
        )
        .map_err(|e| e.to_string())?;
    let producer = Producer::build(
        &settings,
        bootstrap,
        events,
        Arc::new(Counters::default()),
        None,
    )?;
    // A new producer first connects, reads metadata and gets its producer
    // id; one record sent and acked first keeps that out of the figures,
    // and so does the report that counts its batch.
    producer.enqueue(&draft.numbered(0)).await;
    settle(&producer).await;
    while rx.try_recv().is_ok() {}
    let collect = tokio::spawn(async move {
        let mut o = Tally::default();
        while let Some(event) = rx.recv().await {
            o.add(event);
        }
        o
    });
    let filler = draft.filler()?;
    let start = Instant::now();
    for seq in 0..count {
        if let Some(r) = rate {
            super::pace(start.into(), seq, r).await;
        }
        producer.enqueue(&filler.fill(draft, seq)).await;
    }
    settle(&producer).await;
    // Dropping the producer ends its event stream once the last report is in.
    tokio::task::spawn_blocking(move || drop(producer))
        .await
        .map_err(|e| e.to_string())?;
    let tally = collect.await.map_err(|e| e.to_string())?;
    let last = tally.last.unwrap_or(start);
    let q = |p: f64| Duration::from_micros(tally.latency.value_at_quantile(p));
    Ok(Outcome {
        label: variant.label.clone(),
        acked: tally.acked,
        failed: tally.failed,
        elapsed: last.saturating_duration_since(start),
        partitions: tally.partitions,
        sent: tally.sent,
        record_bytes: tally.record_bytes,
        latency: [
            q(0.50),
            q(0.95),
            q(0.99),
            Duration::from_micros(tally.latency.max()),
        ],
    })
}

/// Waits until every record is acked or failed, and then for librdkafka's
/// statistics to have reported twice more (the first may have been written
/// just before the last batch was counted).
async fn settle(producer: &Producer) {
    while producer.in_flight() > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(REPORT_EVERY * 5 / 2).await;
}

struct Tally {
    acked: u64,
    failed: u64,
    partitions: Vec<u64>,
    sent: Sent,
    record_bytes: u64,
    latency: Histogram<u64>,
    last: Option<Instant>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            acked: 0,
            failed: 0,
            partitions: Vec::new(),
            sent: Sent::default(),
            record_bytes: 0,
            latency: Histogram::new(3).expect("3 significant figures is valid"),
            last: None,
        }
    }
}

impl Tally {
    fn add(&mut self, event: Event) {
        match event {
            Event::Acked(a) => {
                self.acked += 1;
                let p = a.partition.max(0) as usize;
                if self.partitions.len() <= p {
                    self.partitions.resize(p + 1, 0);
                }
                self.partitions[p] += 1;
                let _ = self.latency.record(a.latency.as_micros() as u64);
                self.last = Some(Instant::now());
            }
            Event::Failed { .. } => {
                self.failed += 1;
                self.last = Some(Instant::now());
            }
            Event::Stats { sent, .. } => self.sent.add(&sent),
            Event::Batch(b) => self.record_bytes += b.record_bytes,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sides_and_refuses_what_cannot_run() {
        let base = Settings::default();
        let Plan {
            count,
            rate,
            variants: v,
        } = parse(
            &base,
            "500 partitioner=round_robin vs partitioner=uniform_sticky linger.ms=20",
        )
        .unwrap();
        assert_eq!((count, rate), (500, None));
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].settings.get("linger.ms"), Some("20"));
        assert_eq!(v[1].label, "partitioner=uniform_sticky linger.ms=20");
        let v = parse(&base, "100 codecs").unwrap().variants;
        assert_eq!(v.len(), 5);
        assert_eq!(v[4].settings.get("compression.type"), Some("zstd"));
        let plan = parse(&base, "100@250.5 current vs linger.ms=0").unwrap();
        assert_eq!(plan.variants[0].settings, base);
        assert_eq!(plan.rate, Some(250.5));

        for (text, want) in [
            ("x a=1 vs b=2", "'x' is not a record count"),
            ("0 current vs current", "'0' is not a record count"),
            ("10@0 current vs current", "'0' is not a rate"),
            ("10@x current vs current", "'x' is not a rate"),
            ("10 linger.ms=5", "two or more sides"),
            (
                "10 linger.ms=abc vs current",
                "linger.ms: 'abc' is not valid",
            ),
            (
                "10 acks=1 vs current",
                "acks=1: enable.idempotence=true needs acks=all",
            ),
            ("10 current vs  vs current", "a side is empty"),
        ] {
            let err = parse(&base, text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
