//! Bursts as a user runs them in the console: Ctrl-R starts one, Ctrl-X
//! stops it, and its figures count its own records only.

mod common;

use common::console::Console;
use crossterm::event::KeyCode;
use kprod::engine::{Command, Event};

/// Pumps events until the record with this value is acked.
async fn until_acked(c: &mut Console, value: &str) {
    let value = value.as_bytes().to_vec();
    c.pump_until(|e| matches!(e, Event::Acked(a) if a.value.as_deref() == Some(&value[..])))
        .await;
}

/// Sends a record with this value the way a user does: Tab from the key
/// to the value field, the value typed, Ctrl-S.
fn send_value(c: &mut Console, value: &str) {
    c.press(KeyCode::Tab);
    c.type_text(value);
    c.ctrl('s');
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_x_stops_a_paced_burst_before_its_next_record() {
    let mut c = Console::start(120, 40).await;
    c.type_text("b-{seq}");
    // One a second: the next record is a second away when Ctrl-X lands.
    c.burst("100@1", 2).await;
    c.ctrl('x');
    assert!(c.last_log().contains("burst stopped"), "{}", c.last_log());
    // Drain waits for the burst to end; the marker goes out after it.
    c.engine.send(Command::Drain);
    send_value(&mut c, "marker");
    let mut burst_queued = 0;
    let mut values = Vec::new();
    c.pump_until(|e| {
        if let Event::Acked(a) = e {
            values.push(String::from_utf8_lossy(a.value.as_deref().unwrap_or(b"")).into_owned());
        }
        burst_queued += matches!(e, Event::Queued { .. }) as usize;
        matches!(e, Event::Acked(a) if a.value.as_deref() == Some(b"marker"))
    })
    .await;
    // The marker's own Queued is the only one after the stop.
    assert_eq!(burst_queued, 1, "acked after the stop: {values:?}");
    assert_eq!(c.app.totals.sent, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_burst_while_one_runs_is_refused_and_the_first_stays_stoppable() {
    let mut c = Console::start(120, 40).await;
    c.type_text("b-{seq}");
    c.burst("100@20", 1).await;
    c.ctrl('r');
    assert!(c.app.popup.is_none(), "no prompt for a second burst");
    assert!(
        c.last_log().contains("a burst is running") && c.last_log().contains("Ctrl-X stops it"),
        "{}",
        c.last_log()
    );
    // The engine refuses one too, whichever front end asks.
    let draft = c.app.draft().unwrap();
    c.engine.send(Command::Burst {
        draft,
        count: 1000,
        rate: None,
        also: Vec::new(),
    });
    c.pump_until(
        |e| matches!(e, Event::Notice { text, .. } if text.contains("burst of 1000 not started")),
    )
    .await;
    c.ctrl('x');
    c.engine.send(Command::Drain);
    send_value(&mut c, "marker");
    until_acked(&mut c, "marker").await;
    let flow = c.app.flow.as_ref().unwrap();
    assert_eq!(flow.target, 100);
    assert!(flow.done(&c.app.totals) < 100, "stopped early");
    assert!(
        c.app.totals.sent < 100,
        "nothing of the refused 1000 went: {:?}",
        c.app.totals
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_sent_after_a_burst_is_not_counted_into_it() {
    let mut c = Console::start(120, 40).await;
    c.type_text("b-{seq}");
    c.burst("40", 40).await;
    let screen = c.screen();
    assert!(screen.contains("40 of 40"), "{screen}");
    send_value(&mut c, "after");
    until_acked(&mut c, "after").await;
    let screen = c.screen();
    assert!(
        screen.contains("40 of 40") && !screen.contains("41 of 40"),
        "{screen}"
    );
    let flow = c.app.flow.as_ref().unwrap();
    assert_eq!(flow.done(&c.app.totals), 40);
    assert_eq!(flow.sent(&c.app.totals), 40);
    assert_eq!(c.app.totals.sent, 41);
}
