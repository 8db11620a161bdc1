//! Helpers shared by the integration tests: start an engine, wait for events.

#![allow(dead_code)]

pub mod apicurio;
pub mod confluent;
pub mod console;
pub mod kafka;
pub mod readback;

use std::time::Duration;

use kprod::engine::settings::Settings;
use kprod::engine::{Engine, EngineConfig, Event};
use tokio::sync::mpsc::UnboundedReceiver;

/// How long a test waits for the engine before it gives up.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// An engine on a fresh embedded cluster.
pub fn embedded(topic: &str, settings: Settings) -> (Engine, UnboundedReceiver<Event>) {
    Engine::start(EngineConfig {
        bootstrap: None,
        topic: topic.into(),
        settings,
        verify: true,
        proxy: false,
        records: kprod::engine::Told::Payloads,
    })
}

/// Receives events until `done` says so, and returns them all.
pub async fn events_until(
    rx: &mut UnboundedReceiver<Event>,
    mut done: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => {
                let stop = done(&e);
                seen.push(e);
                if stop {
                    return seen;
                }
            }
            Ok(None) => panic!("the engine stopped; events so far: {seen:?}"),
            Err(_) => panic!(
                "no end after {PATIENCE:?}; last events: {:?}",
                &seen[seen.len().saturating_sub(5)..]
            ),
        }
    }
}

/// Receives events until `n` records were acked or failed.
pub async fn until_reported(rx: &mut UnboundedReceiver<Event>, n: usize) -> Vec<Event> {
    let mut reported = 0;
    events_until(rx, |e| {
        if matches!(e, Event::Acked(_) | Event::Failed { .. }) {
            reported += 1;
        }
        reported == n
    })
    .await
}

/// Receives events until every variant of a comparison reported, and returns
/// their outcomes in order (a variant that could not run fails the test).
pub async fn compared(rx: &mut UnboundedReceiver<Event>) -> Vec<kprod::engine::compare::Outcome> {
    let mut outcomes = Vec::new();
    events_until(rx, |e| {
        if let Event::Compared { outcome, of, .. } = e {
            outcomes.push(
                outcome
                    .clone()
                    .unwrap_or_else(|e| panic!("not compared: {e}")),
            );
            return outcomes.len() == *of;
        }
        false
    })
    .await;
    outcomes
}

/// Fails the test unless `sticky` sent fewer and fuller batches (records and
/// bytes each) than `spread`, as librdkafka's statistics count them.
pub fn fewer_larger_batches(
    sticky: &kprod::engine::compare::Outcome,
    spread: &kprod::engine::compare::Outcome,
) {
    let (s, r) = (&sticky.sent, &spread.sent);
    assert!(
        s.batches < r.batches
            && s.records_per_batch() > r.records_per_batch()
            && s.bytes_per_batch() > r.bytes_per_batch(),
        "{}: {} batches of {:.1} records, {}: {} of {:.1}",
        sticky.label,
        s.batches,
        s.records_per_batch(),
        spread.label,
        r.batches,
        r.records_per_batch()
    );
}

/// Runs `kprod produce ARGS` with `input` on stdin, as a script does;
/// returns its exit code, its events (one JSON object a line) and stderr.
pub fn produce(args: &[&str], input: &str) -> (i32, Vec<serde_json::Value>, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_kprod"))
        .arg("produce")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // kprod may refuse its options and exit before reading a line: then
    // the pipe is closed, and the exit code and stderr tell the rest.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    let events = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        events,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
