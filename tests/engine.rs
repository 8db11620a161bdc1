//! The engine on the embedded cluster, driven as the TUI drives it: records
//! in through commands, delivery reports out as events.

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};

use kprod::engine::record::Draft;
use kprod::engine::settings::Settings;
use kprod::engine::{Command, Event, Level};
use kprod::ui::app::App;

#[tokio::test(flavor = "multi_thread")]
async fn six_hundred_keyed_records_each_acked_with_partition_and_offset() {
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    let mut app = App::new("demo", Settings::default());
    let first = common::events_until(&mut rx, |e| matches!(e, Event::Topics(_))).await;
    first.into_iter().for_each(|e| app.on_event(e));
    assert_eq!(app.partition_count(), Some(6), "demo has 6 partitions");

    // 600 records over 20 keys. The engine takes Send commands in order and
    // numbers records as it enqueues them, so record id i carries key i % 20.
    for i in 0..600u64 {
        engine.send(Command::Send(Draft {
            topic: "demo".into(),
            key: Some(format!("key-{}", i % 20).into_bytes()),
            value: Some(format!("value {i}").into_bytes()),
            ..Default::default()
        }));
    }
    let events = common::until_reported(&mut rx, 600).await;

    let mut queued = 0;
    let mut partitions_of_key: HashMap<u64, BTreeSet<i32>> = HashMap::new();
    let mut per_partition = [0u64; 6];
    let mut offsets = HashSet::new();
    for e in &events {
        match e {
            Event::Queued { key_len, .. } => {
                assert!(key_len.is_some());
                queued += 1;
            }
            Event::Acked(ack) => {
                assert!((0..6).contains(&ack.partition), "{ack:?}");
                let offset = ack.offset.expect("acks=all reports an offset");
                assert!(
                    offsets.insert((ack.partition, offset)),
                    "offset reported twice: {ack:?}"
                );
                per_partition[ack.partition as usize] += 1;
                partitions_of_key
                    .entry(ack.id % 20)
                    .or_default()
                    .insert(ack.partition);
            }
            Event::Failed { code, message, .. } => panic!("failed: {code} {message}"),
            _ => {}
        }
    }
    assert_eq!(queued, 600);
    assert_eq!(per_partition.iter().sum::<u64>(), 600);
    assert_eq!(partitions_of_key.len(), 20);
    for (key, parts) in &partitions_of_key {
        assert_eq!(parts.len(), 1, "key-{key} landed on {parts:?}");
    }
    let used: BTreeSet<i32> = partitions_of_key.values().flatten().copied().collect();
    assert!(used.len() > 1, "20 keys all on one partition: {used:?}");

    // The chart counts exactly what the delivery reports said.
    events.into_iter().for_each(|e| app.on_event(e));
    assert_eq!(app.chart, per_partition.to_vec());
    assert_eq!(app.totals.acked, 600);
    assert_eq!(app.totals.in_flight(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn keyed_records_land_where_the_java_client_puts_them() {
    // Partitions the Java client's murmur2 partitioner picks for these keys
    // over 6 partitions (checked on this machine, see shared/FACTS.md).
    let expected = [("a", 4), ("key-1", 0), ("hello", 3)];
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    for (key, _) in expected {
        engine.send(Command::Send(Draft {
            topic: "demo".into(),
            key: Some(key.as_bytes().to_vec()),
            value: Some(b"v".to_vec()),
            ..Default::default()
        }));
    }
    let events = common::until_reported(&mut rx, 3).await;
    let mut got: Vec<(u64, i32)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Acked(a) => Some((a.id, a.partition)),
            _ => None,
        })
        .collect();
    got.sort();
    let got: Vec<i32> = got.into_iter().map(|(_, p)| p).collect();
    assert_eq!(got, expected.map(|(_, p)| p).to_vec());
}

#[tokio::test(flavor = "multi_thread")]
async fn null_and_empty_are_different_and_burst_numbers_records() {
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    engine.send(Command::Send(Draft {
        topic: "demo".into(),
        key: None,
        value: Some(Vec::new()),
        ..Default::default()
    }));
    engine.send(Command::Burst {
        draft: Draft {
            topic: "demo".into(),
            key: Some(b"k{seq}".to_vec()),
            value: None,
            ..Default::default()
        },
        count: 5,
        rate: None,
        also: Vec::new(),
    });
    let events = common::until_reported(&mut rx, 6).await;
    let lens: Vec<(Option<usize>, Option<usize>)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Queued {
                key_len, value_len, ..
            } => Some((*key_len, *value_len)),
            _ => None,
        })
        .collect();
    assert_eq!(lens[0], (None, Some(0)));
    assert_eq!(&lens[1..], &[(Some(2), None); 5]);
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_rebuilds_the_producer_after_in_flight_records_and_says_what_changed() {
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    let draft = Draft {
        topic: "demo".into(),
        value: Some(b"x".to_vec()),
        ..Default::default()
    };
    engine.send(Command::Burst {
        draft: draft.clone(),
        count: 200,
        rate: None,
        also: Vec::new(),
    });
    let mut next = Settings::default();
    next.set("linger.ms", "20").unwrap();
    next.set("compression.type", "zstd").unwrap();
    engine.send(Command::Apply(next));
    let events = common::events_until(&mut rx, |e| matches!(e, Event::Applied { .. })).await;
    let reported = events
        .iter()
        .filter(|e| matches!(e, Event::Acked(_) | Event::Failed { .. }))
        .count();
    assert_eq!(
        reported, 200,
        "every record of the burst was reported before the rebuild"
    );
    let Some(Event::Applied { changes, .. }) = events.last() else {
        unreachable!()
    };
    assert_eq!(
        changes,
        &vec![
            "linger.ms: 5 -> 20".to_string(),
            "compression.type: none -> zstd".to_string()
        ]
    );

    // The rebuilt producer sends.
    engine.send(Command::Send(draft));
    let after = common::until_reported(&mut rx, 1).await;
    assert!(
        after.iter().any(|e| matches!(e, Event::Acked(_))),
        "{after:?}"
    );

    // Settings that break a rule are refused by the engine too.
    let mut bad = Settings::default();
    bad.set("enable.idempotence", "true").unwrap();
    bad.set("acks", "1").unwrap();
    engine.send(Command::Apply(bad));
    let refused = common::events_until(&mut rx, |e| {
        matches!(
            e,
            Event::Notice {
                level: Level::Error,
                ..
            }
        )
    })
    .await;
    let Some(Event::Notice { text, .. }) = refused.last() else {
        unreachable!()
    };
    assert!(
        text.contains("not applied") && text.contains("acks=all"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_compression_codec_is_acked() {
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let mut settings = Settings::default();
        settings.set("compression.type", codec).unwrap();
        let (engine, mut rx) = common::embedded("demo", settings);
        engine.send(Command::Burst {
            draft: Draft {
                topic: "demo".into(),
                value: Some(b"compress me compress me compress me {seq}".to_vec()),
                ..Default::default()
            },
            count: 50,
            rate: None,
            also: Vec::new(),
        });
        let events = common::until_reported(&mut rx, 50).await;
        let acked = events
            .iter()
            .filter(|e| matches!(e, Event::Acked(_)))
            .count();
        assert_eq!(acked, 50, "{codec}: {events:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_reports_what_was_sent() {
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    engine.send(Command::Burst {
        draft: Draft {
            topic: "demo".into(),
            value: Some(b"x".to_vec()),
            ..Default::default()
        },
        count: 100,
        rate: None,
        also: Vec::new(),
    });
    common::until_reported(&mut rx, 100).await;
    engine.send(Command::Shutdown);
    let events =
        common::events_until(&mut rx, |e| matches!(e, Event::ShutdownComplete { .. })).await;
    let Some(Event::ShutdownComplete {
        sent,
        acked,
        failed,
    }) = events.last()
    else {
        unreachable!()
    };
    assert_eq!((*sent, *acked, *failed), (100, 100, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_broker_is_reported_not_waited_on() {
    let (engine, mut rx) = kprod::engine::Engine::start(kprod::engine::EngineConfig {
        bootstrap: Some("127.0.0.1:1".into()),
        topic: "demo".into(),
        settings: Settings::default(),
        verify: true,
        proxy: false,
        records: kprod::engine::Told::Payloads,
    });
    let events = common::events_until(&mut rx, |e| {
        matches!(e, Event::Notice { level: Level::Error, text } if text.contains("cannot read the cluster's topics"))
    })
    .await;
    assert!(
        matches!(
            &events[0],
            Event::Connected {
                embedded: false,
                ..
            }
        ),
        "{events:?}"
    );
    // A fault on a real cluster needs kprod's proxy, and says so; a front
    // end says how to start it.
    engine.send(Command::Fault(kprod::engine::faults::Fault::Down(1)));
    common::events_until(&mut rx, |e| {
        matches!(e, Event::FaultAnswered { fault: kprod::engine::faults::Fault::Down(1), refused: Some(why) }
            if kprod::words::error(why.clone()).contains("start kprod with --proxy"))
    })
    .await;
    // Commands are still taken while the broker is away.
    engine.send(Command::Send(Draft {
        topic: "demo".into(),
        value: Some(b"x".to_vec()),
        ..Default::default()
    }));
    common::events_until(&mut rx, |e| matches!(e, Event::Queued { .. })).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn records_that_create_their_topic_are_all_read_back() {
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    engine.send(Command::Burst {
        draft: Draft {
            topic: "appears-later".into(),
            key: Some(b"k{seq}".to_vec()),
            value: Some(b"v".to_vec()),
            ..Default::default()
        },
        count: 200,
        rate: None,
        also: Vec::new(),
    });
    let events = common::until_reported(&mut rx, 200).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Acked(_)))
            .count(),
        200,
        "{events:?}"
    );
    engine.send(Command::Verify);
    let done = common::events_until(
        &mut rx,
        |e| matches!(e, Event::Verification(s) if s.complete),
    )
    .await;
    let Some(Event::Verification(summary)) = done.last() else {
        unreachable!()
    };
    let t = summary.total();
    assert_eq!(
        (t.acked, t.read_back, t.missing),
        (200, 200, 0),
        "{summary:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_front_end_that_falls_behind_holds_records_back_and_loses_none() {
    let (engine, rx) = common::embedded("demo", Settings::default());
    let mut inbox = engine.inbox(rx);
    let n = 200_000u64;
    engine.send(Command::Burst {
        draft: Draft {
            topic: "demo".into(),
            value: Some(b"{str:100}".to_vec()),
            ..Default::default()
        },
        count: n,
        rate: None,
        also: Vec::new(),
    });
    // The front end looks away for a while: records wait for it instead
    // of their events piling up.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    // Paused before it looks, so what it counts went out while it looked
    // away (taking events lets the burst go on); the record waiting for it
    // still goes.
    engine.send(Command::Pause);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut queued = 0u64;
    let mut settled = 0u64;
    while let Some(e) = inbox.try_recv() {
        match e {
            Event::Queued { .. } => queued += 1,
            Event::Acked(_) | Event::Failed { .. } => settled += 1,
            _ => {}
        }
    }
    assert!(queued <= 50_002, "{queued} records went out unwatched");
    assert!(queued < n);
    // Watched again and resumed, the burst goes on to the end.
    engine.send(Command::Resume);
    while settled < n {
        match tokio::time::timeout(common::PATIENCE, inbox.recv()).await {
            Ok(Some(Event::Acked(_))) => settled += 1,
            Ok(Some(Event::Failed { message, .. })) => panic!("{message}"),
            Ok(Some(_)) => {}
            other => panic!("the burst stopped at {settled}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_refuses_what_it_cannot_read_and_faults_say_why() {
    let mut settings = Settings::default();
    settings.set("security.protocol", "SASL_SSL").unwrap();
    let (engine, mut rx) = kprod::engine::Engine::start(kprod::engine::EngineConfig {
        bootstrap: Some("127.0.0.1:1".into()),
        topic: "demo".into(),
        settings,
        verify: false,
        proxy: true,
        records: kprod::engine::Told::Payloads,
    });
    common::events_until(&mut rx, |e| {
        matches!(e, Event::Notice { level: Level::Error, text } if text.contains("cannot stand in a SASL_SSL connection") && text.contains("SASL_PLAINTEXT or PLAINTEXT listener") && text.contains("straight to the cluster"))
    })
    .await;
    engine.send(Command::Fault(kprod::engine::faults::Fault::Up(1)));
    common::events_until(&mut rx, |e| {
        matches!(e, Event::FaultAnswered { refused: Some(why), .. }
            if why.to_string().starts_with("kprod's proxy did not start: kprod's proxy cannot stand in a SASL_SSL connection"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_for_a_topic_kafka_refuses_fails_with_kafkas_rule_on_the_embedded_cluster() {
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    engine.send(Command::Send(Draft {
        topic: "payments eu".into(),
        value: Some(b"x".to_vec()),
        ..Default::default()
    }));
    let events = common::events_until(&mut rx, |e| matches!(e, Event::Failed { .. })).await;
    let Some(Event::Failed { code, message, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(code, "INVALID_TOPIC");
    assert!(message.contains("has ' '"), "{message}");
    assert!(
        events.iter().any(|e| matches!(e, Event::Queued { .. })),
        "counted as sent, so sent = acked + failed: {events:?}"
    );
}

/// buffer.memory full and max.block.ms (concept 16): with linger.ms long
/// and batch.size above the buffer, records wait in the producer and the
/// buffer fills; a send then waits for room for max.block.ms and fails
/// with QUEUE_FULL, as the Java client's send() throws
/// BufferExhaustedException. The records that found room are not failed.
#[tokio::test(flavor = "multi_thread")]
async fn a_send_into_a_full_buffer_waits_max_block_ms_then_fails() {
    let mut settings = Settings::default();
    for (name, value) in [
        ("buffer.memory", "2048"),
        ("linger.ms", "900000"),
        ("batch.size", "1000000"),
        ("max.block.ms", "300"),
        ("delivery.timeout.ms", "1000000"),
    ] {
        settings.set(name, value).unwrap();
    }
    let (engine, mut rx) = common::embedded("demo", settings);
    for _ in 0..40 {
        engine.send(Command::Send(Draft {
            topic: "demo".into(),
            partition: Some(0),
            value: Some(vec![b'x'; 100]),
            ..Default::default()
        }));
    }
    let events = common::events_until(&mut rx, |e| matches!(e, Event::Failed { .. })).await;
    let Some(Event::Failed {
        code,
        message,
        latency,
        ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(code, "QUEUE_FULL");
    assert!(message.contains("max.block.ms (300 ms)"), "{message}");
    // It waited max.block.ms before it failed, not less.
    assert!(
        *latency >= std::time::Duration::from_millis(300),
        "{latency:?}"
    );
    assert!(
        !events.iter().any(|e| matches!(e, Event::Acked(_))),
        "nothing leaves before linger.ms: {events:?}"
    );
}
