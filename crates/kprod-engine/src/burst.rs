//! The one burst loop: numbered copies of a draft, paced or flat out, held
//! and ended by the front end's Pause, Resume and Stop; and a comparison,
//! which sends the same burst with a producer of its own per variant.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::clock::pace;
use crate::compare::{Outcome, RunError, Variant};
use crate::connection::Connection;
use crate::event::Event;
use crate::producer::{Counters, Producer};
use crate::record::{Draft, Filler};
use crate::tally::Tally;

/// Whether bursts go on, wait, or end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    Paused,
    Stopped,
}

/// Set by Pause, Resume and Stop. A burst waiting for its next record's
/// time wakes when it changes, so a stop lands at once rather than after
/// one more record.
#[derive(Debug)]
pub struct Flow {
    state: watch::Sender<State>,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            state: watch::Sender::new(State::Running),
        }
    }
}

impl Flow {
    pub fn get(&self) -> State {
        *self.state.borrow()
    }

    pub fn set(&self, state: State) {
        self.state.send_replace(state);
    }

    /// Returns true once records may go, false if the burst is to end.
    /// `start` moves by the time paused: it does not count against the rate.
    async fn go(&self, start: &mut tokio::time::Instant) -> bool {
        let mut changes = self.state.subscribe();
        let held = tokio::time::Instant::now();
        let mut paused = false;
        loop {
            match *changes.borrow_and_update() {
                State::Running => break,
                State::Stopped => return false,
                State::Paused => paused = true,
            }
            if changes.changed().await.is_err() {
                return false;
            }
        }
        if paused {
            *start += held.elapsed();
        }
        true
    }
}

/// How a burst ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every record went, or the user stopped it.
    Done,
    /// The producer died of a fatal error; this many were not sent.
    Dead { unsent: u64 },
}

/// Sends `count` copies of `draft` filled by `filler` (`{seq}` 0..count),
/// at most `rate` a second when given, as `flow` allows. Each copy goes to
/// the topics in `also` too, filled once, so every topic gets the same
/// record (a payment event in payment and in order).
pub async fn send(
    producer: &Producer,
    draft: &Draft,
    also: &[String],
    filler: &Filler,
    count: u64,
    rate: Option<f64>,
    flow: &Flow,
) -> Ended {
    let mut start = tokio::time::Instant::now();
    for seq in 0..count {
        loop {
            // Subscribed before the state is read, so no change is missed.
            let mut changes = flow.state.subscribe();
            if !flow.go(&mut start).await {
                return Ended::Done;
            }
            let Some(r) = rate else { break };
            tokio::select! {
                _ = pace(start, seq, r) => break,
                // Paused or stopped while waiting: look again.
                _ = changes.changed() => {}
            }
        }
        let record = filler.fill(draft, seq);
        let topics = 1 + also.len() as u64;
        let copies = also.iter().map(|topic| Draft {
            topic: topic.clone(),
            ..record.clone()
        });
        for (i, r) in std::iter::once(record.clone()).chain(copies).enumerate() {
            if !producer.enqueue(&r).await {
                return Ended::Dead {
                    unsent: (count - seq) * topics - i as u64,
                };
            }
        }
        // An enqueue that never waits never yields: give the front end's
        // task its turn on this thread.
        tokio::task::consume_budget().await;
    }
    Ended::Done
}

/// A burst the engine runs: it starts once records can flow, so the rate
/// counts from then.
pub async fn run(
    producer: Arc<Producer>,
    draft: Draft,
    also: Vec<String>,
    count: u64,
    rate: Option<f64>,
    flow: Arc<Flow>,
) {
    producer.ready(&draft.topic).await;
    for topic in &also {
        producer.ready(topic).await;
    }
    let notice = |text: String| {
        let _ = producer.events().send(Event::Notice {
            level: crate::event::Level::Error,
            text,
        });
    };
    let filler = match draft.filler() {
        Ok(f) => f,
        Err(e) => return notice(format!("burst not sent: {e}")),
    };
    if let Ended::Dead { unsent } =
        send(&producer, &draft, &also, &filler, count, rate, &flow).await
    {
        let count = count * (1 + also.len() as u64);
        notice(format!(
            "burst ended by the producer's fatal error: {unsent} of its {count} record(s) not sent"
        ));
    }
}

/// How often a compare run's producer has librdkafka report its statistics,
/// and so how long a run waits after its last ack for the last report.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// Sends `count` numbered copies of `draft` with a producer built from the
/// variant's settings (after one warm-up record, not counted), waits for
/// every report, and adds up what happened: the batches as librdkafka's
/// statistics count them, the records' bytes as their delivery reports
/// tell.
pub async fn compare(
    connection: &Connection,
    variant: &Variant,
    draft: &Draft,
    count: u64,
    rate: Option<f64>,
) -> Result<Outcome, RunError> {
    let (events, mut rx) = mpsc::unbounded_channel();
    let mut settings = variant.settings.clone();
    settings.set_statistics_interval_ms(REPORT_EVERY.as_millis() as u32);
    let producer = Producer::build(
        &connection.with_settings(&settings),
        events,
        Arc::new(Counters::default()),
        None,
    )?;
    // A new producer first connects, reads metadata and gets its producer
    // id; one record sent and acked first keeps that out of the figures,
    // and so does the report that counts its batch.
    if !producer.enqueue(&draft.numbered(0)).await {
        return Err(RunError::Dead);
    }
    settle(&producer).await;
    while rx.try_recv().is_ok() {}
    let collect = tokio::spawn(async move {
        let mut o = Tally::default();
        // The run is timed from its start to its last report, in the
        // monotonic clock: compare's runs are short.
        let mut last = None;
        while let Some(event) = rx.recv().await {
            if matches!(event, Event::Acked(_) | Event::Failed { .. }) {
                last = Some(Instant::now());
            }
            o.take(&event, crate::clock::now_ms());
        }
        (o, last)
    });
    let filler = draft.filler()?;
    let start = Instant::now();
    send(
        &producer,
        draft,
        &[],
        &filler,
        count,
        rate,
        &Flow::default(),
    )
    .await;
    settle(&producer).await;
    // Dropping the producer ends its event stream once the last report is in.
    tokio::task::spawn_blocking(move || drop(producer))
        .await
        .map_err(|e| RunError::Task(Arc::new(e)))?;
    let (tally, last) = collect.await.map_err(|e| RunError::Task(Arc::new(e)))?;
    let last = last.unwrap_or(start);
    let q = |p: f64| Duration::from_micros(tally.latency_us(p));
    let latency = [
        q(0.50),
        q(0.95),
        q(0.99),
        Duration::from_micros(tally.max_latency_us()),
    ];
    Ok(Outcome {
        label: variant.label.clone(),
        acked: tally.acked,
        failed: tally.failed,
        elapsed: last.saturating_duration_since(start),
        partitions: tally.partitions,
        sent: tally.sent,
        record_bytes: tally.record_bytes,
        latency,
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
