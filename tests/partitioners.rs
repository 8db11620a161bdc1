//! kprod's own partitioners (the Java default's keyless choice, round robin,
//! uniform sticky, rules from a file)
//! and the batches librdkafka reports, through the engine on the embedded
//! cluster, as the settings pane and `-X` reach them.

mod common;

use kprod::engine::compare;
use kprod::engine::record::{Draft, Header};
use kprod::engine::settings::Settings;
use kprod::engine::{Command, Event, Level};

fn settings(pairs: &[&str]) -> Settings {
    let mut s = Settings::default();
    for p in pairs {
        s.set_pair(p).unwrap();
    }
    s
}

fn keyless(topic: &str) -> Draft {
    Draft {
        topic: topic.into(),
        key: None,
        value: Some(b"value {seq} of a keyless burst".to_vec()),
        ..Default::default()
    }
}

/// Acked records per partition and the batches reported, from `events`.
fn tally(events: &[Event]) -> ([u64; 6], u64, u64) {
    let mut per = [0u64; 6];
    let (mut batches, mut batched) = (0, 0);
    for e in events {
        match e {
            Event::Acked(a) => per[a.partition as usize] += 1,
            Event::Batch(b) => {
                batches += 1;
                batched += u64::from(b.records);
                assert!(b.wire_bytes > 0 && b.record_bytes > 0, "{b:?}");
            }
            Event::Failed { code, message, .. } => panic!("failed: {code} {message}"),
            _ => {}
        }
    }
    (per, batches, batched)
}

#[tokio::test(flavor = "multi_thread")]
async fn round_robin_spreads_evenly_and_every_record_is_in_a_reported_batch() {
    let (engine, mut rx) = common::embedded("demo", settings(&["partitioner=round_robin"]));
    engine.send(Command::Burst {
        draft: keyless("demo"),
        count: 601,
        rate: None,
        also: Vec::new(),
    });
    let events = common::until_reported(&mut rx, 601).await;
    let (per, _, _) = tally(&events);
    let (min, max) = (per.iter().min().unwrap(), per.iter().max().unwrap());
    assert!(
        max - min <= 1,
        "round robin counts differ by more than 1: {per:?}"
    );
    assert_eq!(per.iter().sum::<u64>(), 601);

    // The last batch is reported with the ack of its last record, so by now
    // every acked record was counted in one.
    engine.send(Command::Drain);
    let (_, batches, batched) = tally(&events);
    assert_eq!(batched, 601, "records in reported batches");
    assert!(batches >= 6, "{batches} batches for 6 partitions");
}

/// Partitions of a 1,000-record burst of `draft` under `s`, in send order:
/// how often the partition changed from one record to the next, and which
/// were used.
async fn placed(s: Settings, draft: Draft) -> (usize, std::collections::BTreeSet<i32>) {
    let (engine, mut rx) = common::embedded("demo", s);
    engine.send(Command::Burst {
        draft,
        count: 1000,
        rate: None,
        also: Vec::new(),
    });
    let events = common::until_reported(&mut rx, 1000).await;
    let mut placed: Vec<(u64, i32)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Acked(a) => Some((a.id, a.partition)),
            Event::Failed { code, message, .. } => panic!("failed: {code} {message}"),
            _ => None,
        })
        .collect();
    placed.sort();
    let switches = placed.windows(2).filter(|w| w[0].1 != w[1].1).count();
    (switches, placed.iter().map(|p| p.1).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn uniform_sticky_fills_one_partition_per_batch_size() {
    // Keyed records too: uniform sticky ignores keys. 1,000 records of ~40
    // bytes with batch.size=1000 stick to a partition for ~25 records.
    let (switches, used) = placed(
        settings(&["partitioner=uniform_sticky", "batch.size=1000"]),
        Draft {
            key: Some(b"same-key".to_vec()),
            ..keyless("demo")
        },
    )
    .await;
    assert!(
        (20..=80).contains(&switches),
        "{switches} partition switches over 1000 records of ~40 B with batch.size=1000"
    );
    assert!(used.len() > 1, "one key, yet spread: {used:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_is_the_java_clients_murmur2_for_keys_and_sticky_per_batch_without() {
    let s = settings(&["batch.size=1000"]);
    assert_eq!(s.get("partitioner"), Some("java_default"));
    // Keyless: ~25 records of ~40 bytes to a partition, then another, as
    // the Java client's built-in partitioner moves on after batch.size.
    let (switches, used) = placed(s.clone(), keyless("demo")).await;
    assert!(
        (20..=80).contains(&switches) && used.len() > 1,
        "{switches} partition switches over 1000 keyless records, {used:?}"
    );
    // Keyed: one key, one partition, murmur2's as the Java client's ('a'
    // lands on 4 of 6), however many bytes.
    let (switches, used) = placed(
        s,
        Draft {
            key: Some(b"a".to_vec()),
            ..keyless("demo")
        },
    )
    .await;
    assert_eq!(
        (switches, used.into_iter().collect::<Vec<_>>()),
        (0, vec![4])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_route_as_written_and_fall_back_to_murmur2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.txt");
    std::fs::write(
        &path,
        "# VIPs first\nkey starts-with VIP- -> 5\nheader country=KR -> 0\nvalue contains nowhere -> 9\n",
    )
    .unwrap();
    let s = settings(&[
        "partitioner=rules",
        &format!("partitioner.rules={}", path.display()),
    ]);
    let (engine, mut rx) = common::embedded("demo", s);
    let record = |key: &str, value: &str, country: Option<&str>| Draft {
        topic: "demo".into(),
        key: Some(key.as_bytes().to_vec()),
        value: Some(value.as_bytes().to_vec()),
        headers: country
            .map(|c| Header {
                name: "country".into(),
                value: Some(c.as_bytes().to_vec()),
            })
            .into_iter()
            .collect(),
        ..Default::default()
    };
    // Record ids follow the order of Send commands.
    let sends = [
        (record("VIP-1", "v", None), Ok(5)),
        (record("a", "v", Some("KR")), Ok(0)),
        (record("VIP-2", "v", Some("KR")), Ok(5)), // first match wins
        (record("a", "v", Some("DE")), Ok(4)),     // murmur2, as Java: 4
        (record("hello", "v", None), Ok(3)),       // murmur2, as Java: 3
        (record("b", "goes nowhere", None), Err("line 4")),
    ];
    for (d, _) in &sends {
        engine.send(Command::Send(d.clone()));
    }
    let events = common::until_reported(&mut rx, sends.len()).await;
    for e in events {
        match e {
            Event::Acked(a) => {
                assert_eq!(Ok(a.partition), sends[a.id as usize].1, "record {}", a.id)
            }
            Event::Failed {
                id, code, message, ..
            } => {
                let want = sends[id as usize].1.unwrap_err();
                assert_eq!(code, "UNKNOWN_PARTITION");
                assert!(
                    message.contains(want) && message.contains("partition 9"),
                    "{message}"
                );
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_rule_file_is_refused_with_its_line_and_the_producer_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.txt");
    std::fs::write(&path, "key is a -> 1\nkey like b -> 2\n").unwrap();
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    engine.send(Command::Apply(settings(&[
        "partitioner=rules",
        &format!("partitioner.rules={}", path.display()),
    ])));
    let events = common::events_until(&mut rx, |e| {
        matches!(e, Event::Notice { level: Level::Error, text } if text.contains("not applied"))
    })
    .await;
    let Some(Event::Notice { text, .. }) = events.last() else {
        unreachable!()
    };
    assert!(
        text.contains("line 2: unknown test 'like'") && text.contains("previous settings kept"),
        "{text}"
    );
    // The old producer still sends.
    engine.send(Command::Send(keyless("demo")));
    let events = common::until_reported(&mut rx, 1).await;
    assert!(events.iter().any(|e| matches!(e, Event::Acked(_))));
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_shows_sticky_making_fewer_larger_batches_than_round_robin() {
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    let plan = compare::parse(
        &settings(&["linger.ms=20"]),
        "3000 partitioner=round_robin vs partitioner=uniform_sticky",
    )
    .unwrap();
    engine.send(Command::Compare {
        draft: keyless("demo"),
        plan,
    });
    let outcomes = common::compared(&mut rx).await;
    let [rr, sticky] = &outcomes[..] else {
        panic!("{outcomes:?}")
    };
    for o in [rr, sticky] {
        assert_eq!(
            (o.acked, o.failed, o.sent.records),
            (3000, 0, 3000),
            "{o:?}"
        );
        assert!(o.latency[0] <= o.latency[3] && o.elapsed.as_nanos() > 0);
    }
    let spread = |o: &compare::Outcome| o.partitions.iter().filter(|n| **n > 0).count();
    assert_eq!(spread(rr), 6);
    common::fewer_larger_batches(sticky, rr);
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_codecs_runs_all_five_and_shows_what_each_made_of_the_bytes() {
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    let plan = compare::parse(&settings(&["linger.ms=20"]), "2000 codecs").unwrap();
    engine.send(Command::Compare {
        draft: Draft {
            topic: "demo".into(),
            key: Some(b"sensor-{int:1:9}".to_vec()),
            value: Some(br#"{"reading":{seq},"unit":"celsius","site":"north-wing"}"#.to_vec()),
            ..Default::default()
        },
        plan,
    });
    let outcomes = common::compared(&mut rx).await;
    let labels: Vec<&str> = outcomes.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(
        labels,
        kprod::engine::settings::CODECS
            .iter()
            .map(|c| format!("compression.type={c}"))
            .collect::<Vec<_>>()
    );
    let none = &outcomes[0];
    assert!(none.sent.wire_bytes > none.record_bytes, "{none:?}");
    for o in &outcomes {
        assert_eq!((o.acked, o.sent.records), (2000, 2000), "{o:?}");
        assert_eq!(o.record_bytes, none.record_bytes, "same records: {o:?}");
    }
    for o in &outcomes[1..] {
        assert!(
            o.sent.wire_bytes * 2 < none.sent.wire_bytes,
            "{} did not shrink: {o:?}",
            o.label
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_counts_the_same_record_bytes_with_idempotence_off_and_acks_0_or_1() {
    // Batch figures came from message ids, which only an idempotent
    // producer has: compare showed 4832% and 0.00 MB/s without it.
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    let plan = compare::parse(
        &Settings::default(),
        "500 current vs enable.idempotence=false acks=1 vs enable.idempotence=false acks=0",
    )
    .unwrap();
    engine.send(Command::Compare {
        draft: Draft {
            topic: "demo".into(),
            value: Some(b"0123456789".to_vec()),
            ..Default::default()
        },
        plan,
    });
    let outcomes = common::compared(&mut rx).await;
    assert_eq!(outcomes.len(), 3);
    for o in &outcomes {
        assert_eq!(o.acked, 500, "{o:?}");
        // The verifier's id header rides on each record too.
        assert!(o.record_bytes >= 500 * 10, "{o:?}");
        assert_eq!(
            o.record_bytes, outcomes[0].record_bytes,
            "same records: {o:?}"
        );
        assert!(o.mb_per_sec() > 0.0, "{o:?}");
    }
}
