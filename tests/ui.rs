//! The console through ratatui's TestBackend: key presses go through the
//! keymap and App::update, commands go to a real engine on the embedded
//! cluster, and assertions read the drawn screen.

mod common;

use common::console::Console;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kprod::engine::settings::Settings;
use kprod::engine::Event;
use kprod::ui::app::{App, Focus, Popup};
use kprod::ui::theme::Theme;
use kprod::ui::view;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

#[tokio::test(flavor = "multi_thread")]
async fn a_typed_record_is_sent_and_its_ack_shows_in_log_and_chart() {
    let mut c = Console::start(120, 40).await;
    c.type_text("user-42");
    c.press(KeyCode::Tab);
    c.type_text("hello kafka");
    c.press(KeyCode::Tab);
    c.type_text("trace-id: 7f3a");
    let screen = c.screen();
    assert!(screen.contains("Headers 1"), "{screen}");

    c.ctrl('s');
    c.pump_until(|e| matches!(e, Event::Acked(_))).await;
    let acked_on = c
        .app
        .chart
        .iter()
        .position(|n| *n == 1)
        .expect("one partition counts the record");
    let screen = c.screen();
    let ack = screen
        .lines()
        .find(|l| l.contains("#0 acked"))
        .unwrap_or_else(|| panic!("no ack line:\n{screen}"));
    assert!(ack.contains(&format!("p{acked_on} offset 0")), "{ack}");
    assert!(
        ack.contains(" created ") && ack.contains("*"),
        "embedded cluster's timestamp is flagged: {ack}"
    );
    let bar = screen
        .lines()
        .find(|l| l.contains(&format!("│p{acked_on} ")) && l.contains('█'))
        .unwrap_or_else(|| panic!("no bar for p{acked_on}:\n{screen}"));
    assert!(
        bar.contains("█ 1 b1×1"),
        "one record, one batch of one: {bar}"
    );
    assert_eq!(c.app.totals.acked, 1);

    // `r` in the chart pane resets it.
    for _ in 0..5 {
        c.press(KeyCode::Tab);
    }
    assert_eq!(c.app.focus, Focus::Chart);
    c.press(KeyCode::Char('r'));
    assert_eq!(c.app.chart.iter().sum::<u64>(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn null_differs_from_empty_on_screen_and_on_the_wire() {
    let mut c = Console::start(100, 30).await;
    // No key until one is typed, as a ProducerRecord without one.
    let screen = c.screen();
    assert!(screen.contains("Key String · null"), "{screen}");
    assert_eq!(c.app.draft().unwrap().key, None);
    c.ctrl('n');
    let screen = c.screen();
    assert!(screen.contains("Key String · 0 B"), "{screen}");
    assert_eq!(c.app.draft().unwrap().key, Some(Vec::new()));
    c.ctrl('n');
    assert_eq!(c.app.draft().unwrap().key, None);
    // Typing into a null key makes it a string.
    c.type_text("k");
    assert!(c.screen().contains("Key String · 1 B"));
    assert_eq!(c.app.draft().unwrap().key, Some(b"k".to_vec()));
    // A null value is a tombstone; typing makes it a string again.
    c.press(KeyCode::Tab);
    c.ctrl('n');
    assert_eq!(c.app.draft().unwrap().value, None);
    c.type_text("v");
    assert_eq!(c.app.draft().unwrap().value, Some(b"v".to_vec()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_numbers_records_and_fills_the_chart() {
    let mut c = Console::start(120, 40).await;
    c.type_text("k-{seq}");
    c.ctrl('r');
    c.type_text("12x");
    c.press(KeyCode::Enter);
    assert!(
        c.screen().contains("a whole number of records"),
        "a bad count is refused in place"
    );
    for _ in 0..3 {
        c.press(KeyCode::Backspace);
    }
    c.type_text("60");
    c.press(KeyCode::Enter);
    c.pump_acked(60).await;
    assert_eq!(c.app.chart.iter().sum::<u64>(), 60);
    assert!(
        c.app.chart.iter().filter(|n| **n > 0).count() > 1,
        "60 keys spread: {:?}",
        c.app.chart
    );
    assert_eq!(c.app.totals.in_flight(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_are_validated_as_typed_and_applied_with_a_log_line() {
    let mut c = Console::start(120, 40).await;
    for _ in 0..5 {
        c.press(KeyCode::Tab);
    }
    assert_eq!(c.app.focus, Focus::Settings);
    // acks is the first row: try 7.
    c.press(KeyCode::Enter);
    c.press(KeyCode::Backspace);
    c.press(KeyCode::Backspace);
    c.press(KeyCode::Backspace);
    c.type_text("7");
    let screen = c.screen();
    assert!(
        screen.contains("acks: '7' is not valid: acks is 0, 1 or all"),
        "{screen}"
    );
    c.press(KeyCode::Enter);
    assert!(
        c.app.popup.is_some(),
        "Enter on a bad value keeps the prompt open"
    );
    c.press(KeyCode::Backspace);
    c.type_text("1");
    c.press(KeyCode::Enter);
    assert!(c.app.popup.is_none());
    // acks=1 with idempotence on cannot be applied, and the pane says why.
    let screen = c.screen();
    assert!(
        screen.contains("cannot apply: enable.idempotence=true needs acks=all"),
        "{screen}"
    );
    c.press(KeyCode::Char('a'));
    assert!(c.last_log().contains("not applied"));

    // Turn idempotence off (row 5), set linger.ms (row 2) to 50, apply.
    for _ in 0..4 {
        c.press(KeyCode::Down);
    }
    c.press(KeyCode::Enter);
    for _ in 0..4 {
        c.press(KeyCode::Backspace);
    }
    c.type_text("false");
    c.press(KeyCode::Enter);
    for _ in 0..3 {
        c.press(KeyCode::Up);
    }
    c.press(KeyCode::Enter);
    c.press(KeyCode::Backspace);
    c.type_text("-1");
    assert!(c.screen().contains("must be between 0 and 900000"));
    c.press(KeyCode::Backspace);
    c.press(KeyCode::Backspace);
    c.type_text("50");
    c.press(KeyCode::Enter);
    assert!(c.screen().contains("* not applied"));
    c.press(KeyCode::Char('a'));
    c.pump_until(|e| matches!(e, Event::Applied { .. })).await;
    let screen = c.screen();
    assert!(
        screen.contains("producer rebuilt: acks: all -> 1"),
        "{screen}"
    );
    let rebuilt = c
        .app
        .log
        .lines
        .iter()
        .rev()
        .find(|l| l.text.starts_with("producer rebuilt"))
        .unwrap();
    assert_eq!(
        rebuilt.text,
        "producer rebuilt: acks: all -> 1, linger.ms: 5 -> 50, enable.idempotence: true -> false"
    );
    assert!(!screen.contains("* not applied"), "{screen}");
    assert_eq!(c.app.applied.get("linger.ms"), Some("50"));

    // Any librdkafka property can be added by name; a wrong one is refused.
    c.press(KeyCode::Char('+'));
    c.type_text("no.such.thing=1");
    c.press(KeyCode::Enter);
    assert!(c.screen().contains("'no.such.thing' is no setting"));
    c.press(KeyCode::Esc);
    c.press(KeyCode::Char('+'));
    c.type_text("client.id=lab-7");
    c.press(KeyCode::Enter);
    let screen = c.screen();
    assert!(
        screen.contains("client.id") && screen.contains("lab-7"),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn help_lists_every_binding_and_small_terminals_are_told() {
    let mut c = Console::start(120, 40).await;
    c.press(KeyCode::F(1));
    let mut seen = c.screen();
    // Down to the end, however long the help grows.
    for _ in 0..kprod::ui::keymap::BINDINGS.len() + 16 {
        c.press(KeyCode::Down);
        seen.push_str(&c.screen());
    }
    for b in kprod::ui::keymap::BINDINGS {
        assert!(seen.contains(b.help), "help lacks '{}':\n{seen}", b.help);
    }
    c.press(KeyCode::Esc);
    assert!(c.app.popup.is_none());

    let mut small = Console::start(79, 24).await;
    assert!(small.screen().contains("Terminal too small"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_record_input_is_refused_and_nothing_is_lost() {
    let mut c = Console::start(120, 40).await;
    c.type_text("keep-me");
    for _ in 0..3 {
        c.press(KeyCode::Tab);
    }
    assert_eq!(c.app.focus, Focus::Partition);
    c.type_text("9");
    assert!(c.screen().contains("partitions 0..5 only"));
    c.ctrl('s');
    assert!(c
        .last_log()
        .contains("not sent: topic 'demo' has partitions 0..5 only"));
    assert_eq!(c.app.totals.sent, 0);
    assert_eq!(
        c.app.key.text.lines()[0],
        "keep-me",
        "the composed record is kept"
    );
    c.press(KeyCode::Backspace);
    c.type_text("abc");
    assert!(c.screen().contains("not a partition number"));
    c.press(KeyCode::Backspace);
    c.press(KeyCode::Backspace);
    c.press(KeyCode::Backspace);
    c.type_text("4");
    c.ctrl('s');
    c.pump_until(|e| matches!(e, Event::Acked(_))).await;
    assert_eq!(c.app.chart[4], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_topic_picker_lists_topics_and_an_unknown_topic_is_reported() {
    let (engine, events) = common::embedded("orders", Settings::default());
    let mut c = Console {
        app: App::new("missing", Settings::default()),
        engine,
        events,
        terminal: Terminal::new(TestBackend::new(120, 40)).unwrap(),
        theme: Theme::built_in(),
    };
    c.pump_until(|e| matches!(e, Event::Topics(_))).await;
    assert!(c
        .screen()
        .contains("topic 'missing' does not exist on the cluster"));
    c.ctrl('t');
    c.press(KeyCode::Down);
    c.press(KeyCode::Enter);
    assert_eq!(c.app.topic, "orders");
    assert_eq!(c.app.partition_count(), Some(6));
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_flushes_then_quits_and_twice_quits_at_once() {
    let mut c = Console::start(100, 30).await;
    c.ctrl('c');
    assert!(!c.app.quit);
    c.pump_until(|e| matches!(e, Event::ShutdownComplete { .. }))
        .await;
    assert!(c.app.quit);

    let mut c = Console::start(100, 30).await;
    c.ctrl('c');
    c.ctrl('c');
    assert!(c.app.quit);
}

#[test]
fn the_log_is_bounded_filtered_and_scrolled_while_totals_count_everything() {
    use kprod::engine::{Ack, Stamp};
    use kprod::ui::app::{Filter, LOG_CAPACITY};
    use std::time::Duration;
    let mut app = App::new("demo", Settings::default());
    // Failures are always listed, one record in ten here: enough of them to
    // fill the ring. Acks and queued lines beyond 200 a second are counted.
    let n = 10 * LOG_CAPACITY as u64 + 1_000;
    for id in 0..n {
        app.on_event(Event::Queued {
            id,
            topic: "demo".into(),
            partition: None,
            key_len: Some(1),
            value_len: None,
        });
        if id % 10 == 0 {
            app.on_event(Event::Failed {
                id,
                topic: "demo".into(),
                key: Some(b"k".to_vec()),
                value: None,
                partition: Some(1),
                code: "MSG_TIMED_OUT".into(),
                message: "Local: Message timed out".into(),
                latency: Duration::from_millis(5),
                headers: None,
            });
        } else {
            app.on_event(Event::Acked(Ack {
                id,
                topic: "demo".into(),
                key: Some(b"k".to_vec()),
                value: None,
                key_len: Some(1),
                value_len: None,
                partition: (id % 6) as i32,
                offset: Some(id as i64),
                timestamp: Some(Stamp::CreateTime(0)),
                created: 0,
                latency: Duration::from_millis(1),
                headers: None,
            }));
        }
    }
    assert_eq!(app.log.lines.len(), LOG_CAPACITY);
    let acked_lines = app
        .log
        .lines
        .iter()
        .filter(|l| l.text.contains(" acked p"))
        .count();
    assert!(
        acked_lines < 200,
        "{acked_lines} ack lines listed in a flood"
    );
    assert_eq!(app.totals.sent, n);
    assert_eq!(
        app.totals.failed,
        (0..n).filter(|i| i % 10 == 0).count() as u64
    );
    assert_eq!(app.totals.acked + app.totals.failed, n);

    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let theme = Theme::built_in();
    let mut draw = |app: &App| {
        terminal.draw(|f| view::draw(f, app, &theme)).unwrap();
        format!("{:?}", terminal.backend().buffer())
    };
    // Focus the log, filter to failures only.
    for _ in 0..6 {
        app.update(kprod::ui::action::Action::FocusNext);
    }
    assert_eq!(app.focus, Focus::Log);
    app.on_key(KeyEvent::new(KeyCode::Char('f'), KeyModifiers::NONE));
    app.on_key(KeyEvent::new(KeyCode::Char('f'), KeyModifiers::NONE));
    assert_eq!(app.log.filter, Filter::Failed);
    let screen = draw(&app);
    assert!(screen.contains("[failed+issues]"), "{screen}");
    assert!(
        screen.contains(&format!(
            "#{} failed p1  MSG_TIMED_OUT",
            n - 1 - (n - 1) % 10
        )),
        "{screen}"
    );
    assert!(
        !screen.contains(" acked  p"),
        "only failures are shown: {screen}"
    );
    // Scroll up: the newest failure leaves the screen, the title says so.
    for _ in 0..30 {
        app.on_key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    }
    let screen = draw(&app);
    assert!(screen.contains("(End: follow)"), "{screen}");
    assert!(
        !screen.contains(&format!("#{} failed", n - 1 - (n - 1) % 10)),
        "{screen}"
    );
    app.on_key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
    assert_eq!(app.log.scroll, 0);
}

#[test]
fn a_bad_theme_file_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bad_colour = dir.path().join("bad.toml");
    std::fs::write(&bad_colour, "acked = \"not-a-colour\"\n").unwrap();
    let err = Theme::load(Some(&bad_colour)).unwrap_err();
    assert!(err.contains("theme"), "{err}");
    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "ackd = \"green\"\n").unwrap();
    assert!(Theme::load(Some(&unknown)).unwrap_err().contains("ackd"));
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "acked = ").unwrap();
    assert!(Theme::load(Some(&broken)).is_err());
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "acked = \"#00ff00\"\n").unwrap();
    assert!(Theme::load(Some(&good)).is_ok());
    assert!(Theme::load(Some(&dir.path().join("missing.toml")))
        .unwrap_err()
        .contains("cannot read theme"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_topic_view_shows_leaders_replicas_isr_and_creates_topics() {
    let mut c = Console::start(120, 40).await;
    c.ctrl('t');
    assert_eq!(c.app.brokers, [1, 2, 3]);
    // Every demo partition has 3 replicas, all in sync.
    let demo = c
        .app
        .topics
        .as_ref()
        .unwrap()
        .iter()
        .find(|t| t.name == "demo");
    let layout = &demo.unwrap().layout;
    assert_eq!(layout.len(), 6);
    assert!(
        layout
            .iter()
            .all(|p| p.replicas.len() == 3 && p.isr.len() == 3),
        "{layout:?}"
    );

    c.press(KeyCode::Char('n'));
    c.type_text("bad/name 3 3");
    assert!(c.screen().contains("'/' is not allowed in a topic name"));
    for _ in 0..12 {
        c.press(KeyCode::Backspace);
    }
    c.type_text("orders 3 4");
    assert!(c.screen().contains("cluster has 3 brokers"));
    c.press(KeyCode::Backspace);
    c.type_text("2 2");
    c.press(KeyCode::Enter);
    c.pump_until(|e| matches!(e, Event::Notice { text, .. } if text.contains("not created")))
        .await;
    assert!(
        c.screen().contains("min.insync.replicas is not enforced"),
        "refused on the mock, with the reason"
    );

    c.ctrl('t');
    c.press(KeyCode::Char('n'));
    c.type_text("orders 3 2");
    c.press(KeyCode::Enter);
    c.pump_until(|e| matches!(e, Event::Topics(t) if t.topics.iter().any(|t| t.name == "orders")))
        .await;
    let orders = c
        .app
        .topics
        .as_ref()
        .unwrap()
        .iter()
        .find(|t| t.name == "orders");
    assert_eq!(orders.map(|t| t.partitions), Some(3));
}

#[test]
fn verifier_findings_are_marked_in_the_log_and_counted_in_the_status_bar() {
    use kprod::engine::verify::{IssueKind, PartitionCounts, Summary};
    let mut app = App::new("demo", Settings::default());
    app.on_event(Event::VerifyIssue {
        kind: IssueKind::Duplicated,
        topic: "demo".into(),
        partition: 3,
        offset: Some(18),
        id: 12,
    });
    app.on_event(Event::VerifyIssue {
        kind: IssueKind::Missing,
        topic: "demo".into(),
        partition: 1,
        offset: Some(4),
        id: 7,
    });
    let counts = PartitionCounts {
        topic: "demo".into(),
        partition: 3,
        acked: 40,
        read_back: 39,
        missing: 1,
        duplicated: 1,
        uncommitted: 0,
        ..Default::default()
    };
    app.on_event(Event::Verification(Summary {
        partitions: vec![counts],
        complete: true,
    }));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let theme = Theme::built_in();
    terminal.draw(|f| view::draw(f, &app, &theme)).unwrap();
    let screen = format!("{:?}", terminal.backend().buffer());
    assert!(
        screen.contains("#12 DUPLICATE demo p3 offset 18"),
        "{screen}"
    );
    assert!(screen.contains("#7 MISSING demo p1 offset 4"), "{screen}");
    assert!(screen.contains("missing 1  dup 1"), "{screen}");
    assert!(screen.contains("read back 39/40"), "{screen}");
    assert!(
        screen.contains("verified: 40 acked, 39 read back, 1 missing, 1 duplicated"),
        "{screen}"
    );
}

/// Record `id` queued and acked after `latency_ms`, as the engine tells it.
fn record_events(id: u64, latency_ms: u64) -> [Event; 2] {
    use kprod::engine::Ack;
    [
        Event::Queued {
            id,
            topic: "demo".into(),
            partition: Some(0),
            key_len: None,
            value_len: Some(5),
        },
        Event::Acked(Ack {
            id,
            topic: "demo".into(),
            key: None,
            value: Some(b"hello".to_vec()),
            key_len: None,
            value_len: Some(5),
            partition: 0,
            offset: Some(id as i64),
            timestamp: None,
            created: 0,
            latency: std::time::Duration::from_millis(latency_ms),
            headers: None,
        }),
    ]
}

#[test]
fn a_bursts_time_comes_from_update_and_leaves_its_pauses_out_and_later_records_out() {
    use kprod::ui::app::{update, Msg};
    use std::time::Duration;
    let t0 = std::time::Instant::now() + Duration::from_secs(60);
    let at = |s: u64| t0 + Duration::from_secs(s);
    let mut app = App::new("demo", Settings::default());
    app.focus = Focus::Value;
    let ctrl = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    let _ = update(&mut app, Msg::Paste("hello".into()), t0);
    let _ = update(&mut app, ctrl('r'), t0);
    let _ = update(&mut app, Msg::Paste("4".into()), t0);
    let enter = Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let _ = update(&mut app, enter, t0);
    for e in record_events(0, 10) {
        let _ = update(&mut app, Msg::Engine(e), at(1));
    }
    // Paused from 2 s to 5 s: three seconds that are not the burst's.
    let _ = update(&mut app, ctrl('p'), at(2));
    let _ = update(&mut app, ctrl('p'), at(5));
    for id in 1..4 {
        for e in record_events(id, 30) {
            let _ = update(&mut app, Msg::Engine(e), at(6));
        }
    }
    // A record sent after it ended is not its own.
    for e in record_events(4, 900) {
        let _ = update(&mut app, Msg::Engine(e), at(7));
    }
    let f = app.flow.as_ref().expect("a burst");
    assert!(f.finished(&app.totals));
    assert_eq!(
        f.active(at(100)),
        Duration::from_secs(3),
        "0 to 6 s, less the 3 s paused"
    );
    assert_eq!((f.tally.acked, f.tally.key_value_bytes), (4, 20));
    let max = f.tally.max_latency_us();
    assert!((29_000..=31_000).contains(&max), "{max}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_key_resets_the_chart_the_counters_and_the_verifier_together() {
    let mut c = Console::start(120, 40).await;
    c.type_text("k-{seq}");
    c.burst("30", 30).await;
    c.pump_until(|e| matches!(e, Event::Verification(s) if s.total().read_back == 30))
        .await;
    c.ctrl('l');
    assert_eq!(c.app.totals, kprod::ui::app::Totals::default());
    assert!(c.app.flow.is_none(), "the burst's figures went too");
    assert_eq!(c.app.chart.iter().sum::<u64>(), 0);
    assert!(c.app.verification.is_none());
    // The verifier counts from the reset on: the next record alone.
    c.ctrl('s');
    c.pump_until(
        |e| matches!(e, Event::Verification(s) if s.total().acked == 1 && s.total().read_back == 1),
    )
    .await;
    let t = c.app.verification.as_ref().unwrap().total();
    assert_eq!((t.missing, t.duplicated, t.reordered), (0, 0, 0));
    assert_eq!(c.app.chart.iter().sum::<u64>(), 1);
}

#[test]
fn a_reset_waits_for_the_records_in_flight_and_says_so() {
    let mut app = App::new("demo", Settings::default());
    let [queued, acked] = record_events(0, 5);
    app.on_event(queued);
    let ctrl_l = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL);
    assert!(app.on_key(ctrl_l).is_empty(), "nothing reset");
    assert_eq!(app.totals.in_flight(), 1);
    let (_, text) = app.flash.clone().unwrap();
    assert!(text.contains("not reset: 1 record(s) in flight"), "{text}");
    app.on_event(acked);
    let commands = app.on_key(ctrl_l);
    assert!(
        matches!(commands[..], [kprod::engine::Command::Reset { from: 1 }]),
        "the verifier forgets records before #1: {commands:?}"
    );
    assert_eq!(app.totals.sent, 0);
}

#[test]
fn the_chart_counts_only_the_current_topic() {
    use kprod::engine::Ack;
    let mut app = App::new("orders", Settings::default());
    let ack = |topic: &str, partition| {
        Event::Acked(Ack {
            id: 0,
            topic: topic.into(),
            key: None,
            value: None,
            key_len: None,
            value_len: None,
            partition,
            offset: Some(0),
            timestamp: None,
            created: 0,
            latency: std::time::Duration::ZERO,
            headers: None,
        })
    };
    app.on_event(ack("orders", 2));
    app.on_event(ack("demo", 1));
    assert_eq!(app.chart.iter().sum::<u64>(), 1);
    assert_eq!(app.chart[2], 1);
    assert_eq!(app.totals.acked, 2, "totals count every ack");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_composer_serializes_as_chosen_previews_the_bytes_and_refuses_what_does_not_fit() {
    let mut c = Console::start(120, 40).await;
    // Key: String -> Short -> Integer.
    c.ctrl('e');
    c.ctrl('e');
    assert_eq!(
        c.app.key.serializer,
        kprod::engine::serde::Serializer::Integer
    );
    c.type_text("12x");
    let screen = c.screen();
    assert!(screen.contains("Key Integer · not sendable"), "{screen}");
    assert!(
        screen.contains("'12x' is not a whole number (Integer)"),
        "{screen}"
    );
    c.ctrl('s');
    assert!(c
        .last_log()
        .contains("not sent: key as Integer: '12x' is not a whole number"));
    assert_eq!(c.app.totals.sent, 0, "nothing was sent");
    c.press(KeyCode::Backspace);
    c.press(KeyCode::Backspace);
    c.press(KeyCode::Backspace);
    c.type_text("42");
    let screen = c.screen();
    assert!(screen.contains("Key Integer · 4 B"), "{screen}");
    assert!(
        screen.contains("00 00 00 2a"),
        "the wire bytes are previewed: {screen}"
    );
    // Value as compact JSON.
    c.press(KeyCode::Tab);
    for _ in 0..8 {
        c.ctrl('e');
    }
    assert_eq!(
        c.app.value.serializer,
        kprod::engine::serde::Serializer::JsonCompact
    );
    c.type_text("{ \"a\" : 1 }");
    assert!(c.screen().contains("Value JSON (compact) · 7 B"));
    c.ctrl('s');
    c.pump_until(|e| matches!(e, Event::Acked(_))).await;
    let ack = c
        .app
        .log
        .lines
        .iter()
        .any(|l| l.text.starts_with("#0 queued demo  key 4 B  value 7 B"));
    assert!(ack, "queued with the wire lengths");
}

#[test]
fn the_status_bar_says_when_verification_is_off() {
    let mut app = App::new("demo", Settings::default());
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let theme = Theme::built_in();
    let mut screen = |app: &App| {
        terminal.draw(|f| view::draw(f, app, &theme)).unwrap();
        format!("{:?}", terminal.backend().buffer())
    };
    app.on_event(Event::Connected {
        bootstrap: "b:1".into(),
        embedded: false,
        proxy: None,
        verify: true,
    });
    app.on_event(Event::Connected {
        bootstrap: "b:1".into(),
        embedded: false,
        proxy: None,
        verify: false,
    });
    assert!(screen(&app).contains("verify: off (--no-verify)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lab_shows_batches_and_what_compression_made_of_them() {
    let mut c = Console::start(120, 40).await;
    c.app.pending.set("compression.type", "gzip").unwrap();
    c.app.pending.set("linger.ms", "50").unwrap();
    for _ in 0..5 {
        c.press(KeyCode::Tab);
    }
    c.press(KeyCode::Char('a'));
    c.pump_until(|e| matches!(e, Event::Applied { .. })).await;
    c.ctrl('n'); // focus is on settings: no effect there
    c.app.focus = Focus::Value;
    c.type_text("the same words again and again, record {seq}");
    c.burst("600", 600).await;
    let batches: u64 = c.app.batches.iter().map(|b| b.batches).sum();
    let records: u64 = c.app.batches.iter().map(|b| b.records).sum();
    assert_eq!(records, 600, "every acked record counted in a batch");
    assert!((1..600).contains(&batches), "{batches} batches");
    let raw: u64 = c.app.batches.iter().map(|b| b.record_bytes).sum();
    let wire: u64 = c.app.batches.iter().map(|b| b.wire_bytes).sum();
    assert!(
        wire * 3 < raw,
        "gzip on repetitive records: {raw} -> {wire}"
    );
    // librdkafka's statistics tell the same batches a report later.
    let mut told = 0;
    c.pump_until(|e| {
        if let Event::Stats { sent, .. } = e {
            told += sent.records;
        }
        told == 600
    })
    .await;
    assert_eq!(c.app.sent.batches, batches, "{:?}", c.app.sent);
    assert!(c.app.sent.wire_bytes * 3 < c.app.sent.key_value_bytes);
    let screen = c.screen();
    assert!(
        screen.contains(&format!("stats: {batches} batches,")) && screen.contains("gzip)"),
        "{screen}"
    );
    // A reset starts the figures again.
    c.app.focus = Focus::Chart;
    c.press(KeyCode::Char('r'));
    assert_eq!(c.app.sent, Default::default());
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_from_the_chart_pane_shows_each_side_as_it_finishes() {
    let mut c = Console::start(120, 40).await;
    c.ctrl('n'); // keyless records
    c.app.focus = Focus::Chart;
    c.press(KeyCode::Char('c'));
    assert!(c
        .screen()
        .contains("partitioner=round_robin vs partitioner=uniform_sticky"));
    c.press(KeyCode::Home);
    c.ctrl('k');
    c.type_text("400 partitioner=round_robin vs linger.ms=abc");
    assert!(
        c.screen().contains("linger.ms: 'abc' is not valid"),
        "a bad side is refused as typed"
    );
    for _ in 0.."abc".len() {
        c.press(KeyCode::Backspace);
    }
    c.type_text("0 partitioner=uniform_sticky");
    c.press(KeyCode::Enter);
    assert!(matches!(c.app.popup, Some(Popup::Compare)));
    c.pump_until(|e| matches!(e, Event::Compared { index: 1, .. }))
        .await;
    let cmp = c.app.compare.as_ref().unwrap();
    assert_eq!(
        cmp.labels,
        [
            "partitioner=round_robin",
            "linger.ms=0 partitioner=uniform_sticky"
        ]
    );
    let [Ok(rr), Ok(sticky)] = &cmp.outcomes[..] else {
        panic!("{:?}", cmp.outcomes)
    };
    assert_eq!((rr.acked, sticky.acked), (400, 400));
    // Round robin spreads 400 records over the 6 partitions evenly.
    let mut spread = rr.partitions.clone();
    spread.sort_unstable();
    assert_eq!(spread, [66, 66, 67, 67, 67, 67]);

    // Closed, it comes back with v.
    c.press(KeyCode::Esc);
    c.press(KeyCode::Char('v'));
    assert!(matches!(c.app.popup, Some(Popup::Compare)));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rule_editor_refuses_a_bad_line_then_saves_and_routes_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.txt");
    let mut c = Console::start(120, 40).await;
    c.app
        .pending
        .set("partitioner.rules", path.to_str().unwrap())
        .unwrap();
    c.app.focus = Focus::Settings;
    c.press(KeyCode::Char('r'));
    assert!(matches!(&c.app.popup, Some(Popup::Rules { path: p, .. }) if *p == path));
    c.press(KeyCode::Enter);
    c.type_text("value like urgent -> 2");
    c.ctrl('s');
    assert!(
        matches!(&c.app.popup, Some(Popup::Rules { error: Some(_), .. })),
        "a bad line keeps the editor open, with the reason"
    );
    assert!(!path.exists(), "nothing written while a line is bad");
    for _ in 0.."like urgent -> 2".len() {
        c.press(KeyCode::Backspace);
    }
    c.type_text("contains urgent -> 2");
    c.ctrl('s');
    assert!(c.app.popup.is_none());
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.ends_with("value contains urgent -> 2\n"), "{saved}");
    c.pump_until(|e| matches!(e, Event::Applied { .. })).await;
    assert_eq!(c.app.applied.get("partitioner"), Some("rules"));

    c.app.focus = Focus::Value;
    c.type_text("this one is urgent");
    c.ctrl('s');
    c.pump_until(|e| matches!(e, Event::Acked(_))).await;
    assert_eq!(
        c.app.chart[2], 1,
        "routed by the saved rule: {:?}",
        c.app.chart
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_shows_each_batch_under_its_own_filter() {
    let mut c = Console::start(120, 40).await;
    c.type_text("k{seq}");
    c.burst("50", 50).await;
    c.app.focus = Focus::Log;
    while c.app.log.filter.name() != "batches" {
        c.press(KeyCode::Char('f'));
    }
    let screen = c.screen();
    let lines: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("│batch demo p"))
        .collect();
    assert!(!lines.is_empty(), "{screen}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains(" records ") && l.contains("uncompressed  broker")),
        "{screen}"
    );
    let batched: u64 = c.app.batches.iter().map(|b| b.records).sum();
    assert_eq!(batched, 50);
}

#[test]
fn burst_sizes_take_a_count_a_rate_or_a_rate_for_a_time() {
    use kprod::engine::pace::burst_size;
    assert_eq!(burst_size("100000"), Ok((100_000, None)));
    assert_eq!(burst_size("5000@250"), Ok((5000, Some(250.0))));
    assert_eq!(burst_size("500/s 2m"), Ok((60_000, Some(500.0))));
    assert_eq!(burst_size("10/s 1.5s"), Ok((15, Some(10.0))));
    for (bad, want) in [
        ("12x", "a whole number of records"),
        ("0", "between 1 and"),
        ("99999999999", "between 1 and"),
        ("10@-1", "'-1' is not a rate"),
        ("500/s forever", "'forever' is not a duration"),
        ("100000/s 1h", "is 360000000 records"),
    ] {
        let err = burst_size(bad).unwrap_err().to_string();
        assert!(err.contains(want), "{bad}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paced_burst_shows_progress_pauses_resumes_and_stops() {
    // On the smallest screen: every figure must still be there.
    let mut c = Console::start(80, 24).await;
    c.app.focus = Focus::Value;
    c.type_text(r#"{"id":"{uuid}","n":{seq},"tier":"{choice:gold|silver}"}"#);
    c.burst("50/s 60s", 20).await;
    let screen = c.screen();
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("burst "))
        .unwrap_or_else(|| panic!("no progress line:\n{screen}"));
    assert!(
        lines[at].contains("/3000") && lines[at].contains("s left"),
        "{screen}"
    );
    for part in ["rec/s", "(target 50)", "MB/s", "p50", "p95", "p99", "max"] {
        assert!(lines[at + 1].contains(part), "{part} missing:\n{screen}");
    }
    assert!(lines[at + 2].starts_with("sent "), "{screen}");

    c.ctrl('p');
    assert!(c.screen().contains("PAUSED"));
    // Whatever was under way is acked; then nothing more is sent.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    while let Ok(e) = c.events.try_recv() {
        c.app.on_event(e);
    }
    let held = c.app.totals.sent;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    while let Ok(e) = c.events.try_recv() {
        c.app.on_event(e);
    }
    assert_eq!(c.app.totals.sent, held, "records sent while paused");

    c.ctrl('p');
    c.pump_acked(10).await;
    assert!(c.app.totals.sent > held);

    c.ctrl('x');
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    while let Ok(e) = c.events.try_recv() {
        c.app.on_event(e);
    }
    let screen = c.screen();
    assert!(screen.contains("burst stopped:"), "{screen}");
    let sent = c.app.totals.sent;
    assert!(sent < 3000, "{sent}");
}

/// Settings under which a missing answer shows within a second.
fn impatient() -> Settings {
    let mut s = Settings::default();
    for pair in [
        "request.timeout.ms=1000",
        "delivery.timeout.ms=30000",
        "linger.ms=0",
    ] {
        s.set_pair(pair).unwrap();
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_down_mid_burst_and_back_leaves_nothing_unaccounted_and_lists_the_retries() {
    let mut c = Console::start_with(120, 40, impatient()).await;
    c.type_text("sensor");
    c.burst("300@100", 30).await;
    // The broker the records go to (one key, one partition, one leader).
    let leader = c.app.requests.recent.back().expect("requests seen").broker;
    // Slowed first, so requests are in flight when it goes down.
    c.fault(&format!("slow {leader} 400"));
    c.pump_for(std::time::Duration::from_millis(500)).await;
    c.fault(&format!("down {leader}"));
    c.pump_for(std::time::Duration::from_secs(3)).await;
    c.fault(&format!("up {leader}"));
    c.pump_until(|e| matches!(e, Event::Notice { text, .. } if text.contains("up")))
        .await;
    // Every record ends acked or failed; none is left unaccounted.
    while c.app.totals.acked + c.app.totals.failed < 300 {
        c.pump_until(|e| matches!(e, Event::Acked(_) | Event::Failed { .. }))
            .await;
    }
    assert_eq!(c.app.totals.acked + c.app.totals.failed, 300);
    let retries = c.app.requests.retries;
    assert!(retries > 0, "no retry counted");
    let failed = c.app.requests.timeouts + c.app.requests.errors;
    assert!(failed > 0, "no failed request counted");
    // The request view, in the log pane: the retried requests, marked.
    while c.app.focus != Focus::Log {
        c.press(KeyCode::Tab);
    }
    c.press(KeyCode::Char('n'));
    let retried = c
        .app
        .requests
        .recent
        .iter()
        .filter(|q| q.is_retry())
        .count();
    assert!(retried > 0);
    c.app.log.scroll = 0;
    let screen = c.screen();
    assert!(screen.contains("Produce requests"), "{screen}");
    assert!(screen.contains("try"), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_acks_are_retried_counted_and_the_embedded_caveat_is_on_screen() {
    let mut c = Console::start_with(120, 40, impatient()).await;
    c.type_text("sensor");
    c.fault("lose-acks 2");
    c.pump_until(|e| matches!(e, Event::Notice { text, .. } if text.contains("loses the acks")))
        .await;
    c.burst("20@20", 20).await;
    assert!(c.app.requests.timeouts >= 1, "no timed-out request");
    assert!(c.app.requests.retries >= 1, "no retry");
    // The broker kept both copies: idempotence on, yet the embedded cluster
    // (not transactional) does not drop them, and says so.
    c.pump_until(|e| matches!(e, Event::Verification(s) if s.total().duplicated > 0))
        .await;
    let screen = c.screen();
    assert!(screen.contains("no idempotent dedupe"), "{screen}");
    assert!(
        c.app
            .log
            .lines
            .iter()
            .any(|l| l.text.contains("rdkafka_mock.c")),
        "the caveat is in the log"
    );
    // At 80x24 the request view still shows each request's outcome.
    while c.app.focus != Focus::Log {
        c.press(KeyCode::Tab);
    }
    c.press(KeyCode::Char('n'));
    c.terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let screen = c.screen();
    assert!(screen.contains("delivered"), "{screen}");
}

#[test]
fn a_paste_of_100_kb_arrives_whole_in_one_update() {
    let mut app = App::new("t", Settings::default());
    app.focus = Focus::Value;
    let text = "x".repeat(100 * 1024);
    app.on_paste(&text);
    assert_eq!(app.value.text.lines().join("").len(), text.len());
    assert_eq!(
        app.value.wire().as_ref().unwrap().as_ref().unwrap().len(),
        text.len()
    );
}

#[test]
fn bytes_file_refuses_a_device_and_a_directory_with_a_message() {
    let dev = kprod::ui::file::read_file("/dev/null").unwrap_err();
    assert!(dev.contains("device"), "{dev}");
    let dir = kprod::ui::file::read_file("/tmp").unwrap_err();
    assert!(dir.contains("directory"), "{dir}");
}

/// The value field switched to Bytes (file) with Ctrl-E, as a user does.
fn bytes_file_value() -> App {
    let mut app = App::new("t", Settings::default());
    app.focus = Focus::Value;
    while app.value.serializer != kprod::engine::serde::Serializer::File {
        app.on_key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL));
    }
    app
}

#[test]
fn bytes_file_is_read_by_the_runner_once_a_path_is_named_not_by_update() {
    use kprod::ui::app::{update, Effect, Msg};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v.bin");
    std::fs::write(&file, [0u8, 1, 2]).unwrap();
    let file = file.display().to_string();
    let mut app = bytes_file_value();
    let now = std::time::Instant::now();
    let effects = update(&mut app, Msg::Paste(file.clone()), now);
    let [Effect::ReadBytes {
        field: Focus::Value,
        path,
    }] = effects.as_slice()
    else {
        panic!("one read asked for: {effects:?}");
    };
    assert_eq!(*path, file);
    assert!(app.value.wire().is_err(), "update read nothing itself");
    let notice = Event::Notice {
        level: kprod::engine::Level::Info,
        text: "x".into(),
    };
    assert!(
        update(&mut app, Msg::Engine(notice), now).is_empty(),
        "a path asked for is not asked again"
    );
    let result = kprod::ui::file::read_file(path);
    let path = path.clone();
    let effects = update(
        &mut app,
        Msg::BytesRead {
            field: Focus::Value,
            path,
            result,
        },
        now,
    );
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(
        app.value.wire().as_ref().unwrap().as_deref(),
        Some(&[0, 1, 2][..])
    );
    // A stale answer, for a path no longer typed, changes nothing.
    let effects = update(
        &mut app,
        Msg::BytesRead {
            field: Focus::Value,
            path: "/elsewhere".into(),
            result: Ok(vec![9]),
        },
        now,
    );
    assert!(effects.is_empty());
    assert_eq!(
        app.value.wire().as_ref().unwrap().as_deref(),
        Some(&[0, 1, 2][..])
    );
}

#[test]
fn bytes_file_refuses_a_fifo_and_a_file_over_the_limit_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let mut app = bytes_file_value();
    // A FIFO opened for reading would wait for a writer for good.
    app.on_paste(&fifo.display().to_string());
    let e = app.value.wire().clone().unwrap_err();
    assert!(e.contains("is a FIFO; only a regular file is sent"), "{e}");
    assert!(app.draft().is_err(), "nothing is sent from it");

    let big = dir.path().join("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(kprod::ui::file::FILE_LIMIT + 1)
        .unwrap();
    let mut app = bytes_file_value();
    app.on_paste(&big.display().to_string());
    let e = app.value.wire().clone().unwrap_err();
    assert!(e.contains("over the limit of 16 MiB"), "{e}");
}

// The main loop itself, headless: a stream of terminal events, a channel of
// engine events and TestBackend, under tokio's paused clock, so time moves
// only when every task waits and the tests take no real time.
mod main_loop {
    use std::time::Duration;

    use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
    use futures::stream::{self, Stream, StreamExt};
    use kprod::engine::settings::Settings;
    use kprod::engine::{Command, Event};
    use kprod::ui::app::App;
    use kprod::ui::theme::Theme;
    use kprod::ui::{run_loop, Figures, KEY_FRAME_GAP};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
    use tokio::time::sleep;

    type Keys = std::pin::Pin<Box<dyn Stream<Item = std::io::Result<TermEvent>>>>;

    fn char_key(c: char) -> std::io::Result<TermEvent> {
        Ok(TermEvent::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )))
    }

    /// Nothing from the keyboard for `quiet`, then the stream ends, which
    /// ends the loop.
    fn quiet_for(quiet: Duration) -> Keys {
        Box::pin(stream::once(async move {
            sleep(quiet).await;
            Ok(TermEvent::FocusGained)
        }))
    }

    fn queued(id: u64) -> Event {
        Event::Queued {
            id,
            topic: "demo".into(),
            partition: Some(0),
            key_len: None,
            value_len: Some(3),
        }
    }

    async fn run(
        app: &mut App,
        keys: Keys,
        events: &mut UnboundedReceiver<Event>,
    ) -> (Figures, Vec<Command>, Terminal<TestBackend>) {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let mut sent = Vec::new();
        let figures = run_loop(
            &mut terminal,
            keys,
            events,
            |c| sent.push(c),
            app,
            &mut Theme::built_in(),
            |_| Ok(()),
        )
        .await
        .unwrap();
        (figures, sent, terminal)
    }

    /// F2 opens the theme picker; the next theme (light) chosen with Enter
    /// is what the next frame is drawn with, and the log says so.
    #[tokio::test(start_paused = true)]
    async fn f2_chooses_a_theme_and_the_screen_is_drawn_with_it() {
        let mut app = App::new("demo", Settings::default());
        let (_tx, mut events) = unbounded_channel::<Event>();
        let key = |code| Ok(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        let keys: Keys = Box::pin(
            stream::iter([key(KeyCode::F(2)), key(KeyCode::Down), key(KeyCode::Enter)])
                .chain(quiet_for(Duration::from_millis(200))),
        );
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut theme = Theme::built_in();
        run_loop(
            &mut terminal,
            keys,
            &mut events,
            |_| {},
            &mut app,
            &mut theme,
            |_| Ok(()),
        )
        .await
        .unwrap();
        assert_eq!(app.themes[1], "light");
        let corner = &terminal.backend().buffer()[(0, 0)];
        assert_eq!(corner.bg, ratatui::style::Color::Rgb(253, 253, 253));
        assert!(app.popup.is_none());
        assert!(
            app.log
                .lines
                .iter()
                .any(|l| l.text.contains("theme is now 'light'")),
            "the log tells it"
        );
    }

    /// Ctrl-Z hands the terminal to whatever suspends kprod, once, and the
    /// screen is drawn whole again afterwards: the shell drew over it.
    #[tokio::test(start_paused = true)]
    async fn ctrl_z_suspends_once_and_the_whole_screen_is_drawn_again() {
        let mut app = App::new("demo", Settings::default());
        let (_tx, mut events) = unbounded_channel::<Event>();
        // The screen is up before Ctrl-Z comes.
        let keys: Keys = Box::pin(
            stream::once(async {
                sleep(Duration::from_millis(100)).await;
                Ok(TermEvent::Key(KeyEvent::new(
                    KeyCode::Char('z'),
                    KeyModifiers::CONTROL,
                )))
            })
            .chain(quiet_for(Duration::from_millis(200))),
        );
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut suspended = 0;
        let figures = run_loop(
            &mut terminal,
            keys,
            &mut events,
            |_| {},
            &mut app,
            &mut Theme::built_in(),
            |t: &mut Terminal<TestBackend>| {
                suspended += 1;
                // The shell's prompt and output replace the screen.
                ratatui::backend::Backend::clear(t.backend_mut())?;
                Ok(())
            },
        )
        .await
        .unwrap();
        assert_eq!(suspended, 1);
        assert!(figures.frames() >= 2, "drawn before and after");
        let screen = format!("{:?}", terminal.backend().buffer());
        assert!(screen.contains("│demo "), "redrawn after fg:\n{screen}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_of_engine_events_between_two_frames_costs_one_draw() {
        let mut app = App::new("demo", Settings::default());
        let (tx, mut events) = unbounded_channel();
        for id in 0..10_000 {
            tx.send(queued(id)).unwrap();
        }
        let (figures, _, _) =
            run(&mut app, quiet_for(Duration::from_millis(200)), &mut events).await;
        assert_eq!(app.totals.sent, 10_000, "every event is taken");
        // One frame at the first tick, and at most one more that shows the
        // flood: never a frame an event.
        assert!(figures.frames() <= 2, "{} frames", figures.frames());
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn record_lines_held_back_are_counted_in_the_log_a_second_later_when_none_follow() {
        let mut app = App::new("demo", Settings::default());
        let (tx, mut events) = unbounded_channel();
        for id in 0..1000 {
            tx.send(queued(id)).unwrap();
        }
        // The flood stops, and nothing comes after it that a count could
        // be told with: the timer update asked for tells it.
        let (_, _, _) = run(&mut app, quiet_for(Duration::from_secs(3)), &mut events).await;
        let listed = app
            .log
            .lines
            .iter()
            .filter(|l| l.text.contains(" queued demo"))
            .count() as u64;
        let told: u64 = app
            .log
            .lines
            .iter()
            .filter_map(|l| l.text.strip_prefix("… "))
            .filter_map(|t| t.split(' ').next()?.parse::<u64>().ok())
            .sum();
        assert!(told > 0, "the count was never told");
        assert_eq!(listed + told, 1000, "listed {listed}, told {told}");
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn quitting_drains_the_engine_before_the_loop_ends() {
        let mut app = App::new("demo", Settings::default());
        let (tx, mut events) = unbounded_channel();
        let ctrl_c = Ok(TermEvent::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )));
        // Ctrl-C, then the keyboard is still: the engine's records in flight
        // and its word that it is done end the loop.
        let keys: Keys = Box::pin(stream::iter([ctrl_c]).chain(stream::pending()));
        for id in 0..3 {
            tx.send(queued(id)).unwrap();
        }
        let engine = tokio::spawn(async move {
            sleep(Duration::from_millis(50)).await;
            tx.send(Event::ShutdownComplete {
                sent: 3,
                acked: 0,
                failed: 0,
            })
            .unwrap();
            // The engine is kept until the loop has ended on its own.
            sleep(Duration::from_secs(3600)).await;
            drop(tx);
        });
        let (_, sent, _) = run(&mut app, keys, &mut events).await;
        assert!(app.quit);
        assert_eq!(app.totals.sent, 3);
        assert!(
            sent.iter().any(|c| matches!(c, Command::Shutdown)),
            "{sent:?}"
        );
        engine.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn keys_typed_fast_share_frames_and_none_waits_past_the_gap() {
        let mut app = App::new("demo", Settings::default());
        let (_tx, mut events) = unbounded_channel();
        let burst: Vec<_> = (0..50).map(|_| char_key('a')).collect();
        let keys: Keys = Box::pin(
            stream::iter(burst)
                .chain(stream::once(async {
                    sleep(Duration::from_millis(50)).await;
                    char_key('z')
                }))
                .chain(quiet_for(Duration::from_millis(100))),
        );
        let (figures, _, terminal) = run(&mut app, keys, &mut events).await;
        let typed = format!("{}z", "a".repeat(50));
        assert_eq!(app.key.typed(), Some(typed.clone().into_bytes()));
        // 51 keys: the first tick, one frame at the gap's end for the 50,
        // one for the 'z'.
        assert!(figures.frames() <= 3, "{} frames", figures.frames());
        let (key_frames, longest_wait_us) = figures.key_frames();
        assert!(key_frames >= 2, "{key_frames} frames showed keys");
        assert!(
            longest_wait_us <= KEY_FRAME_GAP.as_micros() as u64,
            "a key waited {longest_wait_us} us for its frame"
        );
        let screen = format!("{:?}", terminal.backend().buffer());
        assert!(screen.contains(&typed), "the last frame shows every key");
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_after_a_quiet_spell_is_drawn_at_once_not_at_the_next_tick() {
        let mut app = App::new("demo", Settings::default());
        let (_tx, mut events) = unbounded_channel();
        // 40 ms is past the key gap and between two ticks (33 and 66 ms).
        let keys: Keys = Box::pin(
            stream::once(async {
                sleep(Duration::from_millis(40)).await;
                char_key('k')
            })
            .chain(quiet_for(Duration::from_millis(100))),
        );
        let (figures, _, _) = run(&mut app, keys, &mut events).await;
        assert_eq!(figures.key_frames(), (1, 0), "drawn in the same instant");
    }
}

/// The rule editor through `update` alone: reading and writing the file are
/// effects the caller performs, and a write that fails keeps the editor open
/// with the reason and the text.
#[test]
fn the_rule_editor_asks_for_its_file_and_a_failed_write_keeps_the_editor() {
    use kprod::ui::action::Action;
    use kprod::ui::app::{update, Effect, Msg, Popup};
    use std::time::Instant;

    let mut settings = Settings::default();
    settings
        .set("partitioner.rules", "/nowhere/rules.txt")
        .unwrap();
    let mut app = App::new("demo", settings);
    let now = Instant::now();
    let effects = update(&mut app, Msg::Action(Action::EditRules), now);
    let [Effect::ReadFile { path }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(path.to_str(), Some("/nowhere/rules.txt"));
    assert!(app.popup.is_none(), "nothing opens before the file is read");

    let text = "key starts-with VIP- -> 5\n";
    let read = Msg::FileRead {
        path: path.clone(),
        result: Ok(text.into()),
    };
    assert!(update(&mut app, read, now).is_empty());
    let effects = update(&mut app, Msg::Action(Action::SaveRules), now);
    let [Effect::WriteFile {
        path,
        text: written,
    }] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(written, text);

    let denied = Msg::FileWritten {
        path: path.clone(),
        result: Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
    };
    assert!(update(&mut app, denied, now).is_empty(), "nothing applied");
    let Some(Popup::Rules { error, editor, .. }) = &app.popup else {
        panic!("the editor closed");
    };
    let error = error.as_deref().unwrap_or("");
    assert!(
        error.starts_with("not saved: cannot write /nowhere/rules.txt"),
        "{error}"
    );
    assert_eq!(editor.lines().join("\n") + "\n", text);
    assert_eq!(app.pending.get("partitioner"), Some("java_default"));
}

/// The settings pane says where the selected value came from: the command
/// line's layers as main.rs records them, and the pane's own edits.
#[test]
fn the_settings_pane_says_where_each_value_came_from() {
    let cli =
        <kprod::cli::Cli as clap::Parser>::try_parse_from(["kprod", "-X", "linger.ms=25"]).unwrap();
    let (settings, origins) = cli.common.layered(None).unwrap();
    let mut app = App::new("demo", settings);
    app.origins = origins;
    let theme = Theme::built_in();
    let footer = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| view::draw(f, app, &theme)).unwrap();
        format!("{:?}", terminal.backend().buffer())
    };
    let row = app
        .setting_names()
        .iter()
        .position(|n| n == "linger.ms")
        .unwrap();
    app.setting_row = row;
    assert!(footer(&app).contains("set by -X"), "{}", footer(&app));
    app.pending.set("linger.ms", "30").unwrap();
    let screen = footer(&app);
    assert!(screen.contains("· changed"), "{screen}");
    let _ = app.update(kprod::ui::action::Action::Apply);
    assert_eq!(app.origins["linger.ms"], "the settings pane");
}

/// A burst inside a transaction, with a second topic added in the topic
/// picker (Space): every record goes to both topics, and the counters, the
/// burst's bar, the transaction and its read-back count them all (the chart
/// its own topic's).
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_in_a_transaction_goes_to_every_topic_picked() {
    let mut settings = Settings::default();
    settings.set("transactional.id", "ui-burst-two").unwrap();
    let mut c = Console::start_with(120, 40, settings).await;
    if c.app.txn.ready.is_none() {
        c.pump_until(|e| matches!(e, Event::TxnReady { .. })).await;
    }
    assert!(c.app.txn.ready.is_some(), "init_transactions failed");
    c.engine.send(kprod::engine::Command::CreateTopic(
        kprod::engine::NewTopic {
            name: "order".into(),
            partitions: 2,
            replication: 1,
            min_insync_replicas: None,
        },
    ));
    c.pump_until(|e| matches!(e, Event::Topics(c) if c.topics.iter().any(|t| t.name == "order")))
        .await;
    c.ctrl('t');
    for _ in 0..4 {
        let on_order = match &c.app.popup {
            Some(Popup::Topics { selected }) => c
                .app
                .topics
                .as_ref()
                .and_then(|ts| ts.get(*selected))
                .is_some_and(|t| t.name == "order"),
            _ => panic!("the topic picker is not open"),
        };
        if on_order {
            break;
        }
        c.press(KeyCode::Down);
    }
    c.press(KeyCode::Char(' '));
    c.press(KeyCode::Esc);
    assert_eq!(c.app.also, ["order"]);
    c.press(KeyCode::F(5));
    c.pump_until(|e| matches!(e, Event::Transaction(t) if t.number == 1))
        .await;
    c.type_text("pay-{seq}");
    c.burst("5", 10).await;
    let screen = c.screen();
    assert!(!screen.contains("goes to 'demo' only"), "{screen}");
    assert!(
        screen.contains("burst done: 10 of 10"),
        "the burst counts both topics: {screen}"
    );
    assert_eq!(c.app.totals.acked, 10);
    // The chart is the panes' topic's: its five; order's are in the totals.
    assert_eq!(c.app.chart.iter().sum::<u64>(), 5);
    assert_eq!(c.app.txn.records, 10);
    c.press(KeyCode::F(6));
    c.pump_until(|e| {
        matches!(e, Event::Transaction(t) if t.state == kprod::engine::event::TxnState::Committed)
    })
    .await;
    // What the app asks of the engine once a transaction ends (Console
    // feeds events only, not the effects they give).
    c.engine.send(kprod::engine::Command::ReadTransactions);
    c.pump_until(|e| matches!(e, Event::TxnReadBack(_))).await;
    let report = c.app.txn.report.as_ref().expect("a read-back");
    assert_eq!(report.totals().0, 10, "{report:?}");
    assert_eq!(report.read_committed, 10, "{report:?}");
    assert!(
        c.app
            .log
            .lines
            .iter()
            .any(|l| l.text.contains("T1 committed: 10 records to demo, order")),
        "the log's transaction line"
    );
}

/// Headers typed one a line: the box grows with them, up to where the
/// value keeps its rows, and Ctrl-U empties it again.
#[tokio::test]
async fn the_headers_box_grows_with_its_lines_and_ctrl_u_clears_it() {
    let mut c = Console::start(120, 40).await;
    c.press(KeyCode::Tab);
    c.press(KeyCode::Tab);
    assert_eq!(c.app.focus, Focus::Headers);
    let names = [
        "trace: abc",
        "tenant: eu",
        "source: qa",
        "flag",
        "last: one",
    ];
    for (i, h) in names.iter().enumerate() {
        if i > 0 {
            c.press(KeyCode::Enter);
        }
        c.type_text(h);
    }
    let screen = c.screen();
    for h in names {
        assert!(screen.contains(&format!("│{h} ")), "{h} hidden:\n{screen}");
    }
    assert!(screen.contains("Headers 5"), "{screen}");
    c.ctrl('u');
    assert!(c.screen().contains("Headers 0"));
    assert!(c.app.headers.is_empty());
}

/// Concept 22 in the settings pane: `D` holds the settings against the
/// defaults of Java 3.x, then 2.8 (acks=1, no idempotence, linger.ms 0),
/// marking each value that differs and counting them in the title; `=`
/// sets them all, `a` applies them, and the producer runs with them: the
/// record sent is acked. `d` resets one row to the chosen defaults.
#[tokio::test(flavor = "multi_thread")]
async fn d_holds_the_settings_against_java_28s_defaults_and_equals_sets_them() {
    let mut c = Console::start(120, 40).await;
    for _ in 0..5 {
        c.press(KeyCode::Tab);
    }
    assert_eq!(c.app.focus, Focus::Settings);
    assert!(c.screen().contains("• 0 vs Java 4.x"), "{}", c.screen());
    c.press(KeyCode::Char('D'));
    c.press(KeyCode::Char('D'));
    let screen = c.screen();
    assert!(screen.contains("• 3 vs Java 2.8"), "{screen}");
    for row in ["•acks", "•linger.ms", "•enable.idempotence"] {
        assert!(screen.contains(row), "{row}:\n{screen}");
    }
    assert!(screen.contains("  batch.size"), "{screen}");
    assert!(screen.contains("Java 2.8 default 1"), "{screen}");
    c.press(KeyCode::Char('='));
    let screen = c.screen();
    assert!(screen.contains("• 0 vs Java 2.8"), "{screen}");
    assert!(screen.contains("* not applied"), "{screen}");
    c.press(KeyCode::Char('a'));
    c.pump_until(|e| matches!(e, Event::Applied { .. })).await;
    assert_eq!(c.app.applied.get("acks"), Some("1"));
    assert_eq!(c.app.applied.get("enable.idempotence"), Some("false"));
    assert_eq!(c.app.applied.get("linger.ms"), Some("0"));
    c.ctrl('s');
    c.pump_until(|e| matches!(e, Event::Acked(_))).await;
    // Back to today's defaults: acks (the first row) reset with d is all.
    c.press(KeyCode::Char('D'));
    c.press(KeyCode::Char('D'));
    assert!(c.screen().contains("• 3 vs Java 4.x"), "{}", c.screen());
    c.press(KeyCode::Char('d'));
    assert_eq!(c.app.pending.get("acks"), Some("all"));
    assert!(c.screen().contains("• 2 vs Java 4.x"), "{}", c.screen());
}

/// The fault prompt names the brokers of the cluster in use, as it
/// reported them, and how faults reach it: the embedded cluster makes them
/// itself, a real one through kprod's proxy, or not at all without it.
#[test]
fn the_fault_prompt_lists_the_brokers_of_the_cluster_in_use() {
    use kprod::engine::ClusterInfo;
    let theme = Theme::built_in();
    let prompt = |embedded: bool, proxy: Option<&str>, brokers: Vec<i32>| {
        let mut app = App::new("demo", Settings::default());
        app.on_event(Event::Connected {
            bootstrap: "kafka-1:9092".into(),
            embedded,
            proxy: proxy.map(str::to_string),
            verify: true,
        });
        app.on_event(Event::Topics(ClusterInfo {
            brokers,
            topics: Vec::new(),
        }));
        app.on_key(KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL));
        let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
        terminal.draw(|f| view::draw(f, &app, &theme)).unwrap();
        // The popup's text, its rows joined as one paragraph.
        let buffer = terminal.backend().buffer();
        let row = |y: u16| -> Vec<&str> {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect()
        };
        let (top, left) = (0..buffer.area.height)
            .find_map(|y| {
                let cells = row(y);
                (0..cells.len().saturating_sub(6))
                    .find(|&x| cells[x..x + 7].concat() == "┌ Fault")
                    .map(|x| (y, x))
            })
            .expect("the fault prompt is open");
        (top + 1..buffer.area.height)
            .map(|y| row(y)[left + 1..].concat())
            .take_while(|r| !r.starts_with('─'))
            .map(|r| r.split('│').next().unwrap_or_default().trim().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let embedded = prompt(true, None, vec![1, 2, 3]);
    assert!(
        embedded.contains("Brokers 1, 2, 3 of the embedded cluster."),
        "{embedded}"
    );
    let proxied = prompt(false, Some("127.0.0.1:4000"), vec![4, 7]);
    assert!(
        proxied.contains("Brokers 4, 7 of kafka-1:9092, through kprod's proxy."),
        "{proxied}"
    );
    let direct = prompt(false, None, vec![1]);
    assert!(
        direct.contains("Brokers 1 of kafka-1:9092: faults there need kprod's proxy"),
        "{direct}"
    );
}

/// The transactions' and the fatal error's keys are looked up after the
/// global ones and those of the focused pane: a key bound there as well
/// would never reach them (F5 for zoom once took the transactions' begin).
#[test]
fn no_key_shadows_the_transactions_or_the_fatal_errors_keys() {
    use kprod::ui::keymap::{Scope, BINDINGS};
    let key = |b: &kprod::ui::keymap::Binding| (b.code, b.mods - KeyModifiers::SHIFT);
    let late = [Scope::Fatal, Scope::Transactional];
    let early = [
        Scope::Nullable,
        Scope::Settings,
        Scope::Log,
        Scope::Chart,
        Scope::NotTyping,
        Scope::Global,
    ];
    for l in BINDINGS.iter().filter(|b| late.contains(&b.scope)) {
        for other in BINDINGS.iter().filter(|b| !std::ptr::eq(*b, l)) {
            let shadows = early.contains(&other.scope)
                || (late.contains(&other.scope) && other.scope != l.scope);
            assert!(
                !(shadows && key(other) == key(l)),
                "{:?} '{}' hides {:?} '{}'",
                other.scope,
                other.help,
                l.scope,
                l.help
            );
        }
    }
}

/// An ack's log line ends with the record's key and value where the row
/// has room, with the key alone where only it fits, and without either
/// where they would wrap the line.
#[test]
fn an_acks_line_shows_the_key_and_value_where_they_fit() {
    use kprod::ui::app::LogLine;
    let line = LogLine {
        status: kprod::ui::app::Status::Acked,
        text: "#7 acked p3 offset 2 4.0ms".into(),
        record: Some(("order-7".into(), "{\"qty\": 3}".into())),
    };
    assert_eq!(
        line.shown(80),
        "#7 acked p3 offset 2 4.0ms  key order-7  value {\"qty\": 3}"
    );
    assert_eq!(line.shown(45), "#7 acked p3 offset 2 4.0ms  key order-7");
    assert_eq!(line.shown(30), "#7 acked p3 offset 2 4.0ms");
    assert_eq!(
        kprod::ui::app::short(Some(b"line one\nline two, and a long tail"), 12),
        "line one lin…"
    );
    assert_eq!(kprod::ui::app::short(Some(&[0, 1, 2]), 12), "3 B");
}

/// A fault can name a broker by its role: `down demo/3` takes down the
/// leader of demo's partition 3, as the cluster last reported it, and the
/// log says which broker that was; a partition the topic does not have is
/// refused in the prompt with the ones it has.
#[tokio::test(flavor = "multi_thread")]
async fn a_fault_names_a_broker_as_a_partitions_leader() {
    let mut c = Console::start(120, 40).await;
    let leader = c
        .app
        .topics
        .as_ref()
        .and_then(|ts| ts.iter().find(|t| t.name == "demo"))
        .map(|t| t.layout[3].leader)
        .unwrap();
    c.ctrl('f');
    c.type_text("down demo/9");
    let screen = c.screen();
    assert!(screen.contains("demo has partitions 0 to 5"), "{screen}");
    for _ in 0.."demo/9".len() {
        c.press(KeyCode::Backspace);
    }
    c.type_text("demo/3");
    c.press(KeyCode::Enter);
    assert!(c.app.popup.is_none(), "{}", c.screen());
    let told = format!("demo/3's leader is broker {leader}");
    assert!(
        c.app.log.lines.iter().any(|l| l.text == told),
        "{told}: {}",
        c.screen()
    );
    let down = format!("broker {leader} down");
    c.pump_until(|e| matches!(e, Event::Notice { text, .. } if text.contains(&down)))
        .await;
}
