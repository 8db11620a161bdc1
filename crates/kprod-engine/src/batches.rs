//! Batches as librdkafka builds and sends them: its `msg` debug lines say when
//! a partition's batch goes out (records, bytes on the wire, codec) and when
//! it is delivered; acked records then add up each batch's own bytes, so the
//! effect of linger.ms, batch.size, partitioners and codecs can be shown.

use std::collections::{BTreeMap, VecDeque};

use foldhash::HashMap;
use std::sync::Mutex;

pub use crate::debuglog::Line;

/// One batch the broker accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub topic: String,
    pub partition: i32,
    /// librdkafka's broker id that took it (-1 if its log did not say).
    pub broker: i32,
    pub records: u32,
    /// Keys, values and headers of its records: what compression works on.
    pub record_bytes: u64,
    /// The batch as it went on the wire (after compression).
    pub wire_bytes: u64,
    pub codec: String,
    /// How many times it was sent again before it was delivered.
    pub resends: u32,
}

#[derive(Debug, Default)]
struct Part {
    /// Sent and not yet delivered, by first message id.
    sent: BTreeMap<u64, Sent>,
    /// The highest message id sent so far: a batch at or below it is a resend.
    high: u64,
    /// Delivered, waiting for their records' reports (in order).
    delivered: VecDeque<Batch>,
    acked: u32,
    /// Without idempotence librdkafka numbers no message (every batch says
    /// MsgId 0): batches are then told apart by the order they went out,
    /// under this count, and a batch sent after a retriable failure is
    /// that batch again.
    unnumbered: u64,
    retries_due: u32,
}

#[derive(Debug)]
struct Sent {
    broker: i32,
    wire_bytes: u64,
    codec: String,
    resends: u32,
}

/// Pairs librdkafka's batch lines with the records' delivery reports.
#[derive(Debug, Default)]
pub struct Tracker {
    /// By topic, then partition: an ack finds its partition by the topic's
    /// name without a copy of it.
    parts: Mutex<HashMap<String, HashMap<i32, Part>>>,
}

impl Tracker {
    /// Takes a debug line; a resend (a batch whose records went before) is
    /// counted on the batch it repeats.
    pub fn line(&self, line: Line) {
        let mut parts = self.lock();
        match line {
            Line::Sent {
                broker,
                topic,
                partition,
                records,
                wire_bytes,
                first_msgid,
                codec,
                ..
            } => {
                let part = parts
                    .entry(topic)
                    .or_default()
                    .entry(partition)
                    .or_default();
                if first_msgid == 0 {
                    if part.retries_due > 0 {
                        part.retries_due -= 1;
                        if let Some((_, s)) = part.sent.iter_mut().next() {
                            s.resends += 1;
                        }
                        return;
                    }
                    part.unnumbered += 1;
                    let s = Sent {
                        broker,
                        wire_bytes,
                        codec,
                        resends: 0,
                    };
                    part.sent.insert(part.unnumbered, s);
                    return;
                }
                let last = first_msgid + u64::from(records.max(1)) - 1;
                if last <= part.high {
                    if let Some((_, s)) = part.sent.range_mut(..=first_msgid).next_back() {
                        s.resends += 1;
                    }
                    return;
                }
                part.high = last;
                part.sent.insert(
                    first_msgid,
                    Sent {
                        broker,
                        wire_bytes,
                        codec,
                        resends: 0,
                    },
                );
            }
            Line::Delivered {
                topic,
                partition,
                records,
                first_msgid,
            } => {
                let Some(part) = parts.get_mut(&topic).and_then(|t| t.get_mut(&partition)) else {
                    return;
                };
                // Batches before this one were failed for good; unnumbered
                // ones are answered in the order they went out.
                let sent = match first_msgid {
                    0 => part.sent.keys().next().copied(),
                    id => part.sent.range(..=id).next_back().map(|(k, _)| *k),
                };
                let Some(first) = sent else { return };
                let s = part.sent.remove(&first).expect("key just found");
                part.sent = part.sent.split_off(&first);
                part.delivered.push_back(Batch {
                    topic,
                    partition,
                    broker: s.broker,
                    records,
                    record_bytes: 0,
                    wire_bytes: s.wire_bytes,
                    codec: s.codec,
                    resends: s.resends,
                });
            }
            // A failed batch is sent again (a resend) or its records fail.
            // Numbered batches tell which by their ids; an unnumbered one
            // by librdkafka's actions.
            Line::Failed {
                topic,
                partition,
                first_msgid: 0,
                error,
            } => {
                let Some(part) = parts.get_mut(&topic).and_then(|t| t.get_mut(&partition)) else {
                    return;
                };
                if retried(&error) {
                    part.retries_due += 1;
                } else if let Some(first) = part.sent.keys().next().copied() {
                    part.sent.remove(&first);
                }
            }
            Line::Failed { .. } => {}
        }
    }

    /// Takes one acked record of `bytes`; returns its batch once the batch's
    /// last record is in.
    pub fn acked(&self, topic: &str, partition: i32, bytes: u64) -> Option<Batch> {
        let mut parts = self.lock();
        let part = parts.get_mut(topic)?.get_mut(&partition)?;
        let head = part.delivered.front_mut()?;
        head.record_bytes += bytes;
        part.acked += 1;
        if part.acked < head.records {
            return None;
        }
        part.acked = 0;
        part.delivered.pop_front()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<i32, Part>>> {
        crate::sync::lock(&self.parts)
    }
}

/// Whether librdkafka's actions for a failed batch (`... (actions
/// Retry,MsgNotPersisted)`) send it again.
fn retried(error: &str) -> bool {
    error
        .rsplit_once("(actions ")
        .is_some_and(|(_, actions)| actions.split([',', ')']).any(|a| a == "Retry"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debuglog::parse_batch as parse;

    const SENT: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo.x-1 [3]: Produce MessageSet with 2 message(s) (151 bytes, ApiVersion 7, MsgVersion 2, MsgId 1, BaseSeq 0, PID{Id:0,Epoch:0}, lz4)";
    const DONE: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo.x-1 [3]: MessageSet with 2 message(s) (MsgId 1, BaseSeq 0) delivered";

    #[test]
    fn pairs_batches_with_acks_and_counts_resends() {
        let t = Tracker::default();
        t.line(parse(SENT).unwrap());
        t.line(parse(SENT).unwrap()); // sent again: a resend
        t.line(parse(DONE).unwrap());
        assert_eq!(t.acked("demo.x-1", 3, 10), None);
        let b = t.acked("demo.x-1", 3, 15).unwrap();
        assert_eq!(
            (b.records, b.record_bytes, b.wire_bytes, b.resends, b.broker),
            (2, 25, 151, 1, 2)
        );
        assert_eq!(t.acked("demo.x-1", 3, 15), None);
    }

    /// A producer without idempotence: every batch says MsgId 0.
    fn unnumbered(records: u32, bytes: u64) -> String {
        format!("[thrd:x]: 127.0.0.1:1/2: demo [1]: Produce MessageSet with {records} message(s) ({bytes} bytes, ApiVersion 10, MsgVersion 2, MsgId 0, BaseSeq -1, PID{{Invalid}}, uncompressed)")
    }
    const UNNUMBERED_DONE: &str =
        "[thrd:x]: 127.0.0.1:1/2: demo [1]: MessageSet with 1 message(s) (MsgId 0, BaseSeq -1) delivered";
    const UNNUMBERED_RETRY: &str = "[thrd:x]: 127.0.0.1:1/2: demo [1]: MessageSet with 1 message(s) (MsgId 0, BaseSeq -1) encountered error: Broker: Not enough in-sync replicas (actions Retry,MsgNotPersisted)";
    const UNNUMBERED_GIVEN_UP: &str = "[thrd:x]: 127.0.0.1:1/2: demo [1]: MessageSet with 1 message(s) (MsgId 0, BaseSeq -1) encountered error: Broker: Message size too large (actions Permanent,MsgNotPersisted)";

    #[test]
    fn batches_without_message_ids_pair_in_the_order_they_went_out() {
        let t = Tracker::default();
        t.line(parse(&unnumbered(1, 70)).unwrap());
        t.line(parse(&unnumbered(1, 71)).unwrap());
        t.line(parse(UNNUMBERED_DONE).unwrap());
        t.line(parse(UNNUMBERED_DONE).unwrap());
        let first = t.acked("demo", 1, 5).unwrap();
        let second = t.acked("demo", 1, 6).unwrap();
        assert_eq!(
            (first.wire_bytes, first.record_bytes, first.resends),
            (70, 5, 0)
        );
        assert_eq!((second.wire_bytes, second.record_bytes), (71, 6));

        // Retried: the next batch out is the same one again.
        t.line(parse(&unnumbered(1, 72)).unwrap());
        t.line(parse(UNNUMBERED_RETRY).unwrap());
        t.line(parse(&unnumbered(1, 72)).unwrap());
        t.line(parse(UNNUMBERED_DONE).unwrap());
        let again = t.acked("demo", 1, 7).unwrap();
        assert_eq!((again.wire_bytes, again.resends), (72, 1));

        // Given up: the batch is forgotten, the next one stands alone.
        t.line(parse(&unnumbered(1, 73)).unwrap());
        t.line(parse(UNNUMBERED_GIVEN_UP).unwrap());
        t.line(parse(&unnumbered(1, 74)).unwrap());
        t.line(parse(UNNUMBERED_DONE).unwrap());
        let after = t.acked("demo", 1, 8).unwrap();
        assert_eq!((after.wire_bytes, after.resends), (74, 0));
    }
}
