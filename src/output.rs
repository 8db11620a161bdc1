//! The JSON lines `kprod produce` writes: one type per event, so that what a
//! script reads and the reference in docs/produce.md come from one place.
//!
//! A variant's doc comment says when it is written and a field's says what
//! it holds; `reference()` turns them into the table the docs carry, and a
//! test fails when the two drift apart.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::engine::event::{TxnError, TxnState};
use crate::engine::requests::Outcome;
use crate::engine::verify::{PartitionCounts, Summary};
use crate::engine::{Event, Level, Stamp};

/// One line of output: an event and when it happened, in ms since the
/// epoch, as kafka-verifiable-producer stamps its own.
#[derive(Serialize)]
pub struct Line {
    #[serde(flatten)]
    pub event: Output,
    pub timestamp: i64,
}

/// Every event, named as kafka-verifiable-producer names it where it has the
/// same event.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum Output {
    /// First.
    StartupComplete {
        topic: String,
        /// Every setting in force, secrets masked.
        settings: serde_json::Map<String, Value>,
    },
    /// The cluster is chosen.
    Connected {
        bootstrap_servers: String,
        embedded: bool,
        /// Where kprod's proxy listens, or null.
        proxy: Option<String>,
        verify: bool,
    },
    /// A record handed to the producer.
    ProducerSendQueued {
        id: u64,
        topic: String,
        /// Null until the partitioner has chosen.
        partition: Option<i32>,
        key_bytes: Option<usize>,
        value_bytes: Option<usize>,
    },
    /// Acked.
    ProducerSendSuccess {
        id: u64,
        topic: String,
        partition: i32,
        /// Null with acks=0: the broker never says.
        offset: Option<i64>,
        key: Option<String>,
        value: Option<String>,
        record_timestamp: Option<i64>,
        /// CreateTime or LogAppendTime.
        timestamp_type: Option<&'static str>,
        create_time: i64,
        latency_ms: f64,
    },
    /// Failed.
    ProducerSendError {
        id: u64,
        topic: String,
        partition: Option<i32>,
        key: Option<String>,
        value: Option<String>,
        /// Kafka's error name.
        exception: String,
        message: String,
        latency_ms: f64,
    },
    /// The producer is dead (librdkafka's fatal error); it takes no more
    /// records.
    ProducerFatalError {
        /// Always FATAL.
        level: &'static str,
        code: String,
        /// librdkafka's reason.
        reason: String,
        /// Records the producer held, each of which still gets its report.
        in_flight: u64,
    },
    /// A line that does not parse: the input ends there, as
    /// kafka-console-producer's does, and the lines before it are sent.
    InputError { line: usize, message: String },
    /// SIGTERM, SIGINT or SIGHUP: the run closes.
    Signal { signal: String, message: String },
    /// A record missing, duplicated, misplaced, reordered, uncommitted, or
    /// failed but written.
    VerificationIssue {
        kind: &'static str,
        id: u64,
        topic: String,
        partition: i32,
        offset: Option<i64>,
    },
    /// After the last ack, once read back.
    VerificationSummary {
        #[serde(flatten)]
        totals: Counts,
        /// Nothing acked was missing or misplaced.
        no_loss: bool,
        partitions: Vec<PartitionSummary>,
    },
    /// A batch delivered (before its last record's success).
    ProducerBatch {
        topic: String,
        partition: i32,
        /// -1 if librdkafka's log did not say.
        broker: i32,
        records: u32,
        /// Keys, values, headers.
        record_bytes: u64,
        /// After compression.
        wire_bytes: u64,
        codec: String,
        resends: u32,
    },
    /// librdkafka's statistics came in (every statistics.interval.ms, 1 s
    /// unless set), for each topic that sent something since the last.
    ProducerStats {
        topic: String,
        batches: u64,
        /// In those batches.
        records: u64,
        /// After compression.
        wire_bytes: u64,
        /// The records' keys and values, before compression.
        key_value_bytes: u64,
    },
    /// A produce request sent, and again when it ends (`--quiet` keeps only
    /// those refused or timed out).
    ProducerRequest {
        broker: i32,
        correlation_id: i32,
        topic: String,
        partition: i32,
        records: u32,
        bytes: u64,
        first_msgid: u64,
        attempt: u32,
        retry: bool,
        sent_ms: i64,
        rtt_ms: Option<f64>,
        /// in_flight, delivered, failed, timed_out.
        outcome: &'static str,
        error: Option<String>,
        producer_id: Option<i64>,
        producer_epoch: Option<i16>,
    },
    /// A transactional producer's init_transactions returned: `error` is
    /// null when it is ready (any older producer with the same id is then
    /// fenced).
    TransactionsReady {
        transactional_id: String,
        /// Null when ready; otherwise why, a timeout with the client's last
        /// error beside it.
        error: Option<TxnFailure>,
    },
    /// A transaction begun, committing, committed, aborting, aborted, or a
    /// call on it failed (failed, or fenced when the coordinator fenced
    /// the producer).
    Transaction {
        /// Counts from 1 over the run.
        transaction: u64,
        /// begun, committing, committed, aborting, aborted, failed or fenced.
        outcome: &'static str,
        /// Records sent in it so far.
        records: u64,
        topics: Vec<String>,
        /// Which call failed (begin, commit, abort), for failed and fenced.
        call: Option<&'static str>,
        error: Option<TxnFailure>,
    },
    /// After the verification summary, for a transactional run: every
    /// transaction's records read back under read_committed and
    /// read_uncommitted.
    TransactionVerification {
        /// Distinct records of the run a read_committed reader returned.
        read_committed: u64,
        /// The same under read_uncommitted (aborted records included).
        read_uncommitted: u64,
        /// Offsets holding commit or abort markers, which no reader returns.
        markers: u64,
        /// Every transaction's records were where its outcome puts them.
        as_promised: bool,
        transactions: Vec<TxnSummary>,
    },
    /// The producer was rebuilt with new settings.
    SettingsApplied { changes: Vec<String> },
    /// Anything else worth saying, faults made and striking included.
    Notice {
        /// info, warn or error.
        level: &'static str,
        message: String,
    },
    /// After the last report, of the records delivered.
    Performance {
        records: u64,
        failed: u64,
        seconds: f64,
        records_per_sec: f64,
        mb_per_sec: f64,
        avg_latency_ms: f64,
        max_latency_ms: f64,
        p50_ms: f64,
        p95_ms: f64,
        p99_ms: f64,
        p999_ms: f64,
        /// kafka-producer-perf-test's line, also on stderr.
        summary: String,
    },
    /// Last.
    ShutdownComplete { sent: u64, acked: u64, failed: u64 },
}

/// A failed transaction call.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TxnFailure {
    /// fatal (rebuild the producer), abortable (abort, then begin again),
    /// retriable or refused.
    kind: &'static str,
    /// Kafka's error name.
    code: String,
    message: String,
}

impl From<TxnError> for TxnFailure {
    fn from(e: TxnError) -> TxnFailure {
        TxnFailure {
            kind: e.kind.name(),
            code: e.code,
            message: e.message,
        }
    }
}

/// One transaction as the two readers saw it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TxnSummary {
    transaction: u64,
    /// committed, aborted or open (never ended).
    outcome: &'static str,
    records: u64,
    /// Read by read_committed.
    committed: u64,
    /// Read by read_uncommitted only.
    aborted: u64,
    /// Read by neither.
    missing: u64,
}

/// The verifier's counts, for the run or one partition.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Counts {
    acked: u64,
    read_back: u64,
    missing: u64,
    duplicated: u64,
    misplaced: u64,
    reordered: u64,
    uncommitted: u64,
    failed_written: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PartitionSummary {
    topic: String,
    partition: i32,
    #[serde(flatten)]
    counts: Counts,
}

impl From<&PartitionCounts> for Counts {
    fn from(p: &PartitionCounts) -> Counts {
        Counts {
            acked: p.acked,
            read_back: p.read_back,
            missing: p.missing,
            duplicated: p.duplicated,
            misplaced: p.misplaced,
            reordered: p.reordered,
            uncommitted: p.uncommitted,
            failed_written: p.failed_written,
        }
    }
}

fn text(bytes: Option<Vec<u8>>) -> Option<String> {
    bytes.map(|b| match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

impl Output {
    /// The line an engine event becomes, if a script has a use for it.
    pub fn from_event(event: Event) -> Option<Output> {
        Some(match event {
            Event::Connected {
                bootstrap,
                embedded,
                proxy,
                verify,
            } => Output::Connected {
                bootstrap_servers: bootstrap,
                embedded,
                proxy,
                verify,
            },
            Event::Queued {
                id,
                topic,
                partition,
                key_len,
                value_len,
            } => Output::ProducerSendQueued {
                id,
                topic,
                partition,
                key_bytes: key_len,
                value_bytes: value_len,
            },
            Event::Acked(a) => {
                let (record_timestamp, timestamp_type) = match a.timestamp {
                    Some(Stamp::CreateTime(t)) => (Some(t), Some("CreateTime")),
                    Some(Stamp::LogAppendTime(t)) => (Some(t), Some("LogAppendTime")),
                    None => (None, None),
                };
                Output::ProducerSendSuccess {
                    id: a.id,
                    topic: a.topic,
                    partition: a.partition,
                    offset: a.offset,
                    key: text(a.key),
                    value: text(a.value),
                    record_timestamp,
                    timestamp_type,
                    create_time: a.created,
                    latency_ms: a.latency.as_secs_f64() * 1000.0,
                }
            }
            Event::Batch(b) => Output::ProducerBatch {
                topic: b.topic,
                partition: b.partition,
                broker: b.broker,
                records: b.records,
                record_bytes: b.record_bytes,
                wire_bytes: b.wire_bytes,
                codec: b.codec,
                resends: b.resends,
            },
            Event::Stats { topic, sent } => Output::ProducerStats {
                topic,
                batches: sent.batches,
                records: sent.records,
                wire_bytes: sent.wire_bytes,
                key_value_bytes: sent.key_value_bytes,
            },
            Event::Request(r) => {
                let (outcome, error) = match r.outcome {
                    Outcome::InFlight => ("in_flight", None),
                    Outcome::Delivered => ("delivered", None),
                    Outcome::Failed(e) => ("failed", Some(e)),
                    Outcome::TimedOut(e) => ("timed_out", Some(e)),
                };
                Output::ProducerRequest {
                    broker: r.broker,
                    correlation_id: r.corr,
                    topic: r.topic,
                    partition: r.partition,
                    records: r.records,
                    bytes: r.bytes,
                    first_msgid: r.first_msgid,
                    attempt: r.attempt,
                    retry: r.attempt > 1,
                    sent_ms: r.sent_ms,
                    rtt_ms: r.rtt_ms,
                    outcome,
                    error,
                    producer_id: r.pid.map(|p| p.0),
                    producer_epoch: r.pid.map(|p| p.1),
                }
            }
            Event::Failed {
                id,
                topic,
                key,
                value,
                partition,
                code,
                message,
                latency,
                ..
            } => Output::ProducerSendError {
                id,
                topic,
                partition,
                key: text(key),
                value: text(value),
                exception: code,
                message,
                latency_ms: latency.as_secs_f64() * 1000.0,
            },
            Event::Fatal {
                code,
                reason,
                in_flight,
            } => Output::ProducerFatalError {
                level: "FATAL",
                code,
                reason,
                in_flight,
            },
            Event::Applied { changes, .. } => Output::SettingsApplied { changes },
            Event::TxnReady {
                transactional_id,
                error,
            } => Output::TransactionsReady {
                transactional_id,
                error: error.map(TxnFailure::from),
            },
            Event::Transaction(t) => {
                let outcome = t.state.name();
                let (call, error) = match t.state {
                    TxnState::Failed { call, error } => (Some(call), Some(error.into())),
                    _ => (None, None),
                };
                Output::Transaction {
                    transaction: t.number,
                    outcome,
                    records: t.records,
                    topics: t.topics,
                    call,
                    error,
                }
            }
            Event::TxnReadBack(r) => Output::TransactionVerification {
                read_committed: r.read_committed,
                read_uncommitted: r.read_uncommitted,
                markers: r.markers,
                as_promised: r.as_promised(),
                transactions: r
                    .transactions
                    .iter()
                    .map(|c| TxnSummary {
                        transaction: c.number,
                        outcome: c.end.name(),
                        records: c.records,
                        committed: c.committed,
                        aborted: c.aborted,
                        missing: c.missing,
                    })
                    .collect(),
            },
            Event::Notice { level, text } => Output::notice(level, text),
            Event::Verification(s) if s.complete => Output::summary(&s),
            Event::VerifyIssue {
                kind,
                topic,
                partition,
                offset,
                id,
            } => Output::VerificationIssue {
                kind: kind.name(),
                id,
                topic,
                partition,
                offset,
            },
            Event::ShutdownComplete {
                sent,
                acked,
                failed,
            } => Output::ShutdownComplete {
                sent,
                acked,
                failed,
            },
            // A refused fault is told as the engine's other notices are.
            Event::FaultAnswered {
                fault,
                refused: Some(e),
            } => Output::notice(
                Level::Error,
                format!("fault not made: {fault}: {}", crate::words::error(e)),
            ),
            // `kprod produce` finds its schemas before the engine starts.
            Event::Verification(_)
            | Event::Topics(_)
            | Event::TopicConfigs(_)
            | Event::Compared { .. }
            | Event::SchemaResolved { .. }
            | Event::FaultAnswered { refused: None, .. } => return None,
        })
    }

    pub fn notice(level: Level, message: String) -> Output {
        let level = match level {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        Output::Notice { level, message }
    }

    /// The verifier's summary, as the run's last line.
    pub fn summary(s: &Summary) -> Output {
        Output::VerificationSummary {
            totals: Counts::from(&s.total()),
            no_loss: s.no_loss(),
            partitions: s
                .partitions
                .iter()
                .map(|p| PartitionSummary {
                    topic: p.topic.clone(),
                    partition: p.partition,
                    counts: Counts::from(p),
                })
                .collect(),
        }
    }
}

/// The table of events for docs/produce.md, from the types above.
pub fn reference() -> String {
    let schema = serde_json::to_value(schemars::schema_for!(Output)).unwrap_or_default();
    let defs = &schema["$defs"];
    let mut out =
        String::from("| name | when | fields besides `name` and `timestamp` |\n|---|---|---|\n");
    for variant in schema["oneOf"].as_array().into_iter().flatten() {
        let props = &variant["properties"];
        let name = props["name"]["const"].as_str().unwrap_or("?");
        let when = one_line(variant["description"].as_str().unwrap_or(""));
        let mut fields = Vec::new();
        collect_fields(variant, defs, &mut fields);
        out.push_str(&format!("| `{name}` | {when} | {} |\n", fields.join(", ")));
    }
    out
}

/// A variant's fields, those of flattened structs in their place.
fn collect_fields(schema: &Value, defs: &Value, out: &mut Vec<String>) {
    for (field, spec) in schema["properties"].as_object().into_iter().flatten() {
        if field == "name" {
            continue;
        }
        let mut entry = format!("`{field}`");
        if let Some(d) = spec["description"].as_str() {
            entry.push_str(&format!(" ({})", lower_first(&one_line(d))));
        }
        out.push(entry);
    }
    // schemars puts a flattened struct's fields in the variant's own
    // properties, or refers to its definition from `allOf`.
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let def = match part["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
            Some(name) => &defs[name],
            None => part,
        };
        collect_fields(def, defs, out);
    }
}

/// "Null with acks=0." reads "null with acks=0" inside a sentence; a name
/// such as CreateTime keeps its capital.
fn lower_first(text: &str) -> String {
    let text = text.trim_end_matches('.');
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let rest = &text[first.len_utf8()..];
    let word = rest
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    if first.is_uppercase() && !word.is_empty() && word.chars().all(char::is_lowercase) {
        first.to_lowercase().chain(rest.chars()).collect()
    } else {
        text.to_string()
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_carries_its_name_fields_and_timestamp() {
        let line = Line {
            event: Output::ShutdownComplete {
                sent: 3,
                acked: 2,
                failed: 1,
            },
            timestamp: 7,
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"name":"shutdown_complete","sent":3,"acked":2,"failed":1,"timestamp":7}"#
        );
    }

    #[test]
    fn the_reference_names_every_event_and_its_fields() {
        let table = reference();
        for name in [
            "startup_complete",
            "producer_send_error",
            "shutdown_complete",
        ] {
            assert!(table.contains(&format!("| `{name}` |")), "{table}");
        }
        // A flattened struct's fields are listed with the variant's own.
        let summary = table
            .lines()
            .find(|l| l.starts_with("| `verification_summary`"))
            .unwrap();
        assert!(summary.contains("`failed_written`"), "{summary}");
        assert!(summary.contains("`no_loss` (nothing acked"), "{summary}");
    }
}
