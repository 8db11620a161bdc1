//! Shared-state helpers for what librdkafka's threads and the engine's tasks
//! both touch.

/// Locks state shared with librdkafka's threads. A thread that panicked
/// while holding it left counts, not broken invariants: go on with them.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
