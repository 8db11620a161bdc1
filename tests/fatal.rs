//! A producer killed by a fatal error, as a broker causes one: an
//! idempotent producer's Produce request answered OUT_OF_ORDER_SEQUENCE_NUMBER
//! on the embedded cluster. Both front ends say FATAL with librdkafka's
//! reason, refuse records the dead producer would fail at once, and account
//! for every record.

mod common;

use common::console::Console;
use crossterm::event::KeyCode;
use kprod::engine::Event;
use serde_json::Value;

fn produce(args: &[&str]) -> (i32, Vec<Value>, String) {
    common::produce(args, "")
}

#[test]
fn kprod_produce_reports_a_fatal_error_accounts_for_every_record_and_exits_1() {
    let (code, events, stderr) = produce(&[
        "--count",
        "40",
        "--rate",
        "50",
        "--fault",
        "@3 fail 1 OUT_OF_ORDER_SEQUENCE_NUMBER",
    ]);
    assert_eq!(code, 1, "{stderr}\n{events:#?}");
    let fatal: Vec<&Value> = events
        .iter()
        .filter(|e| e["name"] == "producer_fatal_error")
        .collect();
    assert_eq!(fatal.len(), 1, "told once: {events:#?}");
    assert_eq!(fatal[0]["level"], "FATAL");
    assert_eq!(fatal[0]["code"], "OUT_OF_ORDER_SEQUENCE_NUMBER");
    assert!(
        fatal[0]["reason"]
            .as_str()
            .unwrap()
            .contains("sequence desynchronization"),
        "librdkafka's reason: {}",
        fatal[0]
    );
    let end = events
        .iter()
        .find(|e| e["name"] == "shutdown_complete")
        .expect("a summary");
    let (sent, acked, failed) = (
        end["sent"].as_u64().unwrap(),
        end["acked"].as_u64().unwrap(),
        end["failed"].as_u64().unwrap(),
    );
    assert_eq!(sent, acked + failed, "{end}");
    assert!(failed >= 1, "the record that met the error failed: {end}");
    // The dead producer was not handed the rest to fail one by one.
    let fatal_failures = events
        .iter()
        .filter(|e| e["name"] == "producer_send_error" && e["exception"] == "FATAL")
        .count();
    assert_eq!(fatal_failures, 0, "{events:#?}");
    let unsent = 40 - sent;
    assert!(unsent > 0, "{end}");
    assert!(
        events.iter().any(|e| e["name"] == "notice"
            && e["message"]
                .as_str()
                .unwrap()
                .contains(&format!("{unsent} of its 40 record(s) not sent"))),
        "the records never sent are counted: {events:#?}"
    );
}

/// Whole number at the start of a notice ("904 record(s) not sent: ...").
fn not_sent(e: &Value) -> Option<u64> {
    let m = e["message"].as_str()?;
    let (n, rest) = m.split_once(' ')?;
    rest.starts_with("record(s) not sent")
        .then(|| n.parse().ok())
        .flatten()
}

#[test]
fn lines_read_after_a_fatal_error_are_not_sent_and_every_line_is_accounted_for() {
    let input: String = (0..5000).map(|n| format!("line {n}\n")).collect();
    let (code, events, stderr) =
        common::produce(&["--fault", "fail 1 OUT_OF_ORDER_SEQUENCE_NUMBER"], &input);
    assert_eq!(code, 1, "{stderr}");
    let end = events
        .iter()
        .find(|e| e["name"] == "shutdown_complete")
        .expect("a summary");
    let sent = end["sent"].as_u64().unwrap();
    assert_eq!(
        sent,
        end["acked"].as_u64().unwrap() + end["failed"].as_u64().unwrap(),
        "{end}"
    );
    let unsent: u64 = events.iter().filter_map(not_sent).sum();
    assert_eq!(sent + unsent, 5000, "sent {sent}, not sent {unsent}");
    assert!(
        events.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("in flight at the fatal error"))),
        "what became of the records in flight is told"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_says_fatal_refuses_records_and_rebuilds_with_one_key() {
    let mut c = Console::start(140, 40).await;
    c.type_text("v");
    c.ctrl('s');
    c.pump_acked(1).await;
    c.fault("fail 1 OUT_OF_ORDER_SEQUENCE_NUMBER");
    c.pump_until(|e| matches!(e, Event::FaultAnswered { .. }))
        .await;
    c.ctrl('s');
    c.pump_until(|e| matches!(e, Event::Fatal { .. })).await;
    let screen = c.screen();
    assert!(
        screen.contains("FATAL OUT_OF_ORDER_SEQUENCE_NUMBER"),
        "{screen}"
    );
    assert!(
        c.last_log().contains("Press Ctrl-B to rebuild"),
        "{}",
        c.last_log()
    );
    assert!(
        screen.contains("Ctrl-B rebuild"),
        "a hint while dead: {screen}"
    );

    // A record now is refused, not handed to the dead producer.
    c.ctrl('s');
    c.pump_until(|e| matches!(e, Event::Notice { text, .. } if text.contains("not sent")))
        .await;
    assert!(
        c.last_log().contains("1 record(s) not sent"),
        "{}",
        c.last_log()
    );
    assert_eq!(c.app.totals.sent, 2, "the refused record never counted");

    c.ctrl('b');
    c.pump_until(|e| matches!(e, Event::Applied { .. })).await;
    assert!(c.app.fatal.is_none());
    assert!(!c.screen().contains("Ctrl-B rebuild"), "the hint goes");
    c.ctrl('s');
    c.pump_acked(1).await;
    assert_eq!(c.app.totals.acked, 2);
    c.press(KeyCode::F(1));
    let mut seen = false;
    for _ in 0..20 {
        seen |= c.screen().contains("rebuild the dead producer");
        c.press(KeyCode::PageDown);
    }
    assert!(seen, "help lists it");
}
