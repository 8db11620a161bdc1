//! The console's side of transactions: where the producer's transaction
//! stands (for the status bar), the log lines that open and close each
//! transaction's group of records, and the read-back report.

use std::time::Instant;

use super::{App, Status};
use crate::engine::event::{Txn, TxnErrorKind, TxnState};
use crate::engine::verdict::TxnReport;
use crate::engine::{Event, Level};

/// Where the producer's transaction stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// None open (the last one, if any, ended as `ended`).
    None,
    Open,
    Committing,
    Aborting,
    /// The producer was fenced (or another fatal error): re-initialise it.
    Fenced,
}

/// The transaction state the status bar and the log read.
#[derive(Debug, Clone)]
pub struct TxnStatus {
    /// The transactional.id the producer was initialised with, when ready.
    pub ready: Option<String>,
    pub phase: Phase,
    pub number: u64,
    /// Records queued in the open transaction.
    pub records: u64,
    pub topics: Vec<String>,
    pub since: Option<Instant>,
    /// How the last transaction ended: "committed", "aborted", or a failure.
    pub ended: Option<String>,
    /// The last read-back of both isolation levels.
    pub report: Option<TxnReport>,
}

impl Default for TxnStatus {
    fn default() -> Self {
        TxnStatus {
            ready: None,
            phase: Phase::None,
            number: 0,
            records: 0,
            topics: Vec::new(),
            since: None,
            ended: None,
            report: None,
        }
    }
}

impl TxnStatus {
    /// Whether records queued now belong to an open transaction.
    pub fn open(&self) -> bool {
        matches!(
            self.phase,
            Phase::Open | Phase::Committing | Phase::Aborting
        )
    }

    /// The prefix of a record's log line in an open transaction: the lines
    /// of one transaction read as one group.
    pub fn tag(&self) -> Option<String> {
        self.open().then(|| format!("T{} ", self.number))
    }
}

impl App {
    pub(super) fn on_transaction(&mut self, event: Event) {
        match event {
            Event::TxnReady {
                transactional_id,
                error: None,
            } => {
                self.txn = TxnStatus {
                    ready: Some(transactional_id.clone()),
                    ..TxnStatus::default()
                };
                let embedded = self.connection.as_ref().is_some_and(|c| c.embedded);
                let caveat = match embedded {
                    true => " On the embedded cluster read_committed is not filtered and there are no markers: see the notice above.",
                    false => "",
                };
                self.note(
                    Level::Info,
                    format!("transactional producer ready (transactional.id={transactional_id}): begin a transaction to send.{caveat}"),
                );
            }
            Event::TxnReady {
                transactional_id,
                error: Some(e),
            } => {
                self.txn = TxnStatus::default();
                self.note(
                    Level::Error,
                    format!(
                        "transactional.id={transactional_id}: init_transactions failed, {}: {}",
                        e.code, e.message
                    ),
                );
            }
            Event::Transaction(t) => self.transaction_step(t),
            Event::TxnReadBack(r) => {
                let (records, committed, aborted, missing) = r.totals();
                let embedded = self.connection.as_ref().is_some_and(|c| c.embedded);
                let level = match r.as_promised() {
                    true => Level::Info,
                    false => Level::Warn,
                };
                let caveat = if embedded && !r.as_promised() {
                    " (the embedded cluster does not hide aborted records from read_committed; a real broker does)"
                } else {
                    ""
                };
                let ended = |e: crate::engine::verdict::TxnEnd| {
                    r.transactions.iter().filter(|c| c.end == e).count()
                };
                self.note(
                    level,
                    format!(
                        "transactions read back: {} committed, {} aborted; of {records} records read_committed saw {committed}, read_uncommitted only {aborted} more, {missing} missing; {} marker offsets{caveat}",
                        ended(crate::engine::verdict::TxnEnd::Committed),
                        ended(crate::engine::verdict::TxnEnd::Aborted),
                        r.markers
                    ),
                );
                for c in &r.transactions {
                    self.push(
                        Status::Notice(Level::Info),
                        format!(
                            "  T{} {}: {} records, read_committed {}, read_uncommitted only {}, missing {}",
                            c.number,
                            c.end.name(),
                            c.records,
                            c.committed,
                            c.aborted,
                            c.missing
                        ),
                    );
                }
                self.txn.report = Some(r);
            }
            _ => {}
        }
    }

    fn transaction_step(&mut self, t: Txn) {
        let topics = match t.topics.is_empty() {
            true => String::new(),
            false => format!(" to {}", t.topics.join(", ")),
        };
        let n = t.number;
        self.txn.number = n;
        self.txn.records = t.records;
        self.txn.topics = t.topics.clone();
        match &t.state {
            TxnState::Begun => {
                self.txn.phase = Phase::Open;
                self.txn.since = Some(self.now);
                self.push(Status::Notice(Level::Info), format!("┌ T{n} begun"));
            }
            TxnState::Committing => self.txn.phase = Phase::Committing,
            TxnState::Aborting => self.txn.phase = Phase::Aborting,
            TxnState::Committed | TxnState::Aborted => {
                let word = t.state.name();
                self.txn.phase = Phase::None;
                self.txn.since = None;
                self.txn.ended = Some(format!("T{n} {word}"));
                let level = match t.state {
                    TxnState::Committed => Level::Info,
                    _ => Level::Warn,
                };
                let seen = match t.state {
                    TxnState::Committed => "visible to read_committed readers",
                    _ => "written, but hidden from read_committed readers",
                };
                self.push(
                    Status::Notice(level),
                    format!("└ T{n} {word}: {} records{topics}, {seen}", t.records),
                );
            }
            TxnState::Failed { call, error } => {
                let fenced = t.state.name() == "fenced";
                let next = match error.kind {
                    TxnErrorKind::Fatal => {
                        self.txn.phase = Phase::Fenced;
                        "the producer is dead: re-initialise it (a new producer, init_transactions again)"
                    }
                    TxnErrorKind::Abortable => "abort it, then begin again",
                    TxnErrorKind::Retriable => "try again",
                    TxnErrorKind::Refused => "",
                };
                let what = if fenced { "FENCED" } else { "failed" };
                self.txn.ended = Some(format!("T{n} {what}"));
                self.note(
                    Level::Error,
                    format!(
                        "└ T{n} {call} {what} ({}, {}): {}{}{next}",
                        error.kind.name(),
                        error.code,
                        error.message,
                        if next.is_empty() { "" } else { "; " }
                    ),
                );
            }
        }
    }
}
