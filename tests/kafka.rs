//! kprod against real Apache Kafka (scripts/kafka.sh), and the same checks on
//! the embedded cluster where it can be faithful: nothing acked is lost,
//! bytes round-trip exactly, keyed records land where the Java client puts
//! them, acks and the ISR behave as on a real cluster, and a broker restart
//! loses nothing.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::console::Console;
use common::kafka::{java_read_back, one_at_a_time, Cluster, Read};
use common::readback::{read_all, Stored};
use kprod::engine::record::{Draft, Header};
use kprod::engine::settings::Settings;
use kprod::engine::verify::Summary;
use kprod::engine::{Ack, Command, Engine, EngineConfig, Event, NewTopic};
use tokio::sync::mpsc::UnboundedReceiver;

/// An engine on `bootstrap` (or the embedded cluster), and the bootstrap
/// address it is connected to.
async fn engine(
    bootstrap: Option<&str>,
    topic: &str,
    settings: Settings,
) -> (Engine, UnboundedReceiver<Event>, String) {
    engine_via(bootstrap, false, topic, settings).await
}

/// As `engine`, through kprod's proxy when `proxy` is set.
async fn engine_via(
    bootstrap: Option<&str>,
    proxy: bool,
    topic: &str,
    settings: Settings,
) -> (Engine, UnboundedReceiver<Event>, String) {
    let (engine, mut rx) = Engine::start(EngineConfig {
        bootstrap: bootstrap.map(str::to_string),
        topic: topic.into(),
        settings,
        verify: true,
        proxy,
        records: kprod::engine::Told::Payloads,
    });
    let first = common::events_until(&mut rx, |e| matches!(e, Event::Connected { .. })).await;
    let Some(Event::Connected {
        bootstrap,
        proxy: through,
        ..
    }) = first.last()
    else {
        unreachable!()
    };
    assert_eq!(through.is_some(), proxy, "{first:?}");
    (engine, rx, bootstrap.clone())
}

/// Creates a topic on a real cluster and waits until it is there.
async fn create(engine: &Engine, rx: &mut UnboundedReceiver<Event>, topic: NewTopic) {
    let name = topic.name.clone();
    engine.send(Command::CreateTopic(topic));
    common::events_until(rx, |e| match e {
        Event::Notice { text, .. } => {
            assert!(!text.contains("not created"), "{text}");
            false
        }
        Event::Topics(c) => c
            .topics
            .iter()
            .any(|t| t.name == name && t.layout.iter().all(|p| p.leader >= 0)),
        _ => false,
    })
    .await;
}

fn topic(name: &str, partitions: i32, replication: i32, min_isr: Option<i32>) -> NewTopic {
    NewTopic {
        name: name.into(),
        partitions,
        replication,
        min_insync_replicas: min_isr,
    }
}

fn settings(pairs: &[&str]) -> Settings {
    let mut s = Settings::default();
    for p in pairs {
        s.set_pair(p).unwrap();
    }
    s
}

/// Acks, failures (with their error names) and everything else seen until
/// `n` records were reported.
async fn reports(rx: &mut UnboundedReceiver<Event>, n: usize) -> (Vec<Ack>, Vec<String>) {
    let mut acks = Vec::new();
    let mut failures = Vec::new();
    for e in common::until_reported(rx, n).await {
        match e {
            Event::Acked(a) => acks.push(a),
            Event::Failed { code, .. } => failures.push(code),
            _ => {}
        }
    }
    (acks, failures)
}

async fn verify(engine: &Engine, rx: &mut UnboundedReceiver<Event>) -> Summary {
    engine.send(Command::Verify);
    let events =
        common::events_until(rx, |e| matches!(e, Event::Verification(s) if s.complete)).await;
    match events.last() {
        Some(Event::Verification(s)) => s.clone(),
        _ => unreachable!(),
    }
}

/// The record number `i` of the loss test: every kind of key, value and
/// header a user can compose, binary included.
fn varied(topic: &str, i: u64) -> Draft {
    let binary: Vec<u8> = (0..=255u8)
        .cycle()
        .skip(i as usize % 256)
        .take(40)
        .collect();
    Draft {
        topic: topic.into(),
        key: match i % 4 {
            0 => None,
            1 => Some(Vec::new()),
            _ => Some(format!("key-{}", i % 50).into_bytes()),
        },
        value: match i % 5 {
            0 => None,
            1 => Some(Vec::new()),
            2 => Some(binary.clone()),
            _ => Some(format!("value {i} ✓").into_bytes()),
        },
        headers: if i.is_multiple_of(3) {
            vec![
                Header {
                    name: "trace".into(),
                    value: Some(b"abc".to_vec()),
                },
                Header {
                    name: "trace".into(),
                    value: Some(binary),
                },
                Header {
                    name: "nothing".into(),
                    value: None,
                },
                Header {
                    name: "empty".into(),
                    value: Some(Vec::new()),
                },
            ]
        } else {
            Vec::new()
        },
        partition: None,
        timestamp: i.is_multiple_of(2).then_some(1_700_000_000_000 + i as i64),
        ..Default::default()
    }
}

/// `n` varied records: every one acked or failed, every acked one read back
/// once, at its reported place, byte for byte (read from the cluster
/// itself, not through the proxy when the producer used it).
async fn no_silent_loss(bootstrap: Option<&str>, proxy: bool, name: &str, n: u64) {
    let (engine, mut rx, servers) = engine_via(bootstrap, proxy, name, Settings::default()).await;
    if bootstrap.is_some() {
        create(&engine, &mut rx, topic(name, 6, 3, Some(2))).await;
    }
    let drafts: Vec<Draft> = (0..n).map(|i| varied(name, i)).collect();
    for d in &drafts {
        engine.send(Command::Send(d.clone()));
    }
    let (acks, failures) = reports(&mut rx, n as usize).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(acks.len() as u64, n);

    let summary = verify(&engine, &mut rx).await;
    let t = summary.total();
    assert_eq!(
        (t.acked, t.read_back, t.missing, t.duplicated, t.misplaced),
        (n, n, 0, 0, 0),
        "{summary:?}"
    );

    let stored: HashMap<(i32, i64), Stored> = read_all(&servers, name)
        .into_iter()
        .map(|s| ((s.partition, s.offset), s))
        .collect();
    assert_eq!(
        stored.len() as u64,
        n,
        "exactly the acked records are on the log"
    );
    for ack in &acks {
        let d = &drafts[ack.id as usize];
        let s = stored
            .get(&(ack.partition, ack.offset.expect("acks=all has offsets")))
            .unwrap_or_else(|| {
                panic!(
                    "#{} not at p{} offset {:?}",
                    ack.id, ack.partition, ack.offset
                )
            });
        assert_eq!(s.key, d.key, "#{} key", ack.id);
        assert_eq!(s.value, d.value, "#{} value", ack.id);
        let headers: Vec<(String, Option<Vec<u8>>)> = s
            .headers
            .iter()
            .filter(|(k, _)| k != "kprod.id")
            .cloned()
            .collect();
        let sent: Vec<(String, Option<Vec<u8>>)> = d
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        assert_eq!(headers, sent, "#{} headers", ack.id);
        assert_eq!(s.timestamp, Some(ack.created), "#{} timestamp", ack.id);
        if let Some(ts) = d.timestamp {
            assert_eq!(ack.created, ts, "an explicit timestamp is kept");
        }
    }
    engine.send(Command::Shutdown);
    let end = common::events_until(&mut rx, |e| matches!(e, Event::ShutdownComplete { .. })).await;
    let Some(Event::ShutdownComplete {
        sent,
        acked,
        failed,
    }) = end.last()
    else {
        unreachable!()
    };
    assert_eq!((*sent, *acked + *failed), (n, n));
}

/// Keyed records land on the partition Kafka's own Java partitioner picks.
async fn java_partitioning(bootstrap: Option<&str>) {
    let name = "kprod-keys";
    let (engine, mut rx, _) = engine(bootstrap, name, Settings::default()).await;
    if bootstrap.is_some() {
        create(&engine, &mut rx, topic(name, 6, 3, None)).await;
    }
    let keys: Vec<String> = (0..10_000).map(|i| format!("customer-{i}")).collect();
    for k in &keys {
        engine.send(Command::Send(Draft {
            topic: name.into(),
            key: Some(k.clone().into_bytes()),
            value: Some(b"v".to_vec()),
            ..Default::default()
        }));
    }
    let (acks, failures) = reports(&mut rx, keys.len()).await;
    assert!(failures.is_empty(), "{failures:?}");
    let mut ours = vec![0; keys.len()];
    for a in &acks {
        ours[a.id as usize] = a.partition;
    }
    assert_eq!(ours, java_partitions(&keys, 6));
}

/// Partitions Kafka's Java producer picks for `keys` (tests/java).
fn java_partitions(keys: &[String], partitions: i32) -> Vec<i32> {
    use std::io::Write;
    let libs = Cluster::libs();
    let mut child = std::process::Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", libs.display()))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/java/JavaPartitions.java"
        ))
        .arg(partitions.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("java runs");
    let input = keys.join("\n") + "\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_no_silent_loss_and_bytes_round_trip() {
    let Some(cluster) = Cluster::shared("real_kafka_no_silent_loss") else {
        return;
    };
    no_silent_loss(Some(&cluster.bootstrap), false, "kprod-loss", 10_000).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_no_silent_loss_and_bytes_round_trip() {
    no_silent_loss(None, false, "kprod-loss", 10_000).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_passes_100k_records_without_changing_a_byte() {
    let Some(cluster) = Cluster::shared("proxy_pass_through") else {
        return;
    };
    no_silent_loss(Some(&cluster.bootstrap), true, "kprod-proxy-pass", 100_000).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_keyed_records_land_where_the_java_client_puts_them() {
    let _turn = one_at_a_time().await;
    let Some(cluster) = Cluster::shared("real_kafka_keyed_records") else {
        return;
    };
    java_partitioning(Some(&cluster.bootstrap)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_keyed_records_land_where_the_java_client_puts_them() {
    let _turn = one_at_a_time().await;
    // The Java side needs the Kafka jars even when the cluster is embedded.
    if Cluster::shared("embedded_keyed_records").is_none() {
        return;
    }
    java_partitioning(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn acks_all_fails_when_the_isr_shrinks_below_min_insync_and_acks_1_goes_on() {
    let _turn = one_at_a_time().await;
    let Some(cluster) = Cluster::start("acks_and_isr", 3) else {
        return;
    };
    let name = "kprod-isr";
    // No retries: the broker's answer is the error the user sees.
    let strict = settings(&["acks=all", "enable.idempotence=false", "retries=0"]);
    let (engine, mut rx, _) = engine(Some(&cluster.bootstrap), name, strict.clone()).await;
    create(&engine, &mut rx, topic(name, 3, 3, Some(2))).await;
    let send = |n: u64| {
        engine.send(Command::Burst {
            draft: Draft {
                topic: name.into(),
                value: Some(b"x {seq}".to_vec()),
                ..Default::default()
            },
            count: n,
            rate: None,
            also: Vec::new(),
        })
    };
    send(30);
    let (acks, failures) = reports(&mut rx, 30).await;
    assert_eq!((acks.len(), failures.len()), (30, 0));

    cluster.stop_node(2);
    cluster.stop_node(3);
    // The topic view sees the ISR shrink to the one broker left.
    let mut app = kprod::ui::app::App::new(name, strict.clone());
    for e in common::events_until(&mut rx, |e| match e {
        Event::Topics(c) => c
            .topics
            .iter()
            .find(|t| t.name == name)
            .is_some_and(|t| t.layout.iter().all(|p| p.isr == [1] && p.leader == 1)),
        _ => false,
    })
    .await
    {
        app.on_event(e);
    }
    app.update(kprod::ui::action::Action::TopicPicker);
    let row = app
        .topics
        .as_ref()
        .unwrap()
        .iter()
        .position(|t| t.name == name)
        .unwrap();
    for _ in 0..row {
        app.update(kprod::ui::action::Action::Down);
    }
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    let theme = kprod::ui::theme::Theme::built_in();
    term.draw(|f| kprod::ui::view::draw(f, &app, &theme))
        .unwrap();
    let screen = format!("{:?}", term.backend().buffer());
    assert!(
        screen.contains("1,2,3         1 "),
        "replicas 1,2,3 with only 1 in sync:\n{screen}"
    );

    send(20);
    let (acks, failures) = reports(&mut rx, 20).await;
    assert!(
        acks.is_empty(),
        "acks=all must not be acked below min.insync.replicas"
    );
    assert_eq!(failures.len(), 20);
    assert!(
        failures.iter().all(|c| c == "NOT_ENOUGH_REPLICAS"),
        "{failures:?}"
    );

    let mut relaxed = strict.clone();
    relaxed.set("acks", "1").unwrap();
    engine.send(Command::Apply(relaxed));
    common::events_until(&mut rx, |e| matches!(e, Event::Applied { .. })).await;
    send(20);
    let (acks, failures) = reports(&mut rx, 20).await;
    assert_eq!(
        (acks.len(), failures.len()),
        (20, 0),
        "acks=1 goes on with the leader alone"
    );

    // Kafka 4 holds the high watermark while the ISR is below
    // min.insync.replicas: the acks=1 records are on the leader's log but no
    // consumer can read them yet. kprod calls them uncommitted, not missing.
    let summary = verify(&engine, &mut rx).await;
    let t = summary.total();
    assert_eq!(
        (t.acked, t.read_back, t.missing, t.uncommitted),
        (50, 30, 0, 20),
        "{summary:?}"
    );

    // A broker comes back, the ISR reaches min.insync.replicas, the high
    // watermark moves: everything acked is read back. None lost, none
    // reported acked that is not on the log.
    cluster.start_node(2);
    common::events_until(&mut rx, |e| match e {
        Event::Topics(c) => c
            .topics
            .iter()
            .find(|t| t.name == name)
            .is_some_and(|t| t.layout.iter().all(|p| p.isr.len() >= 2)),
        _ => false,
    })
    .await;
    let summary = verify(&engine, &mut rx).await;
    let t = summary.total();
    assert_eq!(
        (t.acked, t.read_back, t.missing, t.uncommitted),
        (50, 50, 0, 0),
        "{summary:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_restarted_mid_run_loses_nothing_acked() {
    let _turn = one_at_a_time().await;
    let Some(cluster) = Cluster::start("broker_restart", 3) else {
        return;
    };
    let name = "kprod-restart";
    let (engine, mut rx, _) = engine(Some(&cluster.bootstrap), name, Settings::default()).await;
    create(&engine, &mut rx, topic(name, 6, 3, Some(2))).await;
    let n = 50_000u64;
    engine.send(Command::Burst {
        draft: Draft {
            topic: name.into(),
            key: Some(b"k{seq}".to_vec()),
            value: Some(b"value {seq}".to_vec()),
            ..Default::default()
        },
        count: n,
        rate: None,
        also: Vec::new(),
    });
    let mut acked = 0u64;
    let mut failed = 0u64;
    let mut restarted = false;
    let mut events = Vec::new();
    while acked + failed < n {
        let batch = common::events_until(&mut rx, |e| {
            matches!(e, Event::Acked(_) | Event::Failed { .. })
        })
        .await;
        for e in &batch {
            match e {
                Event::Acked(_) => acked += 1,
                Event::Failed { .. } => failed += 1,
                _ => {}
            }
        }
        events.extend(batch);
        if !restarted && acked >= n / 5 {
            restarted = true;
            cluster.stop_node(2);
            tokio::time::sleep(Duration::from_secs(2)).await;
            cluster.start_node(2);
        }
    }
    assert!(restarted);
    let summary = verify(&engine, &mut rx).await;
    let t = summary.total();
    assert_eq!(t.acked, acked);
    assert_eq!(t.missing, 0, "{summary:?}");
    assert_eq!(t.misplaced, 0, "{summary:?}");
    assert_eq!(
        failed, 0,
        "the default delivery.timeout.ms outlasts a restart"
    );
}

#[test]
fn local_kafka_starts_a_real_cluster_for_one_run_and_stops_it() {
    if Cluster::shared("local_kafka").is_none() {
        return;
    }
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args([
            "produce",
            "--local-kafka",
            "1",
            "-t",
            "local",
            "--count",
            "20",
            "--key",
            "k{seq}",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("starting Apache Kafka (1 broker(s))"),
        "{stderr}"
    );
    let connected = stdout
        .lines()
        .find(|l| l.contains("\"connected\""))
        .unwrap();
    assert!(connected.contains("\"embedded\":false"), "{connected}");
    assert_eq!(stdout.matches("producer_send_success").count(), 20);
    assert!(stdout.contains("\"read_back\":20"), "{stdout}");
    // The brokers went with kprod.
    let left = std::process::Command::new("pgrep")
        .args(["-f", &format!("kafka.Kafka .*kprod-local-kafka-{pid}/")])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "brokers left running: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_each_codec_round_trips_and_the_java_consumer_reads_it_intact() {
    let _turn = one_at_a_time().await;
    let Some(cluster) = Cluster::shared("codecs") else {
        return;
    };
    let mut topics = Vec::new();
    let mut sent: Vec<Read> = Vec::new();
    for codec in kprod::engine::settings::CODECS {
        let name = format!("kprod-codec-{codec}");
        let s = settings(&[&format!("compression.type={codec}"), "linger.ms=20"]);
        let (engine, mut rx, _) = engine(Some(&cluster.bootstrap), &name, s).await;
        create(&engine, &mut rx, topic(&name, 3, 3, None)).await;
        engine.send(Command::Burst {
            draft: Draft {
                topic: name.clone(),
                key: Some(b"user-{seq}".to_vec()),
                value: Some(
                    br#"{"event":"page_view","user":"user-{seq}","path":"/products/{seq}","agent":"Mozilla/5.0"}"#
                        .to_vec(),
                ),
                ..Default::default()
            },
            count: 3000,
            rate: None,
            also: Vec::new(),
        });
        let (mut raw, mut wire, mut compressed) = (0, 0, 0);
        let mut n = 0;
        for e in common::until_reported(&mut rx, 3000).await {
            match e {
                Event::Acked(a) => {
                    n += 1;
                    sent.push((a.topic, a.partition, a.offset.unwrap(), a.key, a.value));
                }
                Event::Batch(b) => {
                    raw += b.record_bytes;
                    wire += b.wire_bytes;
                    compressed += u64::from(b.codec == *codec);
                    assert!(
                        b.codec == *codec || b.codec == "uncompressed",
                        "{codec}: {b:?}"
                    );
                }
                Event::Failed { code, message, .. } => panic!("{codec}: {code} {message}"),
                _ => {}
            }
        }
        assert_eq!(n, 3000);
        if *codec == "none" {
            assert!(
                wire > raw,
                "uncompressed batches carry framing: {raw} -> {wire}"
            );
        } else {
            assert!(compressed > 0, "{codec}: no batch went out compressed");
            assert!(
                wire * 2 < raw,
                "{codec}: {raw} record bytes -> {wire} on the wire"
            );
        }
        engine.send(Command::Shutdown);
        topics.push(name);
    }
    let mut read = java_read_back(&cluster.bootstrap, &topics, None);
    read.sort();
    sent.sort();
    assert_eq!(read.len(), sent.len());
    assert!(
        read == sent,
        "the Java consumer read other bytes than kprod sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn real_kafka_sticky_makes_fewer_larger_batches_than_round_robin() {
    let _turn = one_at_a_time().await;
    let Some(cluster) = Cluster::shared("sticky") else {
        return;
    };
    let name = "kprod-sticky";
    let (engine, mut rx, _) = engine(Some(&cluster.bootstrap), name, Settings::default()).await;
    create(&engine, &mut rx, topic(name, 6, 3, None)).await;
    // Keyless records at 1,000 a second with linger.ms=50: about 50 records
    // a linger window, spread over six partitions or kept on one. The test
    // takes its turn with the JVM-heavy tests: a starved producer falls
    // behind, and then every partition's batch fills whatever the strategy.
    let plan = kprod::engine::compare::parse(
        &settings(&["linger.ms=50"]),
        "1000@1000 partitioner=round_robin vs partitioner=uniform_sticky vs current",
    )
    .unwrap();
    engine.send(Command::Compare {
        draft: Draft {
            topic: name.into(),
            key: None,
            value: Some(b"reading {seq} from a sensor".to_vec()),
            ..Default::default()
        },
        plan,
    });
    // Batches as librdkafka's statistics count them.
    let outcomes = common::compared(&mut rx).await;
    let [rr, sticky, java] = &outcomes[..] else {
        panic!("{outcomes:?}")
    };
    for o in [rr, sticky, java] {
        assert_eq!(
            (o.acked, o.failed, o.sent.records),
            (1000, 0, 1000),
            "{o:?}"
        );
    }
    let (min, max) = (
        rr.partitions.iter().min().unwrap(),
        rr.partitions.iter().max().unwrap(),
    );
    assert!(
        rr.partitions.len() == 6 && max - min <= 1,
        "round robin: {:?}",
        rr.partitions
    );
    // The default (the Java client's) is sticky for keyless records too.
    common::fewer_larger_batches(sticky, rr);
    common::fewer_larger_batches(java, rr);
}

/// `kprod produce -t TOPIC ARGS` against the shared cluster, which must end
/// well: its events, and its notices one a line.
fn produce(cluster: &Cluster, topic: &str, args: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kprod"))
        .arg("produce")
        .args(["-b", &cluster.bootstrap, "-t", topic])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let said = notices(&events);
    assert_eq!(out.status.code(), Some(0), "{said}");
    (events, said)
}

fn named<'a>(events: &'a [serde_json::Value], name: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["name"] == name).collect()
}

fn notices(events: &[serde_json::Value]) -> String {
    named(events, "notice")
        .iter()
        .map(|n| n["message"].as_str().unwrap_or("").to_string() + "\n")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_acks_through_the_proxy_duplicate_records_unless_the_producer_is_idempotent() {
    let Some(cluster) = Cluster::shared("proxy_lost_acks") else {
        return;
    };
    let mut acked = Vec::new();
    for idempotence in [false, true] {
        let name = format!("kprod-lost-acks-{idempotence}");
        create_via_engine(&cluster.bootstrap, &name, 3).await;
        let idem = format!("enable.idempotence={idempotence}");
        let (events, said) = produce(
            cluster,
            &name,
            &[
                "--count",
                "1000",
                "--fault",
                "lose-acks 2",
                "-X",
                "acks=all",
                "-X",
                &idem,
                // The producer gives up on a response after 2 s.
                "-X",
                "request.timeout.ms=2000",
            ],
        );
        assert!(
            said.contains("fault: every broker loses the acks"),
            "{said}"
        );
        // Two for each broker that leads a partition of the topic.
        assert!(
            said.matches("its response will be dropped").count() >= 2,
            "{said}"
        );
        let timed_out = named(&events, "producer_request")
            .into_iter()
            .filter(|r| r["outcome"] == "timed_out")
            .count();
        assert!(timed_out >= 2, "the lost acks time out: {said}");
        let verdict = named(&events, "verification_summary");
        let v = verdict.last().expect("verified");
        let dup = v["duplicated"].as_u64().unwrap();
        assert_eq!(v["acked"], 1000);
        assert_eq!(v["missing"], 0);
        // Read back by a consumer of the test's own.
        let stored = read_all(&cluster.bootstrap, &name).len() as u64;
        assert_eq!(stored, 1000 + dup, "{v}");
        if idempotence {
            assert_eq!(dup, 0, "the broker drops the retried batches: {v}");
        } else {
            assert!(dup > 0, "the retried batches were written twice: {v}");
        }
        acked.push(v["acked"].clone());
    }
    assert_eq!(acked[0], acked[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_request_among_five_in_flight_reorders_records_unless_idempotent() {
    let Some(cluster) = Cluster::shared("proxy_reordering") else {
        return;
    };
    for idempotence in [false, true] {
        let name = format!("kprod-reorder-{idempotence}");
        create_via_engine(&cluster.bootstrap, &name, 1).await;
        let idem = format!("enable.idempotence={idempotence}");
        let (events, said) = produce(
            cluster,
            &name,
            &[
                "--count",
                "20000",
                "--fault",
                "@2000 fail 1 NOT_ENOUGH_REPLICAS",
                "-X",
                "acks=all",
                "-X",
                &idem,
                "-X",
                "max.in.flight.requests.per.connection=5",
                // Small batches: many requests in flight at once.
                "-X",
                "batch.size=4000",
                "-X",
                "retry.backoff.ms=300",
            ],
        );
        assert!(
            said.contains("with error 19 in the broker's place"),
            "{said}"
        );
        let requests = named(&events, "producer_request");
        let failed: Vec<_> = requests
            .iter()
            .filter(|r| {
                r["outcome"] == "failed"
                    && r["error"]
                        .as_str()
                        .is_some_and(|e| e.contains("Not enough in-sync replicas"))
            })
            .collect();
        assert_eq!(failed.len(), 1, "{said}");
        // The retry of the same records waits retry.backoff.ms (librdkafka
        // takes up to 20% off for jitter).
        let retry = requests
            .iter()
            .find(|r| {
                r["retry"] == true
                    && r["partition"] == failed[0]["partition"]
                    && r["first_msgid"] == failed[0]["first_msgid"]
                    && r["sent_ms"].as_i64() >= failed[0]["sent_ms"].as_i64()
            })
            .unwrap_or_else(|| panic!("no retry of {}", failed[0]));
        let failed_at =
            failed[0]["sent_ms"].as_f64().unwrap() + failed[0]["rtt_ms"].as_f64().unwrap_or(0.0);
        let waited = retry["sent_ms"].as_f64().unwrap() - failed_at;
        assert!(waited >= 0.75 * 300.0, "retried after {waited} ms");
        let verdict = named(&events, "verification_summary");
        let v = verdict.last().expect("verified");
        assert_eq!(
            (v["acked"].as_u64(), v["missing"].as_u64()),
            (Some(20000), Some(0)),
            "{v}"
        );
        let reordered = v["reordered"].as_u64().unwrap();
        if idempotence {
            assert_eq!(reordered, 0, "order kept: {v}");
        } else {
            assert!(reordered > 0, "later batches landed before the retry: {v}");
        }
    }
}

/// Creates `name` with `partitions` partitions on a real cluster.
async fn create_via_engine(bootstrap: &str, name: &str, partitions: i32) {
    let (engine, mut rx, _) = engine(Some(bootstrap), name, Settings::default()).await;
    create(&engine, &mut rx, topic(name, partitions, 3, None)).await;
    engine.send(Command::Shutdown);
    common::events_until(&mut rx, |e| matches!(e, Event::ShutdownComplete { .. })).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn through_the_proxy_a_slowed_broker_answers_late_and_a_downed_one_loses_nothing() {
    let Some(cluster) = Cluster::shared("proxy_down_and_slow") else {
        return;
    };
    let name = "kprod-proxy-down";
    create_via_engine(&cluster.bootstrap, name, 6).await;
    let (events, said) = produce(
        cluster,
        name,
        &[
            "--count",
            "3000",
            "--rate",
            "1000",
            // Keyed, so every broker leads partitions that records go to
            // all the time (keyless ones stick to one for a while).
            "--key",
            "reading-{seq}",
            "--fault",
            "slow 2 200",
            "--fault",
            "@500 down 1",
            "--fault",
            // Counted in records, as the start may be slow: about 1.5 s.
            "@1500 up 1",
            "-X",
            "acks=all",
        ],
    );
    for fault in [
        "fault: broker 2 answers 200 ms late",
        "fault: broker 1 down (kprod's proxy cuts its connections",
        "fault: broker 1 up",
    ] {
        assert!(said.contains(fault), "{fault}: {said}");
    }
    let requests = named(&events, "producer_request");
    let answered = |broker: i64| {
        requests
            .iter()
            .filter(move |r| r["broker"] == broker && r["outcome"] == "delivered")
            .filter_map(|r| r["rtt_ms"].as_f64())
    };
    assert!(answered(2).count() > 0, "{said}");
    for rtt in answered(2) {
        assert!(rtt >= 200.0, "broker 2 answered in {rtt} ms");
    }
    // Records for broker 1's partitions waited for it and went out after.
    let perf = named(&events, "performance");
    let waited = perf[0]["max_latency_ms"].as_f64().unwrap();
    assert!(waited >= 1000.0, "nothing waited for broker 1: {waited} ms");
    let v = named(&events, "verification_summary");
    let v = v.last().expect("verified");
    assert_eq!(
        (v["acked"].as_u64(), v["missing"].as_u64()),
        (Some(3000), Some(0)),
        "{v}"
    );
    let end = events.last().unwrap();
    assert_eq!(end["failed"], 0, "{said}");
}

/// The leader of partition 0 of `topic`, by the cluster's metadata.
fn leader_of(bootstrap: &str, topic: &str) -> i32 {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let md = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .unwrap();
    let t = md.topics().iter().find(|t| t.name() == topic).unwrap();
    t.partitions()[0].leader()
}

#[tokio::test(flavor = "multi_thread")]
async fn through_the_proxy_a_leader_moves_mid_run_and_the_producer_follows() {
    let Some(cluster) = Cluster::shared("proxy_leader_move") else {
        return;
    };
    let name = "kprod-proxy-leader";
    create_via_engine(&cluster.bootstrap, name, 1).await;
    let before = leader_of(&cluster.bootstrap, name);
    let next = before % 3 + 1;
    let fault = format!("@300 leader {name} 0 {next}");
    let (events, said) = produce(
        cluster,
        name,
        &[
            "--count", "2000", "--rate", "1000", "--fault", &fault, "-X", "acks=all",
        ],
    );
    assert!(
        said.contains(&format!("fault: {name} [0] led by broker {next}")),
        "{said}"
    );
    assert!(said.contains("a preferred leader election held"), "{said}");
    assert_eq!(leader_of(&cluster.bootstrap, name), next);
    // Requests went to the old leader, then to the new one.
    let brokers: Vec<i64> = named(&events, "producer_request")
        .iter()
        .filter(|r| r["outcome"] == "delivered")
        .map(|r| r["broker"].as_i64().unwrap())
        .collect();
    assert_eq!(brokers.first(), Some(&(before as i64)), "{said}");
    assert_eq!(brokers.last(), Some(&(next as i64)), "{said}");
    let v = named(&events, "verification_summary");
    let v = v.last().expect("verified");
    assert_eq!(
        (
            v["acked"].as_u64(),
            v["missing"].as_u64(),
            v["reordered"].as_u64()
        ),
        (Some(2000), Some(0), Some(0)),
        "{v}"
    );

    // What cannot be done is refused with the reason, and nothing changes.
    let (engine, mut rx, _) =
        engine_via(Some(&cluster.bootstrap), true, name, Settings::default()).await;
    for (fault, reason) in [
        ("leader kprod-nosuch 0 1", "the cluster has no such topic"),
        (&format!("leader {name} 3 1") as &str, "has 1 partitions"),
        (
            "down 9",
            "the cluster has no broker 9; its brokers are 1, 2, 3",
        ),
    ] {
        engine.send(Command::Fault(kprod::engine::faults::parse(fault).unwrap()));
        common::events_until(&mut rx, |e| {
            matches!(e, Event::FaultAnswered { refused: Some(why), .. } if why.to_string().contains(reason))
        })
        .await;
    }
    assert_eq!(leader_of(&cluster.bootstrap, name), next);
    let created = topics_named(&cluster.bootstrap, "kprod-nosuch");
    assert!(!created, "asking made the topic");
}

fn topics_named(bootstrap: &str, topic: &str) -> bool {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let md = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .unwrap();
    md.topics().iter().any(|t| t.name() == topic)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_through_the_proxy_shows_lost_acks_retried_and_no_duplicate_when_idempotent() {
    let Some(cluster) = Cluster::shared("console_through_proxy") else {
        return;
    };
    let name = "kprod-console-proxy";
    create_via_engine(&cluster.bootstrap, name, 3).await;
    let settings = settings(&["request.timeout.ms=2000", "enable.idempotence=true"]);
    let (engine, rx) = Engine::start(EngineConfig {
        bootstrap: Some(cluster.bootstrap.clone()),
        topic: name.into(),
        settings: settings.clone(),
        verify: true,
        proxy: true,
        records: kprod::engine::Told::Payloads,
    });
    let mut c = Console::attach(120, 40, name, settings, engine, rx).await;
    c.fault("lose-acks 2");
    c.pump_until(|e| matches!(e, Event::Notice { text, .. } if text.starts_with("fault: every broker loses the acks")))
        .await;
    c.burst("300", 300).await;
    assert!(c.app.requests.timeouts >= 2, "lost acks time out");
    assert!(c.app.requests.retries >= 2, "and are sent again");
    c.pump_until(|e| matches!(e, Event::Verification(s) if s.total().read_back == 300))
        .await;
    let screen = c.screen();
    assert!(screen.contains("via proxy"), "{screen}");
    assert!(screen.contains("dup 0"), "{screen}");
    assert!(!screen.contains("no idempotent dedupe"), "{screen}");
    assert!(
        c.app
            .log
            .lines
            .iter()
            .any(|l| l.text.contains("its response will be dropped")),
        "the proxy says when it strikes"
    );
}

/// One request on a raw connection and its response, for the test below.
async fn call<Q, A>(conn: &mut tokio::net::TcpStream, api: i16, version: i16, request: &Q) -> A
where
    Q: kafka_protocol::protocol::Encodable,
    A: kafka_protocol::protocol::Decodable,
{
    use bytes::{BufMut, BytesMut};
    use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
    use kafka_protocol::protocol::{Decodable, Encodable};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let key = ApiKey::try_from(api).unwrap();
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    RequestHeader::default()
        .with_request_api_key(api)
        .with_request_api_version(version)
        .with_correlation_id(1)
        .encode(&mut buf, key.request_header_version(version))
        .unwrap();
    request.encode(&mut buf, version).unwrap();
    let size = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    conn.write_all(&buf).await.unwrap();
    let size = conn.read_i32().await.unwrap();
    let mut body = vec![0u8; size as usize];
    conn.read_exact(&mut body).await.unwrap();
    let mut body = bytes::Bytes::from(body);
    ResponseHeader::decode(&mut body, key.response_header_version(version)).unwrap();
    A::decode(&mut body, version).unwrap()
}

/// `lose-acks` loses acks, not refusals: a broker's NOT_LEADER_OR_FOLLOWER
/// reaches the producer, and the connection goes on. Dropping a refusal let
/// the producer send past it, the broker append the partition's next batch
/// first, and the refused batch fail for good with OUT_OF_ORDER_SEQUENCE_NUMBER
/// (docs/lost-acks.md). The ack the leader then sends is the one lost.
#[tokio::test(flavor = "multi_thread")]
async fn through_the_proxy_lose_acks_passes_a_refusal_and_drops_the_next_ack() {
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::{
        metadata_request::MetadataRequestTopic, MetadataRequest, MetadataResponse, ProduceRequest,
        ProduceResponse, TopicName,
    };
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    let Some(cluster) = Cluster::shared("lose_acks_refusal") else {
        return;
    };
    let name = "kprod-lose-acks-refusal";
    create_via_engine(&cluster.bootstrap, name, 1).await;
    let (proxy, mut rx) = common::kafka::proxy_with(&cluster.bootstrap, "lose-acks 1").await;
    let topic = TopicName(StrBytes::from_static_str(name));
    // Where the proxy says each broker is, and who leads the partition.
    let mut conn = tokio::net::TcpStream::connect(proxy.bootstrap_servers())
        .await
        .unwrap();
    let md: MetadataResponse = call(
        &mut conn,
        3,
        12,
        &MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(topic.clone()))
        ])),
    )
    .await;
    let leader = md.topics[0].partitions[0].leader_id.0;
    let at = |id: i32| {
        let b = md.brokers.iter().find(|b| b.node_id.0 == id).unwrap();
        format!("{}:{}", b.host.as_str(), b.port)
    };
    let follower = md
        .brokers
        .iter()
        .map(|b| b.node_id.0)
        .find(|id| *id != leader)
        .unwrap();
    let record = Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: -1,
        timestamp: 0,
        key: None,
        value: Some(bytes::Bytes::from_static(b"one record")),
        headers: Default::default(),
    };
    let mut records = bytes::BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut records, [&record], &options).unwrap();
    let produce = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(topic.clone())
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(records.freeze()))])]);
    // Twice to a broker that does not lead the partition: both refusals
    // arrive, so the connection did not stall behind the first.
    let mut conn = tokio::net::TcpStream::connect(at(follower)).await.unwrap();
    for _ in 0..2 {
        let answer = tokio::time::timeout(
            Duration::from_secs(30),
            call::<_, ProduceResponse>(&mut conn, 0, 9, &produce),
        )
        .await
        .expect("the refusal reaches the client: a refusal is not a lost ack");
        let code = answer.responses[0].partition_responses[0].error_code;
        assert_eq!(code, 6, "NOT_LEADER_OR_FOLLOWER from broker {follower}");
    }
    // The leader appends, and its ack is the one lost.
    let mut conn = tokio::net::TcpStream::connect(at(leader)).await.unwrap();
    let stalled = tokio::spawn(async move {
        let _: ProduceResponse = call(&mut conn, 0, 9, &produce).await;
    });
    let said = common::events_until(
        &mut rx,
        |e| matches!(e, Event::Notice { text, .. } if text.contains("appended a produce request")),
    )
    .await;
    let Some(Event::Notice { text, .. }) = said.last() else {
        panic!("no notice")
    };
    assert!(
        text.starts_with(&format!(
            "proxy: broker {leader} appended a produce request ({name}-0)"
        )),
        "{text}"
    );
    assert!(text.contains("its response will be dropped"), "{text}");
    stalled.abort();
    let stored = read_all(&cluster.bootstrap, name);
    assert_eq!(stored.len(), 1, "written once, by the leader only");
}
