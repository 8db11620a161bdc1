//! Faults on demand, as a teacher types them: take a broker down and up,
//! slow it, lose its acks, fail the next produce requests with an error,
//! move a partition's leader. The embedded cluster carries them out through
//! librdkafka's mock API (see cluster.rs), a real one through kprod's proxy
//! (proxy.rs).

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::settings::Settings;

/// What `parse` takes, for prompts, help and errors.
pub const FAULT_SYNTAX: &str =
    "down B · up B · slow B MS · lose-acks N [B] · fail N ERROR · leader TOPIC P B · clear";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The broker stops: its connections close and it takes no more.
    Down(i32),
    Up(i32),
    /// Every response from the broker comes this much later (0: no delay).
    Slow {
        broker: i32,
        ms: u32,
    },
    /// The broker (every broker when None) appends the next `count` produce
    /// requests' records but answers each only after the client gave up.
    LoseAcks {
        broker: Option<i32>,
        count: u32,
    },
    /// The next `count` produce requests (to any broker) are refused with
    /// `error`, nothing appended.
    Fail {
        count: u32,
        error: ErrorCode,
    },
    /// The partition's leadership moves to `broker`.
    Leader {
        topic: String,
        partition: i32,
        broker: i32,
    },
    /// Every broker up, no delay, no errors or lost acks waiting.
    Clear,
}

/// A Kafka protocol error a produce request can be refused with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub name: &'static str,
    pub code: i16,
    /// Whether the Java client (and librdkafka) retry it.
    pub retriable: bool,
}

/// The errors a broker answers produce requests with, by Kafka's names.
pub const PRODUCE_ERRORS: &[ErrorCode] = &[
    ErrorCode {
        name: "CORRUPT_MESSAGE",
        code: 2,
        retriable: true,
    },
    ErrorCode {
        name: "UNKNOWN_TOPIC_OR_PARTITION",
        code: 3,
        retriable: true,
    },
    ErrorCode {
        name: "NOT_LEADER_OR_FOLLOWER",
        code: 6,
        retriable: true,
    },
    ErrorCode {
        name: "REQUEST_TIMED_OUT",
        code: 7,
        retriable: true,
    },
    ErrorCode {
        name: "MESSAGE_TOO_LARGE",
        code: 10,
        retriable: false,
    },
    ErrorCode {
        name: "NETWORK_EXCEPTION",
        code: 13,
        retriable: true,
    },
    ErrorCode {
        name: "NOT_ENOUGH_REPLICAS",
        code: 19,
        retriable: true,
    },
    ErrorCode {
        name: "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
        code: 20,
        retriable: true,
    },
    ErrorCode {
        name: "TOPIC_AUTHORIZATION_FAILED",
        code: 29,
        retriable: false,
    },
    // An idempotent producer cannot retry past a gap in its sequence
    // numbers without risking duplicates: librdkafka makes it fatal.
    ErrorCode {
        name: "OUT_OF_ORDER_SEQUENCE_NUMBER",
        code: 45,
        retriable: false,
    },
    ErrorCode {
        name: "INVALID_PRODUCER_EPOCH",
        code: 47,
        retriable: false,
    },
    ErrorCode {
        name: "KAFKA_STORAGE_ERROR",
        code: 56,
        retriable: true,
    },
    ErrorCode {
        name: "INVALID_RECORD",
        code: 87,
        retriable: false,
    },
];

impl ErrorCode {
    /// By Kafka's name (any case) or its number.
    pub fn find(text: &str) -> Result<ErrorCode, String> {
        PRODUCE_ERRORS
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(text) || text.parse() == Ok(e.code))
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = PRODUCE_ERRORS.iter().map(|e| e.name).collect();
                format!("unknown error '{text}': one of {}", names.join(", "))
            })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Down(b) => write!(f, "broker {b} down"),
            Fault::Up(b) => write!(f, "broker {b} up"),
            Fault::Slow { broker, ms: 0 } => write!(f, "broker {broker} no longer slowed"),
            Fault::Slow { broker, ms } => write!(f, "broker {broker} answers {ms} ms late"),
            Fault::LoseAcks {
                broker: Some(b),
                count,
            } => write!(
                f,
                "broker {b} loses the acks of its next {count} produce request(s)"
            ),
            Fault::LoseAcks {
                broker: None,
                count,
            } => write!(
                f,
                "every broker loses the acks of its next {count} produce request(s)"
            ),
            Fault::Fail { count, error } => write!(
                f,
                "the next {count} produce request(s) fail with {} ({}, {})",
                error.name,
                error.code,
                if error.retriable {
                    "retriable"
                } else {
                    "not retriable"
                }
            ),
            Fault::Leader {
                topic,
                partition,
                broker,
            } => write!(f, "{topic} [{partition}] led by broker {broker}"),
            Fault::Clear => write!(f, "faults cleared: every broker up, no delay, no errors"),
        }
    }
}

/// Reads a fault as typed; the error says which part is wrong.
pub fn parse(text: &str) -> Result<Fault, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let number = |i: usize, what: &str| -> Result<i64, String> {
        let w = words
            .get(i)
            .ok_or_else(|| format!("'{}' needs {what}: {FAULT_SYNTAX}", words[0]))?;
        w.parse::<i64>()
            .map_err(|_| format!("{what} must be a whole number, not '{w}'"))
    };
    let broker = |i: usize| -> Result<i32, String> {
        let b = number(i, "a broker id")?;
        i32::try_from(b).map_err(|_| format!("no broker {b}"))
    };
    let count = |i: usize, what: &str, max: i64| -> Result<u32, String> {
        let n = number(i, what)?;
        if (1..=max).contains(&n) {
            Ok(n as u32)
        } else {
            Err(format!("{what} must be from 1 to {max}, not {n}"))
        }
    };
    let expect = |n: usize| -> Result<(), String> {
        if words.len() > n {
            Err(format!(
                "'{}' takes {} word(s) after it: {FAULT_SYNTAX}",
                words[0],
                n - 1
            ))
        } else {
            Ok(())
        }
    };
    let Some(first) = words.first() else {
        return Err(format!("type a fault: {FAULT_SYNTAX}"));
    };
    let fault = match first.to_ascii_lowercase().as_str() {
        "down" => Fault::Down(broker(1)?),
        "up" => Fault::Up(broker(1)?),
        "slow" => {
            let ms = number(2, "a delay in ms")?;
            if !(0..=600_000).contains(&ms) {
                return Err(format!("a delay from 0 to 600000 ms, not {ms}"));
            }
            Fault::Slow {
                broker: broker(1)?,
                ms: ms as u32,
            }
        }
        "lose-acks" => Fault::LoseAcks {
            count: count(1, "a request count", 1000)?,
            broker: if words.len() > 2 {
                Some(broker(2)?)
            } else {
                None
            },
        },
        "fail" => Fault::Fail {
            count: count(1, "a request count", 1000)?,
            error: ErrorCode::find(words.get(2).ok_or_else(|| {
                format!("'fail' needs an error name, e.g. NOT_ENOUGH_REPLICAS: {FAULT_SYNTAX}")
            })?)?,
        },
        "leader" => {
            let topic = words
                .get(1)
                .ok_or_else(|| format!("'leader' needs a topic: {FAULT_SYNTAX}"))?;
            let partition = number(2, "a partition")?;
            let partition = i32::try_from(partition)
                .ok()
                .filter(|p| *p >= 0)
                .ok_or_else(|| format!("no partition {partition}"))?;
            Fault::Leader {
                topic: topic.to_string(),
                partition,
                broker: broker(3)?,
            }
        }
        "clear" => Fault::Clear,
        other => return Err(format!("unknown fault '{other}': {FAULT_SYNTAX}")),
    };
    let words_taken = match &fault {
        Fault::Down(_) | Fault::Up(_) => 2,
        Fault::Slow { .. } | Fault::LoseAcks { .. } | Fault::Fail { .. } => 3,
        Fault::Leader { .. } => 4,
        Fault::Clear => 1,
    };
    expect(words_taken)?;
    Ok(fault)
}

/// What carries faults out: the embedded cluster (cluster.rs) or kprod's
/// proxy in front of a real one (proxy.rs).
pub trait Injector: Send + Sync {
    /// Carries a fault out under the producer's current settings; Ok says
    /// what a user should know about it, to follow the fault's own words.
    fn inject<'a>(
        &'a self,
        fault: &'a Fault,
        settings: &'a Settings,
    ) -> BoxFuture<'a, Result<String, String>>;

    /// What the fault shows here that a real broker would not.
    fn caveat(&self, _fault: &Fault, _settings: &Settings) -> Option<&'static str> {
        None
    }
}

/// When `kprod produce --fault` makes its fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// Before the first record.
    Start,
    /// Once this many records were acked or failed.
    Settled(u64),
    /// This long after the start.
    After(Duration),
}

/// A fault and when to make it: `FAULT`, `@N FAULT` (after N records were
/// acked or failed) or `@5s FAULT` / `@500ms FAULT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub when: When,
    pub fault: Fault,
}

pub fn parse_scheduled(text: &str) -> Result<Scheduled, String> {
    let text = text.trim();
    let Some(rest) = text.strip_prefix('@') else {
        return Ok(Scheduled {
            when: When::Start,
            fault: parse(text)?,
        });
    };
    let (at, fault) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("'@{rest}' needs a fault after it: {FAULT_SYNTAX}"))?;
    let bad = || format!("'@{at}': a record count (@500), seconds (@5s) or milliseconds (@500ms)");
    let when = if let Some(ms) = at.strip_suffix("ms") {
        When::After(Duration::from_millis(ms.parse().map_err(|_| bad())?))
    } else if let Some(secs) = at.strip_suffix('s') {
        let secs: f64 = secs.parse().map_err(|_| bad())?;
        When::After(Duration::try_from_secs_f64(secs).map_err(|_| bad())?)
    } else {
        When::Settled(at.parse().map_err(|_| bad())?)
    };
    Ok(Scheduled {
        when,
        fault: parse(fault)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_when_a_scheduled_fault_comes() {
        let at = |t: &str| parse_scheduled(t).map(|s| s.when);
        assert_eq!(at("down 1"), Ok(When::Start));
        assert_eq!(at("@500 down 1"), Ok(When::Settled(500)));
        assert_eq!(
            at("@2.5s up 1"),
            Ok(When::After(Duration::from_millis(2500)))
        );
        assert_eq!(
            at("@40ms clear"),
            Ok(When::After(Duration::from_millis(40)))
        );
        for (typed, reason) in [
            ("@5", "needs a fault after it"),
            ("@x down 1", "a record count (@500)"),
            ("@-1s down 1", "a record count"),
            ("@1e99s down 1", "a record count"),
            ("@99999999999999999999 down 1", "a record count"),
            ("@5 explode", "unknown fault"),
        ] {
            let e = parse_scheduled(typed).unwrap_err();
            assert!(e.contains(reason), "{typed:?}: {e}");
        }
    }

    #[test]
    fn reads_what_a_teacher_types() {
        assert_eq!(parse("down 2"), Ok(Fault::Down(2)));
        assert_eq!(parse(" UP 2 "), Ok(Fault::Up(2)));
        assert_eq!(parse("slow 1 500"), Ok(Fault::Slow { broker: 1, ms: 500 }));
        assert_eq!(
            parse("lose-acks 2 3"),
            Ok(Fault::LoseAcks {
                broker: Some(3),
                count: 2
            })
        );
        assert_eq!(
            parse("lose-acks 5"),
            Ok(Fault::LoseAcks {
                broker: None,
                count: 5
            })
        );
        let Ok(Fault::Fail { count: 4, error }) = parse("fail 4 not_enough_replicas") else {
            panic!()
        };
        assert_eq!((error.code, error.retriable), (19, true));
        assert_eq!(
            parse("fail 1 10").map(|f| f.to_string()).unwrap(),
            "the next 1 produce request(s) fail with MESSAGE_TOO_LARGE (10, not retriable)"
        );
        assert_eq!(
            parse("leader demo 3 1"),
            Ok(Fault::Leader {
                topic: "demo".into(),
                partition: 3,
                broker: 1
            })
        );
        assert_eq!(parse("clear"), Ok(Fault::Clear));
    }

    #[test]
    fn refuses_with_the_reason() {
        for (typed, reason) in [
            ("", "type a fault"),
            ("explode 1", "unknown fault 'explode'"),
            ("down", "needs a broker id"),
            ("down two", "must be a whole number, not 'two'"),
            ("down 99999999999", "no broker 99999999999"),
            ("slow 1 -5", "from 0 to 600000"),
            ("lose-acks 0", "from 1 to 1000, not 0"),
            ("lose-acks 1 x", "must be a whole number, not 'x'"),
            ("fail 2", "needs an error name"),
            ("fail 2 OOPS", "unknown error 'OOPS'"),
            ("leader demo -1 1", "no partition -1"),
            ("down 1 2", "takes 1 word(s)"),
        ] {
            let e = parse(typed).unwrap_err();
            assert!(e.contains(reason), "{typed:?}: {e}");
        }
    }
}
