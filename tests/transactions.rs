//! Transactions: a commit across two topics is seen by a read_committed
//! reader, an abort is not; `kprod produce --transaction-size 10
//! --abort-every 7` leaves exactly the committed records to read_committed
//! (kprod's verifier and Kafka's Java consumer agree); a second producer
//! with the same transactional.id fences the first (inside one kprod, and
//! as a second `kprod produce`), and a re-initialised producer commits
//! again; `kprod produce -t A,B` sends each record to both. On a real
//! broker, and on the embedded cluster where it can show the flow (its
//! fencing is an injected error).

mod common;

use common::kafka::{java_read_back, one_at_a_time, Cluster};
use kprod::engine::event::{TxnErrorKind, TxnState};
use kprod::engine::record::Draft;
use kprod::engine::settings::Settings;
use kprod::engine::verdict::{TxnEnd, TxnReport};
use kprod::engine::{Command, Engine, EngineConfig, Event, NewTopic};
use tokio::sync::mpsc::UnboundedReceiver;

fn transactional(id: &str) -> Settings {
    let mut s = Settings::default();
    s.set("transactional.id", id).unwrap();
    s
}

async fn start(
    bootstrap: Option<&str>,
    topic: &str,
    id: &str,
) -> (Engine, UnboundedReceiver<Event>) {
    let (engine, mut rx) = Engine::start(EngineConfig {
        bootstrap: bootstrap.map(str::to_string),
        topic: topic.into(),
        settings: transactional(id),
        verify: true,
        proxy: false,
        records: kprod::engine::Told::Lengths,
    });
    let seen = common::events_until(&mut rx, |e| matches!(e, Event::TxnReady { .. })).await;
    assert!(
        matches!(seen.last(), Some(Event::TxnReady { error: None, .. })),
        "{seen:?}"
    );
    (engine, rx)
}

async fn create(engine: &Engine, rx: &mut UnboundedReceiver<Event>, name: &str) {
    engine.send(Command::CreateTopic(NewTopic {
        name: name.into(),
        partitions: 1,
        replication: 1,
        min_insync_replicas: None,
    }));
    common::events_until(rx, |e| match e {
        Event::Notice { text, .. } => text.contains(&format!("'{name}'")),
        _ => false,
    })
    .await;
}

fn draft(topic: &str, value: &str) -> Draft {
    Draft {
        topic: topic.into(),
        key: None,
        value: Some(value.as_bytes().to_vec()),
        ..Default::default()
    }
}

/// Waits for transaction steps until one ends (committed, aborted, failed).
async fn ended(rx: &mut UnboundedReceiver<Event>) -> TxnState {
    let seen = common::events_until(rx, |e| {
        matches!(e, Event::Transaction(t) if matches!(t.state, TxnState::Committed | TxnState::Aborted | TxnState::Failed { .. }))
    })
    .await;
    match seen.last() {
        Some(Event::Transaction(t)) => t.state.clone(),
        _ => unreachable!(),
    }
}

/// One transaction: a payment and an order, committed or aborted.
async fn pay(
    engine: &Engine,
    rx: &mut UnboundedReceiver<Event>,
    topics: [&str; 2],
    n: u32,
    abort: bool,
) -> TxnState {
    engine.send(Command::Begin);
    engine.send(Command::Send(draft(topics[0], &format!("payment-{n}"))));
    engine.send(Command::Send(draft(topics[1], &format!("order-{n}"))));
    engine.send(if abort {
        Command::Abort
    } else {
        Command::Commit
    });
    ended(rx).await
}

async fn verify(engine: &Engine, rx: &mut UnboundedReceiver<Event>) -> TxnReport {
    engine.send(Command::Verify);
    let seen = common::events_until(rx, |e| matches!(e, Event::TxnReadBack(_))).await;
    match seen.last() {
        Some(Event::TxnReadBack(r)) => r.clone(),
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_a_commit_across_two_topics_is_read_committed_and_an_abort_is_not() {
    let Some(cluster) = Cluster::shared("transactions") else {
        return;
    };
    let _turn = one_at_a_time().await;
    let topics = ["payment-a", "order-a"];
    let (engine, mut rx) = start(Some(&cluster.bootstrap), topics[0], "kprod-test-commit").await;
    for t in topics {
        create(&engine, &mut rx, t).await;
    }
    assert_eq!(
        pay(&engine, &mut rx, topics, 1, false).await,
        TxnState::Committed
    );
    assert_eq!(
        pay(&engine, &mut rx, topics, 2, true).await,
        TxnState::Aborted
    );
    let report = verify(&engine, &mut rx).await;
    let ends: Vec<(TxnEnd, u64, u64, u64)> = report
        .transactions
        .iter()
        .map(|c| (c.end, c.committed, c.aborted, c.missing))
        .collect();
    assert_eq!(
        ends,
        [(TxnEnd::Committed, 2, 0, 0), (TxnEnd::Aborted, 0, 2, 0)]
    );
    assert!(report.as_promised(), "{report:?}");
    // Each transaction leaves a marker in each of the two partitions.
    assert_eq!(report.markers, 4, "{report:?}");
    // Kafka's own consumer agrees.
    let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
    let values = |isolation| {
        let mut v: Vec<String> = java_read_back(&cluster.bootstrap, &topics, Some(isolation))
            .into_iter()
            .filter_map(|r| r.4.map(|b| String::from_utf8(b).unwrap()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(values("read_committed"), ["order-1", "payment-1"]);
    assert_eq!(
        values("read_uncommitted"),
        ["order-1", "order-2", "payment-1", "payment-2"]
    );
    engine.send(Command::Shutdown);
}

#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_a_thousand_records_in_tens_aborting_every_seventh_leave_860_to_read_committed()
{
    let Some(cluster) = Cluster::shared("transactions") else {
        return;
    };
    let _turn = one_at_a_time().await;
    let input: String = (0..1000).map(|i| format!("r{i}\n")).collect();
    let (code, events, stderr) = common::produce(
        &[
            "-b",
            &cluster.bootstrap,
            "--topic",
            "txn-860",
            "-X",
            "transactional.id=kprod-test-860",
            "--transaction-size",
            "10",
            "--abort-every",
            "7",
            "--quiet",
        ],
        &input,
    );
    assert_eq!(code, 0, "{stderr}");
    let outcomes: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] == "transaction")
        .filter_map(|e| e["outcome"].as_str())
        .filter(|o| *o == "committed" || *o == "aborted")
        .collect();
    assert_eq!(outcomes.len(), 100);
    assert_eq!(outcomes.iter().filter(|o| **o == "aborted").count(), 14);
    let report = events
        .iter()
        .find(|e| e["name"] == "transaction_verification")
        .expect("a transaction verification");
    assert_eq!(report["read_committed"], 860, "{report}");
    assert_eq!(report["read_uncommitted"], 1000, "{report}");
    assert_eq!(report["as_promised"], true, "{report}");
    let java = java_read_back(
        &cluster.bootstrap,
        &["txn-860".to_string()],
        Some("read_committed"),
    );
    assert_eq!(java.len(), 860);
    // The 7th transaction held r60..r69: none of them is visible.
    let values: std::collections::HashSet<Vec<u8>> = java.into_iter().filter_map(|r| r.4).collect();
    assert!(!values.contains(b"r65".as_slice()));
    assert!(values.contains(b"r70".as_slice()));
}

/// Begin, a record, a second producer with the same id, commit: fenced.
/// Then the producer is rebuilt (re-initialised) and commits again.
async fn fenced_then_reinitialised(
    engine: &Engine,
    rx: &mut UnboundedReceiver<Event>,
    topic: &str,
) {
    engine.send(Command::Begin);
    engine.send(Command::Send(draft(topic, "before")));
    common::until_reported(rx, 1).await;
    engine.send(Command::Fence);
    common::events_until(
        rx,
        |e| matches!(e, Event::Notice { text, .. } if text.contains("a second producer")),
    )
    .await;
    engine.send(Command::Send(draft(topic, "after the fencing")));
    engine.send(Command::Commit);
    match ended(rx).await {
        TxnState::Failed { error, .. } => {
            assert_eq!(error.kind, TxnErrorKind::Fatal, "{error:?}");
            assert!(error.code.contains("FENCED"), "{error:?}");
        }
        other => panic!("not fenced: {other:?}"),
    }
    engine.send(Command::Rebuild);
    let seen = common::events_until(rx, |e| matches!(e, Event::TxnReady { .. })).await;
    assert!(
        matches!(seen.last(), Some(Event::TxnReady { error: None, .. })),
        "{seen:?}"
    );
    engine.send(Command::Begin);
    engine.send(Command::Send(draft(topic, "re-initialised")));
    engine.send(Command::Commit);
    assert_eq!(ended(rx).await, TxnState::Committed);
    engine.send(Command::Shutdown);
}

#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_a_second_producer_with_the_same_id_fences_the_first_and_a_reinit_commits() {
    let Some(cluster) = Cluster::shared("transactions") else {
        return;
    };
    let _turn = one_at_a_time().await;
    let (engine, mut rx) = start(Some(&cluster.bootstrap), "txn-fence", "kprod-test-fence").await;
    create(&engine, &mut rx, "txn-fence").await;
    fenced_then_reinitialised(&engine, &mut rx, "txn-fence").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_shows_the_fencing_by_an_injected_error_and_says_so() {
    let (engine, mut rx) = start(None, "payments", "kprod-embedded").await;
    fenced_then_reinitialised(&engine, &mut rx, "payments").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_commits_across_two_topics_but_shows_aborted_records_to_read_committed() {
    let (engine, mut rx) = start(None, "payment", "kprod-embedded-2").await;
    let seen = common::events_until(&mut rx, |e| matches!(e, Event::Topics(_))).await;
    drop(seen);
    create(&engine, &mut rx, "order").await;
    let topics = ["payment", "order"];
    assert_eq!(
        pay(&engine, &mut rx, topics, 1, false).await,
        TxnState::Committed
    );
    assert_eq!(
        pay(&engine, &mut rx, topics, 2, true).await,
        TxnState::Aborted
    );
    let report = verify(&engine, &mut rx).await;
    let counts: Vec<(u64, u64)> = report
        .transactions
        .iter()
        .map(|c| (c.records, c.committed))
        .collect();
    // The mock does not filter: the aborted pair is read_committed too,
    // and there are no markers. kprod says so (cluster::EMBEDDED_TXN_NOTE).
    assert_eq!(counts, [(2, 2), (2, 2)]);
    assert_eq!(report.markers, 0);
    assert!(!report.as_promised());
    engine.send(Command::Shutdown);
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_a_transaction_a_transactional_producer_refuses_the_record() {
    let (engine, mut rx) = start(None, "payments", "kprod-outside").await;
    engine.send(Command::Send(draft("payments", "no transaction")));
    let seen = common::until_reported(&mut rx, 1).await;
    let failed = seen.iter().find_map(|e| match e {
        Event::Failed { code, message, .. } => Some((code.clone(), message.clone())),
        _ => None,
    });
    let (code, message) = failed.expect("refused");
    assert_eq!(code, "STATE");
    assert!(message.contains("begin one first"), "{message}");
    engine.send(Command::Shutdown);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_init_that_times_out_says_why_beside_the_timeout() {
    let mut settings = transactional("kprod-nowhere");
    settings.set("transaction.timeout.ms", "2000").unwrap();
    // Nothing listens on port 1: the cause is a refused connection.
    let (_engine, mut rx) = Engine::start(EngineConfig {
        bootstrap: Some("127.0.0.1:1".into()),
        topic: "payments".into(),
        settings,
        verify: false,
        proxy: false,
        records: kprod::engine::Told::Lengths,
    });
    let seen = common::events_until(&mut rx, |e| matches!(e, Event::TxnReady { .. })).await;
    let Some(Event::TxnReady { error: Some(e), .. }) = seen.last() else {
        panic!("{seen:?}")
    };
    assert!(e.code.contains("TIMED_OUT"), "{e:?}");
    assert!(e.message.contains("the client's last error"), "{e:?}");
    assert!(e.message.contains("Connection refused"), "{e:?}");
}

/// `kprod produce -t A,B`: each record of a burst goes to both topics, a
/// transaction of 5 holds 5 records to each (10 in all), and the aborted
/// ones are hidden from read_committed in both topics.
#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_produce_sends_every_record_of_a_burst_to_each_topic_named() {
    let Some(cluster) = Cluster::shared("transactions") else {
        return;
    };
    let _turn = one_at_a_time().await;
    let (code, events, stderr) = common::produce(
        &[
            "-b",
            &cluster.bootstrap,
            "-t",
            "txn-two-payment,txn-two-order",
            "-X",
            "transactional.id=kprod-test-two-topics",
            "--count",
            "20",
            "--value",
            "pay-{seq}",
            "--transaction-size",
            "5",
            "--abort-every",
            "2",
            "--quiet",
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    let ends: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["name"] == "transaction")
        .filter(|e| e["outcome"] == "committed" || e["outcome"] == "aborted")
        .collect();
    assert_eq!(ends.len(), 4, "{ends:?}");
    for end in &ends {
        assert_eq!(end["records"], 10, "{end}");
        assert_eq!(
            end["topics"],
            serde_json::json!(["txn-two-order", "txn-two-payment"]),
            "{end}"
        );
    }
    let report = events
        .iter()
        .find(|e| e["name"] == "transaction_verification")
        .expect("a transaction verification");
    assert_eq!(report["read_committed"], 20, "{report}");
    assert_eq!(report["read_uncommitted"], 40, "{report}");
    assert_eq!(report["as_promised"], true, "{report}");
    let java = java_read_back(
        &cluster.bootstrap,
        &["txn-two-payment".to_string(), "txn-two-order".to_string()],
        Some("read_committed"),
    );
    // Transactions 1 and 3 committed: pay-0..4 and pay-10..14, in each topic.
    for topic in ["txn-two-payment", "txn-two-order"] {
        let mut values: Vec<String> = java
            .iter()
            .filter(|r| r.0 == topic)
            .filter_map(|r| {
                r.4.as_ref()
                    .map(|v| String::from_utf8_lossy(v).into_owned())
            })
            .collect();
        values.sort();
        let mut expected: Vec<String> = (0..5).chain(10..15).map(|i| format!("pay-{i}")).collect();
        expected.sort();
        assert_eq!(values, expected, "{topic}");
    }
}

/// Two `kprod produce` runs on one transactional.id: the first holds a
/// transaction open (one record in, its stdin still open) while the
/// second starts, initialises (which fences the first) and commits; the
/// first then reports the fence and exits 1.
#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_a_second_kprod_on_the_same_id_fences_the_first_which_says_so() {
    use std::io::{BufRead, Write};
    let Some(cluster) = Cluster::shared("transactions") else {
        return;
    };
    let _turn = one_at_a_time().await;
    let args = |topic: &'static str| {
        vec![
            "produce".to_string(),
            "-b".into(),
            cluster.bootstrap.clone(),
            "-t".into(),
            topic.into(),
            "-X".into(),
            "transactional.id=kprod-test-two-kprods".into(),
            "--transaction-size".into(),
            "1000".into(),
            "--quiet".into(),
        ]
    };
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args(args("txn-fence-kprods"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = first.stdin.take().unwrap();
    writeln!(stdin, "first-1").unwrap();
    stdin.flush().unwrap();
    let mut lines = std::io::BufReader::new(first.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // The first transaction is open with the record in it.
    loop {
        let line = lines.next().expect("the first kprod ended early").unwrap();
        let e: serde_json::Value = serde_json::from_str(&line).unwrap();
        seen.push(e.clone());
        if e["name"] == "transaction" && e["outcome"] == "begun" {
            break;
        }
    }
    let (code, second, stderr) = common::produce(
        &args("txn-fence-kprods")[1..]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "second-1\n",
    );
    assert_eq!(code, 0, "the second kprod: {stderr}");
    assert!(
        second
            .iter()
            .any(|e| e["name"] == "transaction" && e["outcome"] == "committed"),
        "{second:?}"
    );
    // The first sends one more and ends: its transaction cannot commit.
    let _ = writeln!(stdin, "first-2");
    drop(stdin);
    seen.extend(lines.map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap()));
    let status = first.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut first.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("fenced: another producer with this transactional.id"),
        "{stderr}"
    );
    let fenced = seen
        .iter()
        .find(|e| e["name"] == "transaction" && e["outcome"] == "fenced")
        .unwrap_or_else(|| panic!("no fenced transaction: {seen:?}"));
    let message = fenced["error"].to_string();
    assert!(message.contains("fenced"), "{fenced}");
    assert!(
        !seen
            .iter()
            .any(|e| e["name"] == "transaction" && e["outcome"] == "committed"),
        "{seen:?}"
    );
    // Only the second's record is there for a read_committed reader.
    let java = java_read_back(
        &cluster.bootstrap,
        &["txn-fence-kprods".to_string()],
        Some("read_committed"),
    );
    let values: Vec<Vec<u8>> = java.into_iter().filter_map(|r| r.4).collect();
    assert_eq!(values, [b"second-1".to_vec()]);
}
