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
