//! The book a transactional producer keeps: whether it is ready, which
//! transaction is open, what went into it, and when kprod opens and ends
//! transactions by itself (`kprod produce --transaction-size`). Plain state:
//! the calls into librdkafka are the producer's.

use std::collections::BTreeSet;
use std::time::Instant;

use crate::event::{Txn, TxnState};

/// The transaction open now.
#[derive(Debug, Clone)]
pub struct Open {
    pub number: u64,
    pub records: u64,
    pub topics: BTreeSet<String>,
    pub since: Instant,
    /// A call failed abortably: only an abort gets past it.
    pub must_abort: bool,
}

impl Open {
    /// As an event tells it.
    pub fn told(&self, state: TxnState) -> Txn {
        Txn {
            number: self.number,
            records: self.records,
            topics: self.topics.iter().cloned().collect(),
            state,
        }
    }
}

/// kprod opens and ends transactions itself, every `size` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auto {
    pub size: u64,
    pub abort_every: Option<u64>,
}

impl Auto {
    /// Whether transaction `number` (from 1) is one to abort.
    pub fn aborts(&self, number: u64) -> bool {
        self.abort_every
            .is_some_and(|k| k > 0 && number.is_multiple_of(k))
    }
}

/// One transactional producer's state.
#[derive(Debug, Default)]
pub struct Book {
    /// init_transactions returned; until then (or after it failed) no
    /// transaction can begin. The reason when it failed.
    pub ready: Option<Result<(), String>>,
    pub open: Option<Open>,
    pub auto: Option<Auto>,
}

impl Book {
    /// Opens transaction `number`.
    pub fn begin(&mut self, number: u64) -> &Open {
        self.open.insert(Open {
            number,
            records: 0,
            topics: BTreeSet::new(),
            since: Instant::now(),
            must_abort: false,
        })
    }

    /// A record went into the open transaction; its number.
    pub fn add(&mut self, topic: &str) -> Option<u64> {
        let open = self.open.as_mut()?;
        open.records += 1;
        if !open.topics.contains(topic) {
            open.topics.insert(topic.to_string());
        }
        Some(open.number)
    }

    /// Whether kprod ends the open transaction now, and how: Some(true)
    /// to abort, Some(false) to commit.
    pub fn auto_end(&self) -> Option<bool> {
        let (auto, open) = (self.auto?, self.open.as_ref()?);
        (open.records >= auto.size).then(|| auto.aborts(open.number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kth_transaction_is_aborted_and_a_full_one_ends() {
        let auto = Auto {
            size: 2,
            abort_every: Some(7),
        };
        let aborted: Vec<u64> = (1..=100).filter(|n| auto.aborts(*n)).collect();
        assert_eq!(aborted.len(), 14);
        assert_eq!(aborted[..2], [7, 14]);
        let mut book = Book {
            auto: Some(auto),
            ..Book::default()
        };
        book.begin(7);
        book.add("payment");
        assert_eq!(book.auto_end(), None);
        book.add("order");
        assert_eq!(book.auto_end(), Some(true));
        assert_eq!(book.open.as_ref().map(|o| o.topics.len()), Some(2));
    }
}
