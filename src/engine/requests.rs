//! Produce requests as librdkafka sends them, for the request view. This
//! librdkafka sends one ProduceRequest per partition batch; its `msg` and
//! `protocol` debug lines say what each carries, when it goes out (broker,
//! correlation id, size), when its response comes (round-trip time) and
//! whether its batch was delivered, refused or timed out. rust-rdkafka builds
//! librdkafka's configuration itself and offers no hook for interceptors,
//! which librdkafka only takes before the client starts; these lines carry
//! the same facts, in the same order as the delivery reports.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use super::batches::Line;

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

/// `HOST:PORT/ID: Sent ProduceRequest (v7, 1234 bytes @ 0, CorrId 5)`.
const SENT: &str = ": Sent ProduceRequest (";
/// `HOST:PORT/ID: Received ProduceResponse (v7, 55 bytes, CorrId 5, rtt 1.23ms)`.
const RECEIVED: &str = ": Received ProduceResponse (";

/// A request line from librdkafka's `protocol` debug context.
#[derive(Debug, Clone, PartialEq)]
pub enum Wire {
    Sent { broker: i32, corr: i32, bytes: u64 },
    Received { broker: i32, corr: i32, rtt_ms: f64 },
}

/// Reads a ProduceRequest or ProduceResponse line; others: None.
pub fn parse(msg: &str) -> Option<Wire> {
    let (at, sent) = match (msg.find(SENT), msg.find(RECEIVED)) {
        (Some(at), _) => (at, true),
        (_, Some(at)) => (at, false),
        _ => return None,
    };
    let broker = broker_id(&msg[..at])?;
    let inside = msg[at..].split_once(" (")?.1.strip_suffix(')')?;
    let fields: Vec<&str> = inside.split(", ").collect();
    let corr = fields
        .iter()
        .find_map(|f| f.strip_prefix("CorrId "))?
        .parse()
        .ok()?;
    if sent {
        let bytes = fields.get(1)?.split(' ').next()?.parse().ok()?;
        Some(Wire::Sent {
            broker,
            corr,
            bytes,
        })
    } else {
        let rtt_ms = fields
            .iter()
            .find_map(|f| f.strip_prefix("rtt "))?
            .strip_suffix("ms")?
            .parse()
            .ok()?;
        Some(Wire::Received {
            broker,
            corr,
            rtt_ms,
        })
    }
}

/// `[thrd:...]: HOST:PORT/ID` → ID.
fn broker_id(head: &str) -> Option<i32> {
    head.rsplit(": ").next()?.rsplit('/').next()?.parse().ok()
}

/// A batch built and waiting for its request to go out.
#[derive(Debug)]
struct Built {
    topic: String,
    partition: i32,
    records: u32,
    first_msgid: u64,
    pid: Option<(i64, i16)>,
}

#[derive(Debug, Default)]
struct State {
    /// Per broker, batches built in the order their requests will go out.
    built: HashMap<i32, VecDeque<Built>>,
    /// Requests out and not yet answered for, by partition and first msgid.
    out: HashMap<(String, i32), BTreeMap<u64, Request>>,
    /// Where an in-flight request is, by broker and correlation id.
    corr: HashMap<(i32, i32), (String, i32, u64)>,
    /// Sends so far of batches not yet delivered, by partition and msgid.
    attempts: HashMap<(String, i32), BTreeMap<u64, u32>>,
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
                s.built.entry(*broker).or_default().push_back(Built {
                    topic: topic.clone(),
                    partition: *partition,
                    records: *records,
                    first_msgid: *first_msgid,
                    pid: *pid,
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
                s.finish(&(topic.clone(), *partition), *first_msgid, outcome)
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
                let attempts = s.attempts.entry(key.clone()).or_default();
                let attempt = attempts.entry(b.first_msgid).or_insert(0);
                *attempt += 1;
                let request = Request {
                    broker,
                    corr,
                    topic: b.topic,
                    partition: b.partition,
                    records: b.records,
                    bytes,
                    first_msgid: b.first_msgid,
                    attempt: *attempt,
                    sent_ms: now_ms,
                    rtt_ms: None,
                    outcome: Outcome::InFlight,
                    pid: b.pid,
                };
                s.corr
                    .insert((broker, corr), (key.0.clone(), key.1, b.first_msgid));
                s.out
                    .entry(key)
                    .or_default()
                    .insert(b.first_msgid, request.clone());
                Some(request)
            }
            Wire::Received {
                broker,
                corr,
                rtt_ms,
            } => {
                let (topic, partition, msgid) = s.corr.remove(&(broker, corr))?;
                let r = s.out.get_mut(&(topic, partition))?.get_mut(&msgid)?;
                r.rtt_ms = Some(rtt_ms);
                // Told with its outcome, which the next line brings.
                None
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        super::lock(&self.state)
    }
}

impl State {
    fn finish(&mut self, key: &(String, i32), msgid: u64, outcome: Outcome) -> Option<Request> {
        let mut r = self.out.get_mut(key)?.remove(&msgid)?;
        self.corr.remove(&(r.broker, r.corr));
        r.outcome = outcome;
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::batches;

    const BUILT: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo [3]: Produce MessageSet with 2 message(s) (151 bytes, ApiVersion 7, MsgVersion 2, MsgId 1, BaseSeq 0, PID{Id:1000,Epoch:0}, none)";
    const SENT_LINE: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: Sent ProduceRequest (v7, 219 bytes @ 0, CorrId 9)";
    const RECEIVED_LINE: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: Received ProduceResponse (v7, 60 bytes, CorrId 9, rtt 3.51ms)";
    const TIMED_OUT: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo [3]: MessageSet with 2 message(s) (MsgId 1, BaseSeq 0) encountered error: Local: Timed out (actions Retry)";
    const DELIVERED: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo [3]: MessageSet with 2 message(s) (MsgId 1, BaseSeq 0) delivered";

    #[test]
    fn reads_request_lines() {
        assert_eq!(
            parse(SENT_LINE),
            Some(Wire::Sent {
                broker: 2,
                corr: 9,
                bytes: 219
            })
        );
        assert_eq!(
            parse(RECEIVED_LINE),
            Some(Wire::Received {
                broker: 2,
                corr: 9,
                rtt_ms: 3.51
            })
        );
        assert_eq!(
            parse("[thrd:x]: 127.0.0.1:1/1: Sent MetadataRequest (v12, 30 bytes @ 0, CorrId 2)"),
            None
        );
    }

    #[test]
    fn a_timed_out_request_and_its_retry() {
        let t = Tracker::default();
        let line = |l: &str| batches::parse(l).unwrap();
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
}
