//! The engine's two clocks in one place: the wall clock that stamps records
//! and requests, and the monotonic one that paces bursts.

use std::time::Duration;

/// Now, in milliseconds since the epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Waits until record `seq` of a run paced at `rate` records a second and
/// begun at `start` is due: seq/rate seconds in. A millisecond is the
/// clock's grain, so it waits only when ahead by more.
pub async fn pace(start: tokio::time::Instant, seq: u64, rate: f64) {
    let due = start + Duration::from_secs_f64(seq as f64 / rate);
    if due > tokio::time::Instant::now() + Duration::from_millis(1) {
        tokio::time::sleep_until(due).await;
    }
}
