//! Compare mode: one burst sent under two or more sets of settings, one after
//! the other, each by a producer of its own, and what each did: where records
//! landed, how they were batched and compressed, how fast and how late.

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::connection::ClientError;
use crate::pace::{RateError, MAX_BURST};
use crate::record::FillerError;
use crate::settings::{SettingError, Settings};
use crate::stats::Sent;

// Running a comparison needs a producer: burst::compare does it.

/// What the compare prompt looks like.
pub const SYNTAX: &str =
    "COUNT[@RATE] SETTINGS vs SETTINGS [vs ...], SETTINGS being name=value pairs, `current`, or `codecs` for all five compression types";

/// Why a typed comparison was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    #[error("'{0}' is not a record count (1 to {MAX_BURST}): {SYNTAX}")]
    Count(String),
    #[error("{0}: {SYNTAX}")]
    Rate(#[source] RateError),
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// The settings of one side (as typed) do not go together.
    #[error("{side}: {source}")]
    Conflict {
        side: String,
        #[source]
        source: SettingError,
    },
    #[error("a side is empty: {SYNTAX}")]
    EmptySide,
    #[error("two or more sides are needed: {SYNTAX}")]
    TooFewSides,
}

/// Why one side of a comparison could not run.
#[derive(Debug, Clone, Error)]
pub enum RunError {
    #[error(transparent)]
    Producer(#[from] ClientError),
    #[error(transparent)]
    Template(#[from] FillerError),
    #[error("the producer died of a fatal error before it sent a record")]
    Dead,
    #[error("{0}")]
    Task(#[source] Arc<tokio::task::JoinError>),
}

/// A comparison to run: how many records, how fast, under which settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub count: u64,
    /// Records a second, when paced.
    pub rate: Option<f64>,
    pub variants: Vec<Variant>,
}

/// One side of a comparison: the current settings with some changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The changes, as typed (`current` when none).
    pub label: String,
    pub settings: Settings,
}

/// What one variant did with the burst.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub label: String,
    pub acked: u64,
    pub failed: u64,
    /// From the first record handed over to the last report.
    pub elapsed: Duration,
    /// Acked records per partition.
    pub partitions: Vec<u64>,
    /// The batches, as librdkafka's statistics count them.
    pub sent: Sent,
    /// Keys, values and headers of the delivered records: what compression
    /// works on.
    pub record_bytes: u64,
    /// Send-to-ack latency: p50, p95, p99, max.
    pub latency: [Duration; 4],
}

impl Outcome {
    pub fn records_per_sec(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64().max(1e-6)
    }

    pub fn mb_per_sec(&self) -> f64 {
        self.record_bytes as f64 / 1_048_576.0 / self.elapsed.as_secs_f64().max(1e-6)
    }
}

/// Parses `COUNT[@RATE] A vs B [vs C ...]` against the current settings.
pub fn parse(base: &Settings, text: &str) -> Result<Plan, PlanError> {
    let text = text.trim();
    let (head, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let (count, rate) = match head.split_once('@') {
        Some((c, r)) => (c, Some(r)),
        None => (head, None),
    };
    let count: u64 = count
        .parse()
        .ok()
        .filter(|n| (1..=MAX_BURST).contains(n))
        .ok_or_else(|| PlanError::Count(count.into()))?;
    let rate = rate
        .map(|r| crate::pace::rate(r).map_err(PlanError::Rate))
        .transpose()?;
    let mut variants = Vec::new();
    for side in rest.split(" vs ") {
        let side = side.trim();
        if side == "codecs" {
            for codec in crate::settings::CODECS {
                let mut settings = base.clone();
                settings.set("compression.type", codec)?;
                variants.push(Variant {
                    label: format!("compression.type={codec}"),
                    settings,
                });
            }
            continue;
        }
        let mut settings = base.clone();
        if side != "current" {
            if side.is_empty() {
                return Err(PlanError::EmptySide);
            }
            for pair in side.split_whitespace() {
                settings.set_pair(pair)?;
            }
        }
        // The side as the user wrote it, a secret's value masked: it is
        // shown in the table and in errors.
        let label = side
            .split_whitespace()
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) => format!("{name}={}", crate::settings::shown(name, value)),
                None => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        settings.check().map_err(|source| PlanError::Conflict {
            side: label.clone(),
            source,
        })?;
        variants.push(Variant { label, settings });
    }
    if variants.len() < 2 {
        return Err(PlanError::TooFewSides);
    }
    Ok(Plan {
        count,
        rate,
        variants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_in_a_side_is_masked_in_its_label() {
        let plan = parse(&Settings::default(), "10 sasl.password=hunter2 vs current").unwrap();
        assert_eq!(plan.variants[0].label, "sasl.password=********");
    }

    #[test]
    fn parses_sides_and_refuses_what_cannot_run() {
        let base = Settings::default();
        let Plan {
            count,
            rate,
            variants: v,
        } = parse(
            &base,
            "500 partitioner=round_robin vs partitioner=uniform_sticky linger.ms=20",
        )
        .unwrap();
        assert_eq!((count, rate), (500, None));
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].settings.get("linger.ms"), Some("20"));
        assert_eq!(v[1].label, "partitioner=uniform_sticky linger.ms=20");
        let v = parse(&base, "100 codecs").unwrap().variants;
        assert_eq!(v.len(), 5);
        assert_eq!(v[4].settings.get("compression.type"), Some("zstd"));
        let plan = parse(&base, "100@250.5 current vs linger.ms=0").unwrap();
        assert_eq!(plan.variants[0].settings, base);
        assert_eq!(plan.rate, Some(250.5));

        for (text, want) in [
            ("x a=1 vs b=2", "'x' is not a record count"),
            ("0 current vs current", "'0' is not a record count"),
            ("10@0 current vs current", "'0' is not a rate"),
            ("10@x current vs current", "'x' is not a rate"),
            ("10 linger.ms=5", "two or more sides"),
            (
                "10 linger.ms=abc vs current",
                "linger.ms: 'abc' is not valid",
            ),
            (
                "10 acks=1 vs current",
                "acks=1: enable.idempotence=true needs acks=all",
            ),
            ("10 current vs  vs current", "a side is empty"),
        ] {
            let err = parse(&base, text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }
}
