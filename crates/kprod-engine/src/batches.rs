//! Batches as librdkafka builds and sends them: its `msg` debug lines say when
//! a partition's batch goes out (records, bytes on the wire, codec) and when
//! it is delivered; acked records then add up each batch's own bytes, so the
//! effect of linger.ms, batch.size, partitioners and codecs can be shown.

use std::collections::{BTreeMap, HashMap, VecDeque};
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
    parts: Mutex<HashMap<(String, i32), Part>>,
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
                let part = parts.entry((topic, partition)).or_default();
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
                let key = (topic, partition);
                let Some(part) = parts.get_mut(&key) else {
                    return;
                };
                // Batches before this one were failed for good.
                let sent = part.sent.range(..=first_msgid).next_back().map(|(k, _)| *k);
                let Some(first) = sent else { return };
                let s = part.sent.remove(&first).expect("key just found");
                part.sent = part.sent.split_off(&first);
                part.delivered.push_back(Batch {
                    topic: key.0.clone(),
                    partition: key.1,
                    broker: s.broker,
                    records,
                    record_bytes: 0,
                    wire_bytes: s.wire_bytes,
                    codec: s.codec,
                    resends: s.resends,
                });
            }
            // A failed batch is sent again (a resend) or its records fail.
            Line::Failed { .. } => {}
        }
    }

    /// Takes one acked record of `bytes`; returns its batch once the batch's
    /// last record is in.
    pub fn acked(&self, topic: &str, partition: i32, bytes: u64) -> Option<Batch> {
        let mut parts = self.lock();
        let part = parts.get_mut(&(topic.to_string(), partition))?;
        let head = part.delivered.front_mut()?;
        head.record_bytes += bytes;
        part.acked += 1;
        if part.acked < head.records {
            return None;
        }
        part.acked = 0;
        part.delivered.pop_front()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i32), Part>> {
        crate::sync::lock(&self.parts)
    }
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
}
