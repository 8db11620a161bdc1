//! How many records a burst sends and how fast, as typed at the console's
//! prompts and given on the command line.

use thiserror::Error;

/// What a burst size looks like, for errors.
const FORMS: &str = "N, N@RATE or RATE/s DURATION (e.g. 100000, 50000@1000, 500/s 2m)";

/// Why a typed rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RateError {
    #[error("'{0}' records a second is slower than one a day ({MIN_RATE:.7}/s), the slowest kprod paces")]
    TooSlow(String),
    #[error("'{0}' is not a rate: a number of records a second above 0")]
    NotARate(String),
}

/// Why a typed burst size was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BurstError {
    #[error("{0}: {FORMS}")]
    Rate(#[source] RateError),
    #[error("'{0}' is not a duration like 30s, 5m or 1h: {FORMS}")]
    Duration(String),
    #[error("{rate}/s for {time} is {count} records: between 1 and {MAX_BURST}")]
    TooMany { rate: f64, time: String, count: f64 },
    #[error("between 1 and {MAX_BURST} records")]
    Count,
    #[error("a whole number of records: {FORMS}")]
    NotACount,
}

/// The largest burst one prompt accepts.
pub const MAX_BURST: u64 = 10_000_000;

/// The slowest pace kprod keeps: one record a day. Below it the wait for a
/// record no longer fits in a clock's duration (`1e-300` would be 1e300
/// seconds), and nobody means it.
pub const MIN_RATE: f64 = 1.0 / 86_400.0;

/// A rate in records a second: a number from one a day upwards.
pub fn rate(text: &str) -> Result<f64, RateError> {
    let text = text.trim();
    match text.parse::<f64>() {
        Ok(r) if r.is_finite() && r >= MIN_RATE => Ok(r),
        Ok(r) if r.is_finite() && r > 0.0 => Err(RateError::TooSlow(text.into())),
        _ => Err(RateError::NotARate(text.into())),
    }
}

/// A burst's size and pace: `N` records flat out, `N@R` at R a second, or
/// `R/s DURATION` (`500/s 60s`, `2000/s 5m`) for a time.
pub fn burst_size(text: &str) -> Result<(u64, Option<f64>), BurstError> {
    let text = text.trim();
    let rate_of = |r: &str| rate(r).map_err(BurstError::Rate);
    let (count, rate) = if let Some((rate, time)) = text.split_once("/s") {
        let rate = rate_of(rate.trim())?;
        let time = time.trim();
        let (n, unit) = time.split_at(
            time.find(|c: char| !c.is_ascii_digit() && c != '.')
                .unwrap_or(time.len()),
        );
        let secs = match (n.parse::<f64>(), unit) {
            (Ok(n), "s" | "") => n,
            (Ok(n), "m") => n * 60.0,
            (Ok(n), "h") => n * 3600.0,
            _ => return Err(BurstError::Duration(time.into())),
        };
        let count = (rate * secs).round();
        if !(1.0..=MAX_BURST as f64).contains(&count) {
            return Err(BurstError::TooMany {
                rate,
                time: time.into(),
                count,
            });
        }
        (count as u64, Some(rate))
    } else {
        let (n, rate) = match text.split_once('@') {
            Some((n, r)) => (n.trim(), Some(rate_of(r.trim())?)),
            None => (text, None),
        };
        match n.parse::<u64>() {
            Ok(c) if (1..=MAX_BURST).contains(&c) => (c, rate),
            Ok(_) => return Err(BurstError::Count),
            Err(_) => return Err(BurstError::NotACount),
        }
    };
    Ok((count, rate))
}
