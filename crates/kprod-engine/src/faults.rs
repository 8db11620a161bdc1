//! Faults on demand, as a teacher types them: take a broker down and up,
//! slow it, lose its acks, fail the next produce requests with an error,
//! move a partition's leader. The embedded cluster carries them out through
//! librdkafka's mock API (see cluster.rs), a real one through kprod's proxy
//! (proxy.rs).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use thiserror::Error;

use crate::mock::MockError;
use crate::settings::Settings;

/// What `parse` takes, for prompts, help and errors.
pub const FAULT_SYNTAX: &str =
    "down B · up B · slow B MS · lose-acks N [B] · fail N ERROR · leader TOPIC P B · clear";

/// A fault as typed with brokers named by their role, `TOPIC/P` for the
/// leader of partition P (a topic name cannot hold a '/'), made into one
/// with their ids by `leader`; with a line saying who each one is.
pub fn with_leaders(
    text: &str,
    leader: impl Fn(&str, i32) -> Result<i32, String>,
) -> Result<(String, Vec<String>), String> {
    let mut told = Vec::new();
    let words = text
        .split_whitespace()
        .map(|w| match w.split_once('/') {
            Some((topic, p)) if !topic.is_empty() => {
                let partition: i32 = p.parse().map_err(|_| {
                    format!("{w}: TOPIC/P names a partition's leader; '{p}' is not a partition")
                })?;
                let id = leader(topic, partition)?;
                told.push(format!("{w}'s leader is broker {id}"));
                Ok(id.to_string())
            }
            _ => Ok(w.to_string()),
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((words.join(" "), told))
}

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
    pub fn find(text: &str) -> Result<ErrorCode, ParseError> {
        PRODUCE_ERRORS
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(text) || text.parse() == Ok(e.code))
            .copied()
            .ok_or_else(|| ParseError::UnknownError(text.into()))
    }
}

fn error_names() -> String {
    let names: Vec<&str> = PRODUCE_ERRORS.iter().map(|e| e.name).collect();
    names.join(", ")
}

/// Why a typed fault was refused: which part is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("type a fault: {FAULT_SYNTAX}")]
    Empty,
    #[error("unknown fault '{0}': {FAULT_SYNTAX}")]
    UnknownFault(String),
    /// `fault` is the word as typed; `what` is the part it lacks.
    #[error("'{fault}' needs {what}: {FAULT_SYNTAX}")]
    Missing { fault: String, what: &'static str },
    #[error("{what} must be a whole number, not '{text}'")]
    NotANumber { what: &'static str, text: String },
    #[error("no broker {0}")]
    NoBroker(i64),
    #[error("{what} must be from 1 to {max}, not {n}")]
    Count {
        what: &'static str,
        max: i64,
        n: i64,
    },
    #[error("a delay from 0 to 600000 ms, not {0}")]
    Delay(i64),
    #[error("'fail' needs an error name, e.g. NOT_ENOUGH_REPLICAS: {FAULT_SYNTAX}")]
    NoErrorName,
    #[error("unknown error '{0}': one of {names}", names = error_names())]
    UnknownError(String),
    #[error("no partition {0}")]
    NoPartition(i64),
    #[error("'{fault}' takes {words} word(s) after it: {FAULT_SYNTAX}")]
    TooManyWords { fault: String, words: usize },
    /// `@WHEN` with nothing after it.
    #[error("'@{0}' needs a fault after it: {FAULT_SYNTAX}")]
    NoFault(String),
    #[error("'@{0}': a record count (@500), seconds (@5s) or milliseconds (@500ms)")]
    When(String),
}

/// Why kprod's proxy could not stand between the producer and the
/// cluster. Kept beside the faults it is for, so that a fault refused for
/// want of it can carry it (the proxy's module imports this one).
#[derive(Debug, Clone, Error)]
pub enum ProxyError {
    #[error("the proxy needs a bootstrap server")]
    NoBootstrap,
    #[error("the proxy cannot listen on loopback: {0}")]
    Listen(#[source] Arc<std::io::Error>),
    /// `protocol` is the security.protocol given (SSL or SASL_SSL).
    #[error("kprod's proxy cannot stand in a {protocol} connection: it reads and rewrites the requests it passes on, which TLS keeps from it. Make faults through the cluster's SASL_PLAINTEXT or PLAINTEXT listener (-b that listener, security.protocol=SASL_PLAINTEXT with the same login), or on the embedded cluster (no -b)")]
    Tls { protocol: String },
}

fn ids(list: &[i32]) -> String {
    list.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a fault was not made.
#[derive(Debug, Clone, Error)]
pub enum FaultError {
    /// A real cluster without kprod's proxy: nothing can make faults. How
    /// to start it is the front end's to say.
    #[error("on a real cluster faults are made by kprod's proxy, which is not running")]
    ProxyNotRunning,
    #[error("kprod's proxy did not start: {0}")]
    ProxyDidNotStart(#[source] ProxyError),
    #[error("the embedded cluster did not start")]
    NoCluster,
    #[error("the embedded cluster has brokers 1 to {brokers}, not {id}")]
    NoEmbeddedBroker { id: i32, brokers: i32 },
    #[error(transparent)]
    Mock(#[from] MockError),
    #[error("topic name has a NUL byte")]
    NulInTopic(String),
    #[error("the cluster has no such topic")]
    NoTopic(String),
    #[error("{topic} has {partitions} partitions")]
    NoPartition {
        topic: String,
        partition: i32,
        partitions: usize,
    },
    #[error("broker {0} is not known yet: the cluster has not named its brokers to the producer")]
    BrokerNotKnownYet(i32),
    #[error("the cluster has no broker {id}; its brokers are {}", ids(.known))]
    NoBroker { id: i32, known: Vec<i32> },
    #[error("the cluster has not named its brokers yet")]
    NoBrokersYet,
    #[error("cannot listen on {addr} again: {source}")]
    Relisten {
        addr: SocketAddr,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("the cluster did not finish in {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("broker {broker} holds no replica of {topic}-{partition} (replicas {}): leadership moves only to a replica", ids(.replicas))]
    NotAReplica {
        broker: i32,
        topic: String,
        partition: i32,
        replicas: Vec<i32>,
    },
    #[error("no broker of the cluster answers")]
    NoBrokerAnswers,
    /// `what` is the step: reordering the replicas, the leader election.
    #[error("the cluster refused {what}: {error} ({code})", code = .error.code())]
    Refused {
        what: &'static str,
        error: kafka_protocol::error::ResponseError,
    },
    #[error("the election was held, but broker {broker} does not lead {topic}-{partition} yet")]
    NotLeaderYet {
        broker: i32,
        topic: String,
        partition: i32,
    },
    /// The metadata client's own words (see metadata::MetadataError, which
    /// this module cannot name without an import cycle).
    #[error("cannot read the cluster's metadata: {0}")]
    Metadata(String),
    #[error("the broker closed the connection")]
    Closed,
    #[error("{0}")]
    Io(#[source] Arc<std::io::Error>),
    /// The Kafka protocol library's words for a frame it could not read or
    /// write (its errors carry no more than that).
    #[error("{0}")]
    Wire(String),
    #[error("{0}")]
    Task(#[source] Arc<tokio::task::JoinError>),
    /// The proxy's own login for its requests (a leader move) failed;
    /// the words say why and what to check.
    #[error("kprod's proxy could not log in to the cluster for its own requests: {0}")]
    Login(String),
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
pub fn parse(text: &str) -> Result<Fault, ParseError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let number = |i: usize, what: &'static str| -> Result<i64, ParseError> {
        let w = words.get(i).ok_or_else(|| ParseError::Missing {
            fault: words[0].into(),
            what,
        })?;
        w.parse::<i64>().map_err(|_| ParseError::NotANumber {
            what,
            text: w.to_string(),
        })
    };
    let broker = |i: usize| -> Result<i32, ParseError> {
        let b = number(i, "a broker id")?;
        i32::try_from(b).map_err(|_| ParseError::NoBroker(b))
    };
    let count = |i: usize, what: &'static str, max: i64| -> Result<u32, ParseError> {
        let n = number(i, what)?;
        if (1..=max).contains(&n) {
            Ok(n as u32)
        } else {
            Err(ParseError::Count { what, max, n })
        }
    };
    let expect = |n: usize| -> Result<(), ParseError> {
        if words.len() > n {
            Err(ParseError::TooManyWords {
                fault: words[0].into(),
                words: n - 1,
            })
        } else {
            Ok(())
        }
    };
    let Some(first) = words.first() else {
        return Err(ParseError::Empty);
    };
    let fault = match first.to_ascii_lowercase().as_str() {
        "down" => Fault::Down(broker(1)?),
        "up" => Fault::Up(broker(1)?),
        "slow" => {
            let ms = number(2, "a delay in ms")?;
            if !(0..=600_000).contains(&ms) {
                return Err(ParseError::Delay(ms));
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
            error: ErrorCode::find(words.get(2).ok_or(ParseError::NoErrorName)?)?,
        },
        "leader" => {
            let topic = words.get(1).ok_or_else(|| ParseError::Missing {
                fault: "leader".into(),
                what: "a topic",
            })?;
            let partition = number(2, "a partition")?;
            let partition = i32::try_from(partition)
                .ok()
                .filter(|p| *p >= 0)
                .ok_or(ParseError::NoPartition(partition))?;
            Fault::Leader {
                topic: topic.to_string(),
                partition,
                broker: broker(3)?,
            }
        }
        "clear" => Fault::Clear,
        other => return Err(ParseError::UnknownFault(other.into())),
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
    ) -> BoxFuture<'a, Result<String, FaultError>>;

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

pub fn parse_scheduled(text: &str) -> Result<Scheduled, ParseError> {
    let text = text.trim();
    let Some(rest) = text.strip_prefix('@') else {
        return Ok(Scheduled {
            when: When::Start,
            fault: parse(text)?,
        });
    };
    let (at, fault) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| ParseError::NoFault(rest.into()))?;
    let bad = || ParseError::When(at.into());
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
            let e = parse_scheduled(typed).unwrap_err().to_string();
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
            let e = parse(typed).unwrap_err().to_string();
            assert!(e.contains(reason), "{typed:?}: {e}");
        }
    }
}
