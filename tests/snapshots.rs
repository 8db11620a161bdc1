//! The whole screen at 80x24 and 120x40, kept as insta snapshots, in each
//! state a user meets: idle, a burst running and done, help, topics,
//! compare, faults and the rule editor. States are reached with keys; the
//! engine's side is either a real engine on the embedded cluster or the
//! events it sends, fed in order, where a state must hold still mid-burst.
//! What differs from run to run (ports, times, rates, latencies, ids) is
//! masked before the comparison.

mod common;

use std::time::Duration;

use common::console::Console;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kprod::engine::compare::Outcome;
use kprod::engine::settings::Settings;
use kprod::engine::stats::Sent;
use kprod::engine::{Ack, ClusterInfo, Event, PartitionInfo, Stamp, TopicInfo};
use kprod::ui::app::App;
use kprod::ui::theme::Theme;
use kprod::ui::view;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The buffer's text, one line per row, without trailing blanks: a masked
/// figure may be shorter or longer than the one it hides.
fn text(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Draws `app` at each size and compares it with its snapshot `name@WxH`.
fn assert_screens(name: &str, app: &App) {
    let theme = Theme::built_in();
    for (w, h) in SIZES {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| view::draw(f, app, &theme)).unwrap();
        let screen = text(&terminal);
        insta::with_settings!({ filters => masks(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("{name}@{w}x{h}"), screen);
        });
    }
}

/// What varies between runs, each masked in place: ports (ephemeral, so
/// five digits: the mask keeps the width and the columns stay), clock times
/// in the local time zone, and the figures a burst reads off the wall clock.
fn masks() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"127\.0\.0\.1:\d{5}", "127.0.0.1:NNNNN"),
        (r"\d\d:\d\d:\d\d\.\d\d\d", "HH:MM:SS.mmm"),
        (r"\d\d:\d\d:\d\d", "HH:MM:SS"),
        (r"\d+ rec/s", "N rec/s"),
        (r"[\d.]+ MB/s", "N MB/s"),
        (r" in [\d.]+ s\b", " in N s"),
    ]
}

/// The events an engine on the embedded cluster sends when it comes up: a
/// fixed stand-in, so a state reached from it holds still.
fn connected(app: &mut App) {
    app.on_event(Event::Connected {
        bootstrap: "127.0.0.1:40123".into(),
        embedded: true,
        proxy: None,
        verify: true,
    });
    let topic = |name: &str, partitions: i32| TopicInfo {
        name: name.into(),
        partitions,
        layout: (0..partitions)
            .map(|id| {
                let leader = id % 3 + 1;
                let replicas = vec![leader, leader % 3 + 1, (leader + 1) % 3 + 1];
                PartitionInfo {
                    id,
                    leader,
                    isr: replicas.clone(),
                    replicas,
                }
            })
            .collect(),
    };
    app.on_event(Event::Topics(ClusterInfo {
        brokers: vec![1, 2, 3],
        topics: vec![topic("demo", 6), topic("orders", 3)],
    }));
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn ctrl(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// An app on the stand-in cluster, with a keyed record composed.
fn composed() -> App {
    let mut app = App::new("demo", Settings::default());
    connected(&mut app);
    type_text(&mut app, "user-{seq}");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "hello kafka");
    app
}

/// The engine's report of record `id` of a burst: queued, then acked on the
/// partition its key went to, as the engine tells them.
fn queued_and_acked(app: &mut App, id: u64) {
    let partition = (id % 6) as i32;
    let key = format!("user-{id}").into_bytes();
    app.on_event(Event::Queued {
        id,
        topic: "demo".into(),
        partition: None,
        key_len: Some(key.len()),
        value_len: Some(11),
    });
    app.on_event(Event::Acked(Ack {
        id,
        topic: "demo".into(),
        key_len: Some(key.len()),
        value_len: Some(b"hello kafka".len()),
        key: Some(key),
        value: Some(b"hello kafka".to_vec()),
        partition,
        offset: Some((id / 6) as i64),
        // Stamped now, as a record sent now is: a far-off time would show
        // its date.
        timestamp: Some(Stamp::CreateTime(now_ms() + id as i64)),
        created: now_ms() + id as i64,
        latency: Duration::from_millis(3),
        headers: None,
    }));
}

#[test]
fn idle() {
    let app = composed();
    assert_screens("idle", &app);
}

#[test]
fn burst_running() {
    let mut app = composed();
    // Paced, so the progress line has its target and time left.
    ctrl(&mut app, 'r');
    type_text(&mut app, "100@50");
    key(&mut app, KeyCode::Enter);
    for id in 0..40 {
        queued_and_acked(&mut app, id);
    }
    assert_screens("burst-running", &app);
}

#[test]
fn burst_done() {
    let mut app = composed();
    ctrl(&mut app, 'r');
    type_text(&mut app, "100");
    key(&mut app, KeyCode::Enter);
    for id in 0..100 {
        queued_and_acked(&mut app, id);
    }
    assert_screens("burst-done", &app);
}

#[test]
fn help() {
    let mut app = composed();
    key(&mut app, KeyCode::F(1));
    assert_screens("help", &app);
}

#[test]
fn topics() {
    let mut app = composed();
    ctrl(&mut app, 't');
    assert_screens("topics", &app);
}

/// What one side of a comparison reports when it is done.
fn outcome(label: &str, batches: u64, partitions: Vec<u64>, p99_ms: u64) -> Outcome {
    Outcome {
        label: label.into(),
        acked: 400,
        failed: 0,
        elapsed: Duration::from_millis(800),
        partitions,
        sent: Sent {
            batches,
            records: 400,
            // Each record's own framing, then each batch's 61-byte header.
            wire_bytes: 400 * 30 + batches * 61,
            key_value_bytes: 400 * 20,
        },
        record_bytes: 400 * 20,
        latency: [2, 5, p99_ms, p99_ms + 3].map(Duration::from_millis),
    }
}

#[test]
fn compare() {
    let mut app = App::new("demo", Settings::default());
    connected(&mut app);
    ctrl(&mut app, 'n');
    // To the chart pane: key, value, headers, partition, timestamp,
    // settings, log, chart.
    for _ in 0..7 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Home);
    ctrl(&mut app, 'k');
    type_text(
        &mut app,
        "400 partitioner=round_robin vs partitioner=uniform_sticky",
    );
    key(&mut app, KeyCode::Enter);
    app.on_event(Event::Compared {
        index: 0,
        of: 2,
        outcome: Ok(outcome(
            "partitioner=round_robin",
            240,
            vec![67, 67, 67, 67, 66, 66],
            9,
        )),
    });
    assert_screens("compare-running", &app);
    app.on_event(Event::Compared {
        index: 1,
        of: 2,
        outcome: Ok(outcome(
            "partitioner=uniform_sticky",
            12,
            vec![100, 0, 100, 100, 0, 100],
            4,
        )),
    });
    assert_screens("compare-done", &app);
}

#[test]
fn rule_editor() {
    let mut settings = Settings::default();
    settings
        .set_pair("partitioner.rules=/nonexistent/kprod/rules.txt")
        .unwrap();
    let mut app = App::new("demo", settings);
    connected(&mut app);
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Char('r'));
    assert_screens("rules", &app);
    // A bad line is refused in place, with its number.
    key(&mut app, KeyCode::Enter);
    type_text(&mut app, "value like urgent -> 2");
    ctrl(&mut app, 's');
    assert_screens("rules-refused", &app);
}

#[tokio::test(flavor = "multi_thread")]
async fn faults() {
    let mut c = Console::start(120, 40).await;
    c.ctrl('f');
    type_text(&mut c.app, "down 2");
    assert_screens("fault-prompt", &c.app);
    c.press(KeyCode::Enter);
    c.pump_until(|e| matches!(e, Event::Notice { .. })).await;
    c.fault("up 2");
    c.pump_until(|e| matches!(e, Event::Notice { text, .. } if text.contains("up")))
        .await;
    assert_screens("fault-log", &c.app);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// F4 with a file of records open: the list, one record marked, and the
/// highlighted one as it will be sent (bytes that are not text in hex).
#[test]
fn records_file() {
    use kprod::lines::Line;
    use kprod::replay::Placed;
    use kprod::ui::app::{update, Msg};
    let mut app = composed();
    let record = |key: Option<&str>, value: &[u8], partition: Option<i32>| Placed {
        line: Line {
            key: key.map(|k| k.as_bytes().to_vec()),
            value: Some(value.to_vec()),
            headers: vec![kprod::engine::record::Header {
                name: "trace".into(),
                value: Some(b"abc".to_vec()),
            }],
            timestamp: partition.map(|_| 1_700_000_000_000),
        },
        topic: None,
        partition,
        offset: None,
    };
    let records = vec![
        record(Some("order-1"), b"{\"qty\": 3}", None),
        record(Some("order-2"), &[0, 1, 0xff], Some(2)),
        record(None, b"keyless\nsecond line", None),
    ];
    let now = std::time::Instant::now();
    update(
        &mut app,
        Msg::RecordsRead {
            spec: "orders.jsonl".into(),
            result: Ok(records),
        },
        now,
    );
    key(&mut app, KeyCode::Tab);
    assert_screens("records-file", &app);
}

/// F12 zooms the focused pane to the whole screen, for a room to read;
/// Tab moves the zoom on to the next pane.
#[test]
fn zoomed() {
    let mut app = composed();
    for id in 0..12 {
        queued_and_acked(&mut app, id);
    }
    // From the value: headers, partition, timestamp, settings, log.
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::F(12));
    assert_screens("zoomed-log", &app);
    key(&mut app, KeyCode::Tab);
    assert_screens("zoomed-chart", &app);
}
