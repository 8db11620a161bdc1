//! What the read-back verifier finds: per partition, how many records were
//! acked, read back, missing, duplicated, misplaced and reordered. Plain
//! data, so events can carry it without importing the verifier.

/// What the verifier found wrong with one record, reported as it is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// Acked, but the reader went past its offset without seeing it.
    Missing,
    /// Read back more than once.
    Duplicated,
    /// Read back at another offset than its ack reported.
    Misplaced,
    /// Read back after a record of the same key that was sent later.
    Reordered,
    /// Reported failed to the producer, yet read back: the broker wrote it
    /// and its answer never arrived. Every producer faces this unknown
    /// outcome after a timeout.
    FailedButWritten,
}

impl IssueKind {
    pub fn name(self) -> &'static str {
        match self {
            IssueKind::Missing => "MISSING",
            IssueKind::Duplicated => "DUPLICATE",
            IssueKind::Misplaced => "MISPLACED",
            IssueKind::Reordered => "REORDERED",
            IssueKind::FailedButWritten => "FAILED_BUT_WRITTEN",
        }
    }
}

impl IssueKind {
    /// As the log shows it to a person.
    pub fn label(self) -> &'static str {
        match self {
            IssueKind::FailedButWritten => "FAILED, BUT WRITTEN",
            other => other.name(),
        }
    }
}

/// Counts for one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionCounts {
    pub topic: String,
    pub partition: i32,
    pub acked: u64,
    /// Distinct records of this run read back.
    pub read_back: u64,
    pub missing: u64,
    /// Extra copies read back.
    pub duplicated: u64,
    pub misplaced: u64,
    pub reordered: u64,
    /// Acked but above the partition's high watermark when verified: on the
    /// leader's log, not yet committed, so no consumer can read it (Kafka 4
    /// holds the high watermark while the ISR is below min.insync.replicas).
    pub uncommitted: u64,
    /// Reported failed, but read back (also counted in `read_back`).
    pub failed_written: u64,
}

/// The verifier's findings so far, or at the end (`complete`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub partitions: Vec<PartitionCounts>,
    /// The readers reached the end of what was written and every acked
    /// record without a place was looked for.
    pub complete: bool,
}

impl Summary {
    pub fn total(&self) -> PartitionCounts {
        let mut t = PartitionCounts::default();
        for p in &self.partitions {
            t.acked += p.acked;
            t.read_back += p.read_back;
            t.missing += p.missing;
            t.duplicated += p.duplicated;
            t.misplaced += p.misplaced;
            t.reordered += p.reordered;
            t.uncommitted += p.uncommitted;
            t.failed_written += p.failed_written;
        }
        t
    }

    /// Nothing acked was lost or misplaced.
    pub fn no_loss(&self) -> bool {
        let t = self.total();
        t.missing == 0 && t.misplaced == 0
    }
}

/// How a transaction ended, as the producer was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnEnd {
    Committed,
    Aborted,
    /// Never ended (still open at the end, or its producer died).
    Open,
}

impl TxnEnd {
    pub fn name(self) -> &'static str {
        match self {
            TxnEnd::Committed => "committed",
            TxnEnd::Aborted => "aborted",
            TxnEnd::Open => "open",
        }
    }
}

/// One transaction's records, read back twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnCounts {
    pub number: u64,
    pub end: TxnEnd,
    /// Records the producer sent in it.
    pub records: u64,
    /// Read back by a read_committed reader.
    pub committed: u64,
    /// Read back by a read_uncommitted reader only: written, then aborted.
    pub aborted: u64,
    /// Read back by neither.
    pub missing: u64,
}

impl TxnCounts {
    /// Whether a read_committed reader saw what the outcome promises: all
    /// of a committed transaction, none of an aborted one, and nothing lost.
    pub fn as_promised(&self) -> bool {
        self.missing == 0
            && match self.end {
                TxnEnd::Committed => self.committed == self.records,
                TxnEnd::Aborted => self.committed == 0,
                TxnEnd::Open => true,
            }
    }
}

/// The two read-backs of a transactional run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxnReport {
    pub transactions: Vec<TxnCounts>,
    /// Distinct records of this run each reader returned.
    pub read_committed: u64,
    pub read_uncommitted: u64,
    /// Control records (commit and abort markers) the log holds between
    /// the records read: the offsets no reader returns.
    pub markers: u64,
    /// The first of them: topic, partition, offset.
    pub marker_offsets: Vec<(String, i32, i64)>,
}

impl TxnReport {
    /// Sums over every transaction: records, committed, aborted, missing.
    pub fn totals(&self) -> (u64, u64, u64, u64) {
        self.transactions.iter().fold((0, 0, 0, 0), |t, c| {
            (
                t.0 + c.records,
                t.1 + c.committed,
                t.2 + c.aborted,
                t.3 + c.missing,
            )
        })
    }

    pub fn as_promised(&self) -> bool {
        self.transactions.iter().all(TxnCounts::as_promised)
    }
}
