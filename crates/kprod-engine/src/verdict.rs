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
