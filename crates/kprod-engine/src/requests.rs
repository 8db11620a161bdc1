//! Produce requests as librdkafka sends them, for the request view. This
//! librdkafka sends one ProduceRequest per partition batch; its `msg` and
//! `protocol` debug lines say what each carries, when it goes out (broker,
//! correlation id, size), when its response comes (round-trip time) and
//! whether its batch was delivered, refused or timed out. rust-rdkafka builds
//! librdkafka's configuration itself and offers no hook for interceptors,
//! which librdkafka only takes before the client starts; these lines carry
//! the same facts, in the same order as the delivery reports.
//!
//! A retry is known exactly when the producer is idempotent: librdkafka
//! numbers its records and a retried batch starts at the same number.
//! Without idempotence every batch says number 0, so the first batch built
//! for a partition after one of its batches failed with `actions Retry` is
//! taken as that batch's retry (librdkafka puts the records back at the head
//! of the partition's queue and builds nothing there until they go again).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

pub use crate::debuglog::{Line, Wire};

/// One produce request: a batch of one partition sent to its leader once.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub broker: i32,
    /// librdkafka's correlation id, unique per connection.
    pub corr: i32,
    pub topic: String,
    pub partition: i32,
    pub records: u32,
    /// The request's size on the wire.
    pub bytes: u64,
    /// The batch's first record (librdkafka's message id): a retry repeats it.
    pub first_msgid: u64,
    /// 1 for the first send of these records, 2 for the first retry, ...
    pub attempt: u32,
    /// When it went out, in ms since the epoch.
    pub sent_ms: i64,
    /// Time to its response, once one came.
    pub rtt_ms: Option<f64>,
    pub outcome: Outcome,
    /// The idempotent producer's id and epoch it carried, if any.
    pub pid: Option<(i64, i16)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    InFlight,
    Delivered,
    /// The broker (or librdkafka) refused it: the error and what librdkafka
    /// does next (`actions Retry`, `Permanent`, ...).
    Failed(String),
    /// No response within request.timeout.ms.
    TimedOut(String),
}

impl Request {
    pub fn is_retry(&self) -> bool {
        self.attempt > 1
    }
}

/// A batch built and waiting for its request to go out.
#[derive(Debug)]
struct Built {
    topic: String,
    partition: i32,
    records: u32,
    first_msgid: u64,
    pid: Option<(i64, i16)>,
    /// Known at build time without msgids: 2 and up for a retry.
    attempt: Option<u32>,
}

#[derive(Debug, Default)]
struct State {
    /// Per broker, batches built in the order their requests will go out.
    built: HashMap<i32, VecDeque<Built>>,
    /// Requests out and not yet settled, per partition in the order sent,
    /// each with its serial.
    out: HashMap<(String, i32), VecDeque<(u64, Request)>>,
    /// Where an in-flight request is, by broker and correlation id.
    corr: HashMap<(i32, i32), ((String, i32), u64)>,
    serial: u64,
    /// Sends so far of records not yet delivered, by partition and first
    /// msgid (idempotent producers).
    attempts: HashMap<(String, i32), BTreeMap<u64, u32>>,
    /// Failed batches waiting for their retry, as (attempt, records), by
    /// partition (producers without msgids).
    owed: HashMap<(String, i32), VecDeque<(u32, u32)>>,
}

/// Pairs the lines of each request; every change comes back as the
/// request's new state.
#[derive(Debug, Default)]
pub struct Tracker {
    state: Mutex<State>,
}

impl Tracker {
    /// A batch line (built, delivered, failed).
    pub fn batch(&self, line: &Line) -> Option<Request> {
        let mut s = self.lock();
        match line {
            Line::Sent {
                broker,
                topic,
                partition,
                records,
                first_msgid,
                pid,
                ..
            } => {
                let attempt = (*first_msgid == 0).then(|| {
                    let Some(owed) = s.owed.get_mut(&(topic.clone(), *partition)) else {
                        return 1;
                    };
                    // librdkafka may rebuild several failed batches as one.
                    let Some((mut before, mut covered)) = owed.pop_front() else {
                        return 1;
                    };
                    while let Some(&(a, r)) = owed.front() {
                        if covered + r > *records {
                            break;
                        }
                        owed.pop_front();
                        (before, covered) = (before.max(a), covered + r);
                    }
                    before + 1
                });
                s.built.entry(*broker).or_default().push_back(Built {
                    topic: topic.clone(),
                    partition: *partition,
                    records: *records,
                    first_msgid: *first_msgid,
                    pid: *pid,
                    attempt,
                });
                None
            }
            Line::Delivered {
                topic,
                partition,
                first_msgid,
                ..
            } => {
                let key = (topic.clone(), *partition);
                // Delivered in order: what came before is settled.
                if let Some(a) = s.attempts.get_mut(&key) {
                    *a = a.split_off(&(first_msgid + 1));
                }
                s.finish(&key, *first_msgid, Outcome::Delivered)
            }
            Line::Failed {
                topic,
                partition,
                first_msgid,
                error,
            } => {
                let outcome = if error.starts_with("Local: Timed out") {
                    Outcome::TimedOut(error.clone())
                } else {
                    Outcome::Failed(error.clone())
                };
                let key = (topic.clone(), *partition);
                if error.starts_with("Local: Timed out in queue") {
                    s.unbuild(&key, *first_msgid);
                    return None;
                }
                let Some(r) = s.finish(&key, *first_msgid, outcome) else {
                    // Failed before it was sent (timed out in the queue):
                    // its request never comes.
                    s.unbuild(&key, *first_msgid);
                    return None;
                };
                let retried = error
                    .rsplit_once("(actions ")
                    .is_some_and(|(_, actions)| actions.contains("Retry"));
                if r.first_msgid == 0 && retried {
                    s.owed
                        .entry(key)
                        .or_default()
                        .push_back((r.attempt, r.records));
                }
                Some(r)
            }
        }
    }

    /// A request line (sent, answered); `now_ms` stamps a sent one.
    pub fn wire(&self, line: &Wire, now_ms: i64) -> Option<Request> {
        let mut s = self.lock();
        match *line {
            Wire::Sent {
                broker,
                corr,
                bytes,
            } => {
                let b = s.built.get_mut(&broker)?.pop_front()?;
                let key = (b.topic.clone(), b.partition);
                let attempt = b.attempt.unwrap_or_else(|| {
                    let attempts = s.attempts.entry(key.clone()).or_default();
                    let attempt = attempts.entry(b.first_msgid).or_insert(0);
                    *attempt += 1;
                    *attempt
                });
                let request = Request {
                    broker,
                    corr,
                    topic: b.topic,
                    partition: b.partition,
                    records: b.records,
                    bytes,
                    first_msgid: b.first_msgid,
                    attempt,
                    sent_ms: now_ms,
                    rtt_ms: None,
                    outcome: Outcome::InFlight,
                    pid: b.pid,
                };
                s.serial += 1;
                let serial = s.serial;
                s.corr.insert((broker, corr), (key.clone(), serial));
                s.out
                    .entry(key)
                    .or_default()
                    .push_back((serial, request.clone()));
                Some(request)
            }
            Wire::Received {
                broker,
                corr,
                rtt_ms,
            } => {
                let (key, serial) = s.corr.remove(&(broker, corr))?;
                let (_, r) = s
                    .out
                    .get_mut(&key)?
                    .iter_mut()
                    .find(|(n, _)| *n == serial)?;
                r.rtt_ms = Some(rtt_ms);
                // Told with its outcome, which the next line brings.
                None
            }
        }
    }

    /// A record of the partition failed for good (its delivery report):
    /// librdkafka said `Retry` of its batch, but will not retry it, so no
    /// retry is owed any more.
    pub fn given_up(&self, topic: &str, partition: i32) {
        self.lock().owed.remove(&(topic.to_string(), partition));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::sync::lock(&self.state)
    }
}

impl State {
    /// Forgets the batch of `key` starting at `msgid` (the oldest without
    /// msgids) that was built but never sent.
    fn unbuild(&mut self, key: &(String, i32), msgid: u64) {
        for queue in self.built.values_mut() {
            let found = queue.iter().position(|b| {
                (&b.topic, b.partition) == (&key.0, key.1) && (msgid == 0 || b.first_msgid == msgid)
            });
            if let Some(at) = found {
                queue.remove(at);
                return;
            }
        }
    }

    /// Settles the request of `key` whose batch starts at `msgid`. Without
    /// msgids (0): the oldest one out that was answered, or for a local
    /// error (a timeout, a cut connection) the oldest one that was not, as a
    /// lost response leaves a request behind the ones answered after it.
    fn finish(&mut self, key: &(String, i32), msgid: u64, outcome: Outcome) -> Option<Request> {
        let out = self.out.get_mut(key).filter(|o| !o.is_empty())?;
        let local = match &outcome {
            Outcome::TimedOut(_) => true,
            Outcome::Failed(e) => e.starts_with("Local:"),
            _ => false,
        };
        let at = match msgid {
            0 => out
                .iter()
                .position(|(_, r)| r.rtt_ms.is_none() == local)
                .unwrap_or(0),
            _ => out.iter().position(|(_, r)| r.first_msgid == msgid)?,
        };
        let (_, mut r) = out.remove(at)?;
        self.corr.remove(&(r.broker, r.corr));
        r.outcome = outcome;
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debuglog::{parse_batch, parse_wire as parse};

    const BUILT: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo [3]: Produce MessageSet with 2 message(s) (151 bytes, ApiVersion 7, MsgVersion 2, MsgId 1, BaseSeq 0, PID{Id:1000,Epoch:0}, none)";
    const SENT_LINE: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: Sent ProduceRequest (v7, 219 bytes @ 0, CorrId 9)";
    const RECEIVED_LINE: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: Received ProduceResponse (v7, 60 bytes, CorrId 9, rtt 3.51ms)";
    const TIMED_OUT: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo [3]: MessageSet with 2 message(s) (MsgId 1, BaseSeq 0) encountered error: Local: Timed out (actions Retry)";
    const DELIVERED: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo [3]: MessageSet with 2 message(s) (MsgId 1, BaseSeq 0) delivered";

    #[test]
    fn a_timed_out_request_and_its_retry() {
        let t = Tracker::default();
        let line = |l: &str| parse_batch(l).unwrap();
        let wire = |l: &str| parse(l).unwrap();

        assert_eq!(t.batch(&line(BUILT)), None);
        let first = t.wire(&wire(SENT_LINE), 100).unwrap();
        assert_eq!(
            (first.broker, first.corr, first.records, first.bytes),
            (2, 9, 2, 219)
        );
        assert_eq!((first.attempt, first.pid), (1, Some((1000, 0))));
        assert_eq!(first.outcome, Outcome::InFlight);
        let timed_out = t.batch(&line(TIMED_OUT)).unwrap();
        assert_eq!(
            timed_out.outcome,
            Outcome::TimedOut("Local: Timed out (actions Retry)".into())
        );
        assert_eq!(timed_out.rtt_ms, None);

        // The same records again, on a new request.
        t.batch(&line(BUILT));
        let retry = t
            .wire(&wire(&SENT_LINE.replace("CorrId 9", "CorrId 12")), 200)
            .unwrap();
        assert!(retry.is_retry());
        assert_eq!(retry.attempt, 2);
        assert_eq!(
            t.wire(&wire(&RECEIVED_LINE.replace("CorrId 9", "CorrId 12")), 0),
            None
        );
        let done = t.batch(&line(DELIVERED)).unwrap();
        assert_eq!(
            (done.corr, done.outcome, done.rtt_ms),
            (12, Outcome::Delivered, Some(3.51))
        );
        // Settled: nothing kept for it.
        let s = t.lock();
        assert!(s.corr.is_empty() && s.attempts.values().all(|a| a.is_empty()));
    }

    #[test]
    fn without_msgids_requests_settle_in_order_and_a_retry_follows_its_failure() {
        let t = Tracker::default();
        let plain = |l: &str| {
            parse_batch(
                &l.replace(
                    "MsgId 1, BaseSeq 0, PID{Id:1000,Epoch:0}",
                    "MsgId 0, BaseSeq -1",
                )
                .replace("MsgId 1, BaseSeq 0", "MsgId 0, BaseSeq -1"),
            )
            .unwrap()
        };
        let sent =
            |corr: i32| parse(&SENT_LINE.replace("CorrId 9", &format!("CorrId {corr}"))).unwrap();
        // Two batches of one partition in flight; the first times out.
        for corr in [1, 2] {
            t.batch(&plain(BUILT));
            assert_eq!(t.wire(&sent(corr), 0).unwrap().attempt, 1);
        }
        // The second is answered first; the first's response never comes.
        let received = |corr: i32| {
            parse(&RECEIVED_LINE.replace("CorrId 9", &format!("CorrId {corr}"))).unwrap()
        };
        assert_eq!(t.wire(&received(2), 0), None);
        let done = t.batch(&plain(DELIVERED)).unwrap();
        assert_eq!((done.corr, done.outcome), (2, Outcome::Delivered));
        // Built before the failure was known: new records.
        t.batch(&plain(BUILT));
        let lost = t.batch(&plain(TIMED_OUT)).unwrap();
        assert_eq!((lost.corr, lost.attempt), (1, 1));
        assert_eq!(t.wire(&sent(6), 0).unwrap().attempt, 1);
        // The next batch built for the partition is the retry; the one after
        // is new.
        t.batch(&plain(BUILT));
        assert_eq!(t.wire(&sent(3), 0).unwrap().attempt, 2);
        t.batch(&plain(BUILT));
        assert_eq!(t.wire(&sent(4), 0).unwrap().attempt, 1);
        // Two failed batches rebuilt as one: one retry; the next is new.
        let t = Tracker::default();
        for corr in [20, 21] {
            t.batch(&plain(BUILT));
            t.wire(&sent(corr), 0).unwrap();
        }
        t.batch(&plain(TIMED_OUT));
        t.batch(&plain(TIMED_OUT));
        t.batch(&plain(&BUILT.replace("2 message(s)", "4 message(s)")));
        assert_eq!(t.wire(&sent(22), 0).unwrap().attempt, 2);
        t.batch(&plain(BUILT));
        assert_eq!(t.wire(&sent(23), 0).unwrap().attempt, 1);
        // A retry librdkafka gives up on (its records failed) is not owed.
        t.batch(&plain(TIMED_OUT));
        t.given_up("demo", 3);
        t.batch(&plain(BUILT));
        assert_eq!(t.wire(&sent(24), 0).unwrap().attempt, 1);
        // A batch that times out before it is sent leaves the next request
        // its own identity.
        t.batch(&plain(BUILT));
        let queued = TIMED_OUT.replace("Local: Timed out", "Local: Timed out in queue");
        assert_eq!(t.batch(&plain(&queued)), None);
        t.batch(&plain(&BUILT.replace("2 message(s)", "7 message(s)")));
        assert_eq!(t.wire(&sent(25), 0).unwrap().records, 7);
        // A refusal librdkafka does not retry owes nothing.
        t.batch(&plain(
            &TIMED_OUT.replace("(actions Retry)", "(actions Permanent)"),
        ));
        t.batch(&plain(BUILT));
        assert_eq!(t.wire(&sent(5), 0).unwrap().attempt, 1);
    }
}
