//! The engine's vocabulary: the commands front ends send, the events it
//! sends back, and the plain data they carry. A leaf: it imports only data
//! types, so every other module can use it without a cycle.

use std::time::Duration;

use crate::batches::Batch;
use crate::compare;
use crate::faults::{Fault, FaultError};
use crate::record::Draft;
use crate::requests::Request;
use crate::settings::Settings;
use crate::stats::Sent;
use crate::verdict::{IssueKind, Summary};

/// How the engine connects.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// `None` starts the embedded cluster.
    pub bootstrap: Option<String>,
    /// The topic the user starts on (created on the embedded cluster).
    pub topic: String,
    pub settings: Settings,
    /// Tag every record with an id header and read the topic back.
    pub verify: bool,
    /// Send through kprod's fault-injecting proxy (a real cluster only: the
    /// embedded one makes its faults itself).
    pub proxy: bool,
    /// What the front end is told of each record.
    pub records: Told,
}

/// What a front end is told of each record. An event and a copy of a key
/// and value cost about as much as a small record's whole trip through
/// kprod, so a front end asks only for what it shows. Failures always carry
/// key and value: the user needs to see what failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    /// Only how it ended (acked or failed), the ack without key and value:
    /// for a front end that lists only what went wrong.
    Outcomes,
    /// Queued too; acks give the key's and value's lengths.
    Lengths,
    /// Queued too; acks carry the key and value.
    Payloads,
}

/// What a front end asks of the engine.
#[derive(Debug, Clone)]
pub enum Command {
    /// Send one record.
    Send(Draft),
    /// Send these records in order, then say so on `taken`. A reader waits
    /// for that before it sends more, so a large input never piles up in
    /// the command queue, and one wake-up carries many records.
    Feed {
        drafts: Vec<Draft>,
        taken: std::sync::mpsc::SyncSender<()>,
    },
    /// Send `count` copies with their generators filled in (`{seq}` is
    /// 0..count); at most `rate` copies a second when given. Each copy goes
    /// to the topics in `also` too, so `count` copies are `count` records
    /// per topic.
    Burst {
        draft: Draft,
        count: u64,
        rate: Option<f64>,
        also: Vec<String>,
    },
    /// Send the same burst under each variant, one after the other, each
    /// by a producer of its own; a `Compared` event for each.
    Compare {
        draft: Draft,
        plan: compare::Plan,
    },
    /// Make the network misbehave (see faults.rs).
    Fault(Fault),
    /// Hold every running burst where it is; `Resume` goes on from there,
    /// keeping its rate.
    Pause,
    Resume,
    /// End every running burst after the record being sent.
    Stop,
    /// Rebuild the producer with these settings once nothing is in flight.
    Apply(Settings),
    /// Rebuild the producer with the settings it has: the way back from a
    /// fatal error.
    Rebuild,
    /// Ask the cluster for its topics again.
    RefreshTopics,
    CreateTopic(NewTopic),
    /// Send every burst to its end and wait until each record was acked or
    /// failed.
    Drain,
    /// Drain, read back to the end and report the final verification.
    Verify,
    /// Deliver or fail what is in flight, then stop.
    Shutdown,
    /// Stop at once, as the Java producer's close(timeout) does: bursts
    /// end, records in flight get `timeout` to be delivered, and those
    /// still waiting then are failed (purged) so every record has a fate;
    /// then stop.
    Close {
        timeout: std::time::Duration,
    },
    /// The verifier's counts start from zero, and records numbered below
    /// `from` (sent before) are no longer counted: a lesson starts anew.
    Reset {
        from: u64,
    },
    /// Begin a transaction (a transactional producer only): the records
    /// sent until Commit or Abort belong to it.
    Begin,
    /// Commit the open transaction, once the running burst has ended.
    Commit,
    /// Abort the open transaction; a running burst is stopped first.
    Abort,
    /// Group records into transactions without being asked for each: one
    /// begins before a record when none is open, and ends after `size`
    /// records, aborted when its number is a multiple of `abort_every`
    /// (numbers count from 1), committed otherwise. What is open when the
    /// records end is committed.
    AutoTransactions {
        size: u64,
        abort_every: Option<u64>,
    },
    /// Start a second producer with the same transactional.id, as another
    /// instance of the application would: it fences this one.
    Fence,
    /// Read what the run's transactions wrote back under both isolation
    /// levels now (a TxnReadBack event), without waiting for the end.
    ReadTransactions,
    /// Find the schema for `topic`'s key or value (from its file or the
    /// registry, registering it as the Java serializers would): a
    /// SchemaResolved event answers.
    ResolveSchema {
        topic: String,
        is_key: bool,
        ask: crate::schema::session::Ask,
    },
}

/// Why a transaction call failed, as librdkafka classifies it: what the
/// user can do next follows from the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnErrorKind {
    /// The producer is dead (fenced, or another fatal error): it must be
    /// rebuilt (re-initialised) before it can send again.
    Fatal,
    /// The transaction cannot commit: abort it and begin again.
    Abortable,
    /// Try the same call again.
    Retriable,
    /// A call that does not fit the state (commit with none open, ...).
    Refused,
}

impl TxnErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            TxnErrorKind::Fatal => "fatal",
            TxnErrorKind::Abortable => "abortable",
            TxnErrorKind::Retriable => "retriable",
            TxnErrorKind::Refused => "refused",
        }
    }
}

/// A failed transaction call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnError {
    pub kind: TxnErrorKind,
    /// Kafka's name (PRODUCER_FENCED, ...).
    pub code: String,
    pub message: String,
}

/// Where a transaction stands, as told in `Event::Transaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnState {
    Begun,
    Committing,
    Committed,
    Aborting,
    Aborted,
    /// A call on it failed (the transaction stays open unless the error is
    /// fatal; an abortable one must be aborted).
    Failed {
        call: &'static str,
        error: TxnError,
    },
}

impl TxnState {
    /// One word for logs and JSON.
    pub fn name(&self) -> &'static str {
        match self {
            TxnState::Begun => "begun",
            TxnState::Committing => "committing",
            TxnState::Committed => "committed",
            TxnState::Aborting => "aborting",
            TxnState::Aborted => "aborted",
            TxnState::Failed { error, .. }
                if error.code == "FENCED" || error.code == "PRODUCER_FENCED" =>
            {
                "fenced"
            }
            TxnState::Failed { .. } => "failed",
        }
    }
}

/// One step of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txn {
    /// Counts from 1 in each producer (it starts again after a rebuild).
    pub number: u64,
    /// Records sent in it so far.
    pub records: u64,
    /// The topics they went to.
    pub topics: Vec<String>,
    pub state: TxnState,
}

/// When the broker says a record was written (CreateTime: the producer's
/// stamp kept; LogAppendTime: the broker's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    CreateTime(i64),
    LogAppendTime(i64),
}

/// A delivery report for a record the broker accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub id: u64,
    pub topic: String,
    /// The record's key and value when the front end asked for them
    /// (Told::Payloads), `None` otherwise; their lengths are always there.
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// `None` for a null key or value.
    pub key_len: Option<usize>,
    pub value_len: Option<usize>,
    /// The record's headers as sent, the verifier's own left out, with
    /// the key and value (Told::Payloads); `None` otherwise.
    pub headers: Option<Vec<crate::record::Header>>,
    pub partition: i32,
    /// `None` with acks=0: the broker never says.
    pub offset: Option<i64>,
    pub timestamp: Option<Stamp>,
    /// The CreateTime the producer gave the record.
    pub created: i64,
    pub latency: Duration,
}

/// Topic settings the brokers report, by topic, then by setting name.
pub type TopicConfigs =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

/// A topic as the cluster describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: i32,
    /// Leader, replicas and in-sync replicas of each partition.
    pub layout: Vec<PartitionInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub id: i32,
    /// -1 when the partition has no leader.
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

/// What the cluster said it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// Broker ids that answered in the metadata.
    pub brokers: Vec<i32>,
    pub topics: Vec<TopicInfo>,
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    pub partitions: i32,
    pub replication: i32,
    pub min_insync_replicas: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// What the engine reports, in the order it happens.
#[derive(Debug, Clone)]
pub enum Event {
    Connected {
        bootstrap: String,
        embedded: bool,
        /// Where kprod's proxy listens, when the producer goes through it.
        proxy: Option<String>,
        /// Records carry the id header and are read back.
        verify: bool,
    },
    Topics(ClusterInfo),
    /// The topics' settings a topic view shows (message.timestamp.type,
    /// min.insync.replicas, ...); a real cluster's only.
    TopicConfigs(TopicConfigs),
    Queued {
        id: u64,
        topic: String,
        partition: Option<i32>,
        key_len: Option<usize>,
        value_len: Option<usize>,
    },
    Acked(Ack),
    /// A batch was delivered; sent before the Acked of its last record.
    Batch(Batch),
    /// What librdkafka's statistics say a topic's producer sent since its
    /// report before (every statistics.interval.ms).
    Stats {
        topic: String,
        sent: Sent,
    },
    /// A produce request went out, or came to an end (answered, refused or
    /// timed out): the same request told again with its outcome.
    Request(Request),
    Failed {
        id: u64,
        topic: String,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
        /// Its headers as sent, the verifier's own left out, for a record
        /// that was sent and failed in delivery when the front end asked
        /// for payloads; `None` for one refused before it was sent, whose
        /// key and value are then the draft's, not serialized.
        headers: Option<Vec<crate::record::Header>>,
        partition: Option<i32>,
        code: String,
        message: String,
        latency: Duration,
    },
    /// The producer is dead: librdkafka raised a fatal error (a sequence
    /// gap an idempotent producer cannot retry past, a fenced epoch, ...).
    /// It takes no more records until it is rebuilt; the `in_flight`
    /// records it held still get their reports, and a notice tallies them.
    Fatal {
        code: String,
        reason: String,
        in_flight: u64,
    },
    /// The producer was rebuilt; `changes` says what changed.
    Applied {
        settings: Settings,
        changes: Vec<String>,
    },
    Notice {
        level: Level,
        text: String,
    },
    /// The verifier's counts so far (or final, when `complete`).
    Verification(Summary),
    /// One record the verifier found wrong, as soon as it is found.
    VerifyIssue {
        kind: IssueKind,
        topic: String,
        partition: i32,
        offset: Option<i64>,
        id: u64,
    },
    /// One variant of a comparison is done (`index` of `of`, from 0).
    Compared {
        index: usize,
        of: usize,
        outcome: Result<compare::Outcome, compare::RunError>,
    },
    /// A fault was made (its notices came before) or refused, and why: a
    /// front end words the refusal, and how to get past it.
    FaultAnswered {
        fault: Fault,
        refused: Option<FaultError>,
    },
    /// A transactional producer is ready (init_transactions returned), or
    /// could not be made ready (`error`).
    TxnReady {
        transactional_id: String,
        error: Option<TxnError>,
    },
    Transaction(Txn),
    /// What each transaction's records look like read back under both
    /// isolation levels (the final verification, transactional producers).
    TxnReadBack(crate::verdict::TxnReport),
    /// The answer to ResolveSchema: the encoder, or the registry's or the
    /// file's refusal; and the registry in use (its URL, and whether kprod
    /// serves it).
    SchemaResolved {
        is_key: bool,
        ask: crate::schema::session::Ask,
        result: Result<crate::schema::Encoder, crate::schema::registry::RegistryError>,
        registry: Option<(String, bool)>,
    },
    ShutdownComplete {
        sent: u64,
        acked: u64,
        failed: u64,
    },
}
