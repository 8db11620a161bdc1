//! The console's figures stay true when the producer changes under them.

mod common;

use common::console::Console;
use kprod::engine::settings::Settings;
use kprod::engine::{Command, Event};

#[tokio::test(flavor = "multi_thread")]
async fn the_producer_id_goes_once_idempotence_is_off() {
    let mut c = Console::start(120, 40).await;
    c.ctrl('s');
    c.pump_acked(1).await;
    assert!(
        c.app.requests.pid.is_some(),
        "an idempotent producer has an id"
    );
    let screen = c.screen();
    assert!(screen.contains("pid "), "{screen}");

    // What `a` in the settings pane sends once idempotence is turned off.
    let mut off = Settings::default();
    off.set("enable.idempotence", "false").unwrap();
    c.engine.send(Command::Apply(off));
    c.pump_until(|e| matches!(e, Event::Applied { .. })).await;
    assert_eq!(c.app.requests.pid, None, "the old producer's id is gone");

    c.ctrl('s');
    c.pump_acked(1).await;
    assert_eq!(
        c.app.requests.pid, None,
        "a producer without idempotence has none"
    );
    let screen = c.screen();
    assert!(!screen.contains("pid "), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn under_log_sampling_every_batch_line_stays_and_record_lines_are_sampled() {
    use kprod::engine::batches::Batch;
    use kprod::engine::Ack;
    use kprod::ui::app::Status;
    let mut c = Console::start(120, 40).await;
    // A flood as a burst brings it: a batch's report, then its 100 acks.
    for batch in 0..50u64 {
        c.app.on_event(Event::Batch(Batch {
            topic: "demo".into(),
            partition: 0,
            broker: 1,
            records: 100,
            record_bytes: 1000,
            wire_bytes: 1200,
            codec: "uncompressed".into(),
            resends: 0,
        }));
        for n in 0..100 {
            c.app.on_event(Event::Acked(Ack {
                id: batch * 100 + n,
                topic: "demo".into(),
                key: None,
                value: Some(b"0123456789".to_vec()),
                key_len: None,
                value_len: Some(10),
                partition: 0,
                offset: Some((batch * 100 + n) as i64),
                timestamp: None,
                created: 0,
                latency: std::time::Duration::from_millis(1),
                headers: None,
            }));
        }
    }
    let count = |s: Status| c.app.log.lines.iter().filter(|l| l.status == s).count();
    assert_eq!(count(Status::Batch), 50, "every batch is listed");
    assert!(count(Status::Acked) < 5000, "record lines are sampled");
    assert_eq!(c.app.totals.acked, 5000, "and every record is counted");
}
