//! The one reader of librdkafka's debug lines. The `msg` context says when a
//! partition's batch is built, delivered or refused; the `protocol` context
//! says when a produce request goes out and when its response comes. Batches
//! (batches.rs) and requests (requests.rs) are both told from what this
//! reads, in the order librdkafka wrote it.

use std::sync::OnceLock;

use memchr::memmem::Finder;

/// A marker searched for in every line of its facility. `str::find` built
/// its searcher anew for each line, which cost more than the rest of the
/// parse; these are built once.
struct Marker {
    text: &'static str,
    finder: OnceLock<Finder<'static>>,
}

impl Marker {
    const fn new(text: &'static str) -> Marker {
        Marker {
            text,
            finder: OnceLock::new(),
        }
    }

    /// Where the marker starts in `line`: an ASCII marker starts on a
    /// character boundary.
    fn find(&self, line: &str) -> Option<usize> {
        let text = self.text;
        self.finder
            .get_or_init(|| Finder::new(text))
            .find(line.as_bytes())
    }

    fn len(&self) -> usize {
        self.text.len()
    }
}

static PRODUCE_SET: Marker = Marker::new("]: Produce MessageSet with ");
static MESSAGE_SET: Marker = Marker::new("]: MessageSet with ");
static ENCOUNTERED: Marker = Marker::new(") encountered error: ");

/// A line kprod uses, by what it tells.
#[derive(Debug, Clone, PartialEq)]
pub enum Debug {
    Batch(Line),
    Wire(Wire),
}

/// Reads a debug line of librdkafka's facility `fac`; lines kprod does not
/// use: None. A flood brings several lines a batch, so the facility picks
/// the reader before any text is looked at.
pub fn read(fac: &str, msg: &str) -> Option<Debug> {
    match fac {
        "PRODUCE" | "MSGSET" => parse_batch(msg).map(Debug::Batch),
        "SEND" | "RECV" => parse_wire(msg).map(Debug::Wire),
        _ => None,
    }
}

/// A line from librdkafka's `msg` debug context that kprod uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `Produce MessageSet with N message(s) (B bytes, ..., MsgId I, ...)`.
    Sent {
        broker: i32,
        topic: String,
        partition: i32,
        records: u32,
        wire_bytes: u64,
        first_msgid: u64,
        codec: String,
        /// The idempotent producer's id and epoch (`PID{Id:I,Epoch:E}`).
        pid: Option<(i64, i16)>,
    },
    /// `MessageSet with N message(s) (MsgId I, BaseSeq S) delivered`.
    Delivered {
        topic: String,
        partition: i32,
        records: u32,
        first_msgid: u64,
    },
    /// `MessageSet ... (MsgId I, BaseSeq S) encountered error: E (actions A)`.
    Failed {
        topic: String,
        partition: i32,
        first_msgid: u64,
        /// librdkafka's error text and what it does about it.
        error: String,
    },
}

/// Reads the lines kprod needs from a librdkafka debug message; others: None.
/// Fields are found with the searchers built once and single-byte splits
/// (memchr), not by splitting the line on ", " into a Vec: that split cost
/// more than all the rest of the reading.
pub fn parse_batch(msg: &str) -> Option<Line> {
    if let Some(at) = PRODUCE_SET.find(msg) {
        let (broker, topic, partition) = place(&msg[..at + 1])?;
        let rest = &msg[at + PRODUCE_SET.len()..];
        let (records, rest) = rest.split_once(' ')?;
        let records = records.parse().ok()?;
        let inside = rest
            .strip_prefix("message(s) (")?
            .trim_end()
            .strip_suffix(')')?;
        let wire_bytes = inside.split_once(' ')?.0.parse().ok()?;
        let first_msgid = field(inside, &MSGID)?.parse().ok()?;
        let codec = inside
            .rsplit_once(' ')
            .map_or(inside, |(_, c)| c)
            .to_string();
        let pid = PID.find(inside).and_then(|at| {
            let pid = &inside[at + PID.len()..];
            let (id, rest) = pid.split_once(',')?;
            let epoch = rest.strip_prefix("Epoch:")?.split_once('}')?.0;
            Some((id.parse().ok()?, epoch.parse().ok()?))
        });
        return Some(Line::Sent {
            broker,
            topic,
            partition,
            records,
            wire_bytes,
            first_msgid,
            codec,
            pid,
        });
    }
    if let Some(at) = ENCOUNTERED.find(msg) {
        let (head, error) = (&msg[..at], &msg[at + ENCOUNTERED.len()..]);
        let (topic, partition, _, first_msgid) = message_set(head)?;
        return Some(Line::Failed {
            topic,
            partition,
            first_msgid,
            error: error.trim_end().to_string(),
        });
    }
    if msg.ends_with(") delivered") {
        let (topic, partition, records, first_msgid) = message_set(msg)?;
        return Some(Line::Delivered {
            topic,
            partition,
            records,
            first_msgid,
        });
    }
    None
}

static MSGID: Marker = Marker::new(", MsgId ");
static PID: Marker = Marker::new("PID{Id:");
static OPEN_MSGID: Marker = Marker::new("(MsgId ");
static CORR_ID: Marker = Marker::new("CorrId ");
static RTT: Marker = Marker::new(", rtt ");

/// The value of the `, NAME VALUE` field `marker` starts, up to the next
/// comma or the end.
fn field<'a>(fields: &'a str, marker: &Marker) -> Option<&'a str> {
    let value = &fields[marker.find(fields)? + marker.len()..];
    Some(value.split_once(',').map_or(value, |(v, _)| v))
}

/// `... TOPIC [P]: MessageSet with N message(s) (MsgId I, ...` → (TOPIC, P,
/// N, I), as the delivered and error lines begin.
fn message_set(msg: &str) -> Option<(String, i32, u32, u64)> {
    let at = MESSAGE_SET.find(msg)?;
    let (_, topic, partition) = place(&msg[..at + 1])?;
    let rest = &msg[at + MESSAGE_SET.len()..];
    let records = rest.split_once(' ')?.0.parse().ok()?;
    let first_msgid = field(rest, &OPEN_MSGID)?.parse().ok()?;
    Some((topic, partition, records, first_msgid))
}

/// `... HOST:PORT/ID: TOPIC [P]` → (ID, TOPIC, P). Topic names have no
/// spaces, so the last space before ` [P]` ends the `: ` that starts the
/// topic.
fn place(head: &str) -> Option<(i32, String, i32)> {
    let (before, partition) = head.strip_suffix(']')?.rsplit_once(" [")?;
    let partition = partition.parse().ok()?;
    let (before, topic) = before.rsplit_once(' ')?;
    let before = before.strip_suffix(':')?;
    let broker = broker_id(before).unwrap_or(-1);
    Some((broker, topic.to_string(), partition))
}

/// `HOST:PORT/ID: Sent ProduceRequest (v7, 1234 bytes @ 0, CorrId 5)`.
static SENT: Marker = Marker::new(": Sent ProduceRequest (");
/// `HOST:PORT/ID: Received ProduceResponse (v7, 55 bytes, CorrId 5, rtt 1.23ms)`.
static RECEIVED: Marker = Marker::new(": Received ProduceResponse (");

/// A request line from librdkafka's `protocol` debug context.
#[derive(Debug, Clone, PartialEq)]
pub enum Wire {
    Sent { broker: i32, corr: i32, bytes: u64 },
    Received { broker: i32, corr: i32, rtt_ms: f64 },
}

/// Reads a ProduceRequest or ProduceResponse line; others: None.
pub fn parse_wire(msg: &str) -> Option<Wire> {
    let (at, sent) = match SENT.find(msg) {
        Some(at) => (at, true),
        None => (RECEIVED.find(msg)?, false),
    };
    let broker = broker_id(&msg[..at])?;
    let marker = if sent { &SENT } else { &RECEIVED };
    let inside = msg[at + marker.len()..].strip_suffix(')')?;
    let corr = field(inside, &CORR_ID)?.parse().ok()?;
    if sent {
        // `v7, 1234 bytes @ 0, ...`: the size is the second field.
        let bytes = inside
            .split_once(',')?
            .1
            .strip_prefix(' ')?
            .split_once(' ')?
            .0
            .parse()
            .ok()?;
        Some(Wire::Sent {
            broker,
            corr,
            bytes,
        })
    } else {
        let rtt_ms = field(inside, &RTT)?.strip_suffix("ms")?.parse().ok()?;
        Some(Wire::Received {
            broker,
            corr,
            rtt_ms,
        })
    }
}

/// `[thrd:...]: HOST:PORT/ID` → ID: what follows the last `/`, if it is a
/// number (a broker not yet known, `HOST:PORT/bootstrap`, has none).
fn broker_id(head: &str) -> Option<i32> {
    head.rsplit_once('/')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENT: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo.x-1 [3]: Produce MessageSet with 2 message(s) (151 bytes, ApiVersion 7, MsgVersion 2, MsgId 1, BaseSeq 0, PID{Id:0,Epoch:0}, lz4)";
    const DONE: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: demo.x-1 [3]: MessageSet with 2 message(s) (MsgId 1, BaseSeq 0) delivered";
    const SENT_LINE: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: Sent ProduceRequest (v7, 219 bytes @ 0, CorrId 9)";
    const RECEIVED_LINE: &str = "[thrd:127.0.0.1:40533/bootstrap]: 127.0.0.1:40533/2: Received ProduceResponse (v7, 60 bytes, CorrId 9, rtt 3.51ms)";

    #[test]
    fn reads_librdkafkas_lines() {
        assert_eq!(
            parse_batch(SENT),
            Some(Line::Sent {
                broker: 2,
                topic: "demo.x-1".into(),
                partition: 3,
                records: 2,
                wire_bytes: 151,
                first_msgid: 1,
                codec: "lz4".into(),
                pid: Some((0, 0))
            })
        );
        assert_eq!(
            parse_batch(DONE),
            Some(Line::Delivered {
                topic: "demo.x-1".into(),
                partition: 3,
                records: 2,
                first_msgid: 1
            })
        );
        assert_eq!(parse_batch("[thrd:main]: something else"), None);
    }

    #[test]
    fn reads_lines_without_the_thread_name() {
        // kprod turns log.thread.name off unless the user turned it on: the
        // lines read the same either way.
        let bare = |line: &str| line.split_once("]: ").unwrap().1.to_string();
        assert_eq!(parse_batch(&bare(SENT)), parse_batch(SENT));
        assert_eq!(parse_batch(&bare(DONE)), parse_batch(DONE));
        assert_eq!(parse_wire(&bare(SENT_LINE)), parse_wire(SENT_LINE));
        assert_eq!(parse_wire(&bare(RECEIVED_LINE)), parse_wire(RECEIVED_LINE));
        assert!(parse_batch(&bare(SENT)).is_some());
        assert!(parse_wire(&bare(RECEIVED_LINE)).is_some());
    }

    #[test]
    fn reads_request_lines() {
        assert_eq!(
            parse_wire(SENT_LINE),
            Some(Wire::Sent {
                broker: 2,
                corr: 9,
                bytes: 219
            })
        );
        assert_eq!(
            parse_wire(RECEIVED_LINE),
            Some(Wire::Received {
                broker: 2,
                corr: 9,
                rtt_ms: 3.51
            })
        );
        assert_eq!(
            parse_wire(
                "[thrd:x]: 127.0.0.1:1/1: Sent MetadataRequest (v12, 30 bytes @ 0, CorrId 2)"
            ),
            None
        );
    }
}
