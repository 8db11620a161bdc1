//! Replay on real Kafka: what kcat -C -J and kafka-console-consumer print
//! of topic A, fed to `kprod produce --format jsonl` or `--format
//! console-consumer` with --keep-timestamps, gives topic B the same keys,
//! values, headers and timestamps, as kcat reads both back.

mod common;

use std::process::Command;

use common::kafka::Cluster;

/// kcat, or None outside CI when it is not installed.
fn kcat(test: &str) -> Option<()> {
    if Command::new("kcat").arg("-V").output().is_ok() {
        return Some(());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: kcat is needed in CI (.ci/run installs it)"
    );
    eprintln!("SKIPPED {test}: kcat is not installed");
    None
}

/// Every record of `topic` as kcat -C -J prints it, one object a line.
fn kcat_json(bootstrap: &str, topic: &str) -> String {
    let out = Command::new("kcat")
        .args([
            "-C",
            "-J",
            "-e",
            "-q",
            "-o",
            "beginning",
            "-b",
            bootstrap,
            "-t",
            topic,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The records of kcat -J output as they would compare across topics:
/// key, payload, headers and timestamp, sorted.
fn records(json: &str) -> Vec<serde_json::Value> {
    let mut all: Vec<serde_json::Value> = json
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::json!({"key": v["key"], "payload": v["payload"],
                "headers": v.get("headers").cloned().unwrap_or(serde_json::Value::Null),
                "ts": v["ts"], "tstype": v["tstype"]})
        })
        .collect();
    all.sort_by_key(|v| v.to_string());
    all
}

/// Topic A, written by kprod from JSON Lines with keys, headers (one with
/// a null value), text beyond ASCII, a null value and explicit timestamps.
fn source(kafka: &Cluster, topic: &str) -> Vec<serde_json::Value> {
    let input = concat!(
        r#"{"key":"order-1","value":"{\"amount\":12}","headers":{"trace":"abc","tenant":"eu"},"timestamp":1700000000123}"#,
        "\n",
        r#"{"key":"order-2","value":"café ✓\ttab","headers":["trace","def","flag",null],"timestamp":"2024-03-01T12:30:00.250Z"}"#,
        "\n",
        r#"{"key":null,"value":"keyless","timestamp":1700000000999}"#,
        "\n",
        r#"{"key":"gone","value":null,"headers":[{"key":"why","value":"tombstone"}],"timestamp":1700000001000}"#,
        "\n",
    );
    let (code, events, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            topic,
            "--format",
            "jsonl",
            "--keep-timestamps",
        ],
        input,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        events.iter().any(|e| e["name"] == "notice"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("no kprod.id header")),
        "{events:?}"
    );
    let a = records(&kcat_json(&kafka.bootstrap, topic));
    assert_eq!(a.len(), 4, "{a:?}");
    assert!(a.iter().any(|r| r["ts"] == 1709296200250i64), "{a:?}");
    a
}

#[test]
fn kcat_json_output_replayed_into_another_topic_gives_identical_records() {
    let test = "kcat_json_output_replayed_into_another_topic_gives_identical_records";
    let Some(()) = kcat(test) else { return };
    let Some(kafka) = Cluster::shared(test) else {
        return;
    };
    let a = source(kafka, "replay-kcat-a");
    let printed = kcat_json(&kafka.bootstrap, "replay-kcat-a");
    let (code, _, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            "replay-kcat-b",
            "--format",
            "jsonl",
            "--keep-timestamps",
        ],
        &printed,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(records(&kcat_json(&kafka.bootstrap, "replay-kcat-b")), a);

    // Without --keep-timestamps the producer stamps them anew.
    let (code, _, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            "replay-kcat-c",
            "--format",
            "jsonl",
        ],
        &printed,
    );
    assert_eq!(code, 0, "{stderr}");
    let c = records(&kcat_json(&kafka.bootstrap, "replay-kcat-c"));
    assert!(
        c.iter().all(|r| r["ts"].as_i64().unwrap() > 1750000000000),
        "{c:?}"
    );
}

#[test]
fn console_consumer_output_replayed_into_another_topic_gives_identical_records() {
    let test = "console_consumer_output_replayed_into_another_topic_gives_identical_records";
    let Some(()) = kcat(test) else { return };
    let Some(kafka) = Cluster::shared(test) else {
        return;
    };
    let a = source(kafka, "replay-console-a");
    let out = Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", Cluster::libs().display()))
        .args([
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "--bootstrap-server",
            &kafka.bootstrap,
            "--topic",
            "replay-console-a",
            "--from-beginning",
            "--max-messages",
            "4",
            "--timeout-ms",
            "30000",
            "--formatter-property",
            "print.timestamp=true",
            "--formatter-property",
            "print.headers=true",
            "--formatter-property",
            "print.key=true",
        ])
        .output()
        .unwrap();
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        printed.lines().count(),
        4,
        "{printed}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, _, stderr) = common::produce(
        &[
            "-b",
            &kafka.bootstrap,
            "-t",
            "replay-console-b",
            "--format",
            "console-consumer",
            "--property",
            "print.timestamp=true",
            "--property",
            "print.headers=true",
            "--property",
            "print.key=true",
            "--keep-timestamps",
        ],
        &printed,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(records(&kcat_json(&kafka.bootstrap, "replay-console-b")), a);
}

#[test]
fn a_bad_replay_line_is_named_and_ends_the_input() {
    let (code, events, stderr) = common::produce(
        &["-t", "t", "--format", "jsonl"],
        "{\"value\":\"ok\"}\n{\"value\": oops}\n{\"value\":\"never\"}\n",
    );
    assert_eq!(code, 1, "{stderr}");
    let error = events
        .iter()
        .find(|e| e["name"] == "input_error")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(error["line"], 2);
    assert!(
        error["message"].as_str().unwrap().contains("not JSON"),
        "{error}"
    );
    let done = events
        .iter()
        .find(|e| e["name"] == "shutdown_complete")
        .unwrap();
    assert_eq!(done["sent"], 1);
    let (code, _, stderr) = common::produce(&["-t", "t", "--keep-timestamps"], "x\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("carry no timestamp"), "{stderr}");
}
