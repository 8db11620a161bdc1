//! `kprod produce` as a script runs it: the real binary, records on stdin or
//! from a template, JSON lines on stdout, the exit code telling the outcome.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

mod common;

use common::produce;

fn named<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["name"] == name).collect()
}

#[test]
fn lines_in_the_console_producer_format_are_sent_and_verified() {
    let input = "trace:t1,tenant:NULL\tk1\tv1\nNULL\tNULL\tv2\nNULL\tk3\tNULL\n";
    let (code, events, stderr) = produce(
        &[
            "--property",
            "parse.key=true",
            "--property",
            "parse.headers=true",
            "--property",
            "null.marker=NULL",
        ],
        input,
    );
    assert_eq!(code, 0, "{stderr}\n{events:?}");
    assert_eq!(events[0]["name"], "startup_complete");
    let acks = named(&events, "producer_send_success");
    assert_eq!(acks.len(), 3);
    for a in &acks {
        assert_eq!(a["topic"], "demo");
        assert!(a["partition"].as_i64().unwrap() >= 0);
        assert!(a["offset"].as_i64().unwrap() >= 0);
        assert!(a["timestamp"].as_i64().unwrap() > 0);
    }
    let by_id = |id: u64| acks.iter().find(|a| a["id"] == id).unwrap();
    assert_eq!(
        (by_id(0)["key"].as_str(), by_id(0)["value"].as_str()),
        (Some("k1"), Some("v1"))
    );
    assert!(by_id(1)["key"].is_null());
    assert!(by_id(2)["value"].is_null());

    let verdict = named(&events, "verification_summary");
    assert_eq!(verdict.len(), 1, "{events:?}");
    assert_eq!(verdict[0]["read_back"], 3);
    assert_eq!(verdict[0]["missing"], 0);
    assert_eq!(verdict[0]["no_loss"], true);
    let end = events.last().unwrap();
    assert_eq!(end["name"], "shutdown_complete");
    assert_eq!(
        (
            end["sent"].as_u64(),
            end["acked"].as_u64(),
            end["failed"].as_u64()
        ),
        (Some(3), Some(3), Some(0))
    );
}

#[test]
fn a_template_generates_numbered_records() {
    let (code, events, stderr) = produce(
        &[
            "--count",
            "500",
            "--key",
            "user-{seq}",
            "--value",
            "v{seq}",
            "--header",
            "src:test",
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    let acks = named(&events, "producer_send_success");
    assert_eq!(acks.len(), 500);
    let mut keys: Vec<&str> = acks.iter().map(|a| a["key"].as_str().unwrap()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 500);
    assert!(acks
        .iter()
        .any(|a| a["key"] == "user-499" && a["value"] == "v499"));
    assert_eq!(named(&events, "verification_summary")[0]["read_back"], 500);
}

#[test]
fn a_bad_line_ends_the_input_as_in_kafka_console_producer() {
    let (code, events, _) = produce(
        &["--property", "parse.key=true"],
        "a\tb\nno separator\nc\td\n",
    );
    assert_eq!(code, 1);
    let bad = named(&events, "input_error");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["line"], 2);
    assert!(bad[0]["message"]
        .as_str()
        .unwrap()
        .contains("no key separator"));
    assert_eq!(named(&events, "producer_send_success").len(), 1);
}

#[test]
fn bad_options_are_refused_before_anything_is_sent() {
    for (args, says) in [
        (vec!["-X", "acks=7"], "acks"),
        (vec!["-X", "batch.size=abc"], "not a whole number"),
        (vec!["--property", "parse.key=maybe"], "true or false"),
        (vec!["--property", "no.such=1"], "unknown"),
        (
            vec!["--file", "/nonexistent/records.txt"],
            "cannot read /nonexistent/records.txt",
        ),
        (
            vec!["--count", "3", "--header", "novalue"],
            "no header key separator",
        ),
        (
            vec!["--producer.config", "/nonexistent.properties"],
            "cannot read",
        ),
        (vec!["--fault", "explode 1"], "unknown fault 'explode'"),
        (vec!["--fault", "@soon down 1"], "a record count (@500)"),
        (vec!["--fault", "slow 1"], "needs a delay in ms"),
        (
            vec!["--proxy"],
            "--proxy stands between kprod and a real cluster",
        ),
    ] {
        let (code, events, stderr) = produce(&args, "");
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(named(&events, "producer_send_success").is_empty());
    }
}

#[test]
fn a_java_properties_file_sets_the_producer_and_minus_x_wins() {
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("producer.properties");
    std::fs::write(
        &props,
        "# from a Java project\n! also a comment\nlinger.ms = 7\ncompression.type: \\\n   lz4\nclient.id=qa\n",
    )
    .unwrap();
    let (code, events, stderr) = produce(
        &[
            "--producer.config",
            props.to_str().unwrap(),
            "-X",
            "linger.ms=9",
            "--count",
            "5",
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(named(&events, "producer_send_success").len(), 5);
    let settings = &events[0]["settings"];
    assert_eq!(settings["linger.ms"], "9", "-X comes after the file");
    assert_eq!(settings["compression.type"], "lz4", "a continued line");
    assert_eq!(settings["client.id"], "qa");
    assert_eq!(settings["acks"], "all", "defaults stay");

    std::fs::write(
        &props,
        "linger.ms=5\nkey.serializer=org.apache.kafka.common.serialization.StringSerializer\n",
    )
    .unwrap();
    let (code, _, stderr) = produce(
        &["--producer.config", props.to_str().unwrap(), "--count", "1"],
        "",
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("producer.properties line 2: key.serializer cannot be honoured"),
        "{stderr}"
    );
}

#[test]
fn no_verify_leaves_out_the_id_header_and_the_read_back() {
    let (code, events, stderr) = produce(&["--no-verify", "--count", "10"], "");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(named(&events, "producer_send_success").len(), 10);
    assert!(named(&events, "verification_summary").is_empty());
    assert_eq!(named(&events, "connected")[0]["verify"], false);
    let (_, events, _) = produce(&["--count", "10"], "");
    assert_eq!(named(&events, "connected")[0]["verify"], true);
    assert_eq!(named(&events, "verification_summary").len(), 1);
}

#[test]
fn a_record_that_runs_out_of_delivery_time_names_the_setting() {
    // Nothing listens on port 1 of loopback.
    let (code, events, _) = produce(
        &[
            "-b",
            "127.0.0.1:1",
            "--count",
            "1",
            "-X",
            "delivery.timeout.ms=2000",
            "-X",
            "request.timeout.ms=1000",
            "-X",
            "linger.ms=0",
        ],
        "",
    );
    assert_eq!(code, 1);
    let failed = named(&events, "producer_send_error");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["exception"], "MESSAGE_TIMED_OUT");
    assert!(
        failed[0]["message"]
            .as_str()
            .unwrap()
            .contains("delivery.timeout.ms (2000 ms) ran out"),
        "{:?}",
        failed[0]
    );
    assert!(named(&events, "notice").iter().any(|n| n["message"]
        .as_str()
        .unwrap()
        .contains("Connection refused")));
}

#[test]
fn a_run_ends_with_a_summary_in_perf_tests_format_and_keeps_to_its_rate() {
    let out = Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args([
            "produce",
            "--count",
            "400",
            "--rate",
            "400",
            "--value",
            "0123456789{seq}",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().last().unwrap_or("");
    let shape = [
        " records sent, ",
        " records/sec (",
        " MB/sec), ",
        " ms avg latency, ",
        " ms max latency, ",
        " ms 50th, ",
        " ms 95th, ",
        " ms 99th, ",
        " ms 99.9th.",
    ];
    assert!(line.starts_with("400 records sent, "), "{line}");
    let mut at = 0;
    for part in shape {
        at = at
            + line[at..]
                .find(part)
                .unwrap_or_else(|| panic!("'{part}' missing or out of order in: {line}"))
            + part.len();
    }
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let perf = named(&events, "performance");
    assert_eq!(perf.len(), 1);
    assert_eq!(perf[0]["records"], 400);
    assert_eq!(perf[0]["summary"].as_str(), Some(line));
    // By construction, not by timing: the 400th record is not queued before
    // 399/400 s after the first, less the 1 ms pacing grain, and the run is
    // measured from the first CreateTime to the last report in whole
    // milliseconds (2 ms more slack).
    let rate = perf[0]["records_per_sec"].as_f64().unwrap();
    assert!(
        rate > 0.0 && rate <= 400.0 / (399.0 / 400.0 - 0.003),
        "{rate}"
    );
    let p = |k: &str| perf[0][k].as_f64().unwrap();
    assert!(
        p("p50_ms") <= p("p95_ms")
            && p("p95_ms") <= p("p99_ms")
            && p("p99_ms") <= p("max_latency_ms") + 0.01
    );
}

#[test]
fn a_rule_file_given_with_x_routes_records_and_a_bad_one_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.txt");
    std::fs::write(
        &rules,
        "key starts-with VIP- -> 5\nvalue contains urgent -> 1\n",
    )
    .unwrap();
    let rules_arg = format!("partitioner.rules={}", rules.display());
    let input = "VIP-7:x\nplain:urgent stuff\na:v\n";
    let (code, events, stderr) = produce(
        &[
            "-X",
            "partitioner=rules",
            "-X",
            &rules_arg,
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ],
        input,
    );
    assert_eq!(code, 0, "{stderr}\n{events:?}");
    let placed: Vec<(String, i64)> = named(&events, "producer_send_success")
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap().to_string(),
                a["partition"].as_i64().unwrap(),
            )
        })
        .collect();
    // `a` matches no rule: murmur2, where the Java client puts it (4 of 6).
    for want in [("VIP-7", 5), ("plain", 1), ("a", 4)] {
        assert!(placed.contains(&(want.0.to_string(), want.1)), "{placed:?}");
    }
    let batches = named(&events, "producer_batch");
    let batched: u64 = batches.iter().map(|b| b["records"].as_u64().unwrap()).sum();
    assert_eq!(batched, 3, "{batches:?}");

    std::fs::write(&rules, "key starts-with VIP- -> 5\nvalue has urgent -> 1\n").unwrap();
    let (code, events, stderr) = produce(&["-X", "partitioner=rules", "-X", &rules_arg], "x\n");
    assert_eq!(code, 2, "{events:?}");
    assert!(events.is_empty(), "nothing starts: {events:?}");
    assert!(
        stderr.contains("line 2: unknown test 'has'") && stderr.contains("rules.txt"),
        "{stderr}"
    );
}

#[test]
fn quiet_leaves_out_what_went_well_and_keeps_the_summaries() {
    let (code, events, stderr) = produce(
        &[
            "--quiet",
            "--count",
            "300",
            "--template",
            r#"{"id":"{uuid}","n":{seq}}"#,
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    for routine in [
        "producer_send_queued",
        "producer_send_success",
        "producer_batch",
    ] {
        assert!(named(&events, routine).is_empty(), "{routine} in --quiet");
    }
    let perf = named(&events, "performance");
    assert_eq!(perf.len(), 1);
    assert_eq!(perf[0]["records"], 300);
    assert_eq!(named(&events, "verification_summary")[0]["read_back"], 300);
    assert_eq!(named(&events, "shutdown_complete")[0]["acked"], 300);
}

#[test]
fn librdkafka_statistics_are_told_as_they_come_quiet_or_not() {
    let (code, events, stderr) = produce(
        &[
            "--quiet",
            "--count",
            "600",
            "--rate",
            "1000",
            "-X",
            "statistics.interval.ms=100",
            "-X",
            "compression.type=gzip",
            "--value",
            "the same words again and again, reading {seq}",
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    let stats = named(&events, "producer_stats");
    assert!(
        stats.len() >= 3,
        "a report every 100 ms over 0.6 s: {stats:?}"
    );
    let sum = |field: &str| -> u64 { stats.iter().map(|s| s[field].as_u64().unwrap()).sum() };
    assert!(stats.iter().all(|s| s["topic"] == "demo"));
    let (batches, records) = (sum("batches"), sum("records"));
    assert!(
        batches > 0 && (batches..=600).contains(&records),
        "{batches} batches of {records} records"
    );
    assert!(
        sum("wire_bytes") < sum("key_value_bytes"),
        "gzip on repetitive values: {stats:?}"
    );
}

#[test]
fn a_line_written_to_stdin_goes_out_before_the_next_is_written() {
    // As a script or a person feeding a pipe would: one line, then wait.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args(["produce", "--no-verify"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    // Should kprod hold a line back, the wait below ends here, failing.
    let pid = child.id().to_string();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        let _ = Command::new("kill").arg(&pid).status();
    });
    for value in ["first", "second", "third"] {
        writeln!(stdin, "{value}").unwrap();
        stdin.flush().unwrap();
        // Blocks until this line's ack: it cannot wait for more input.
        let acked = loop {
            let mut line = String::new();
            assert!(
                std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0,
                "kprod ended before acking {value}"
            );
            let e: Value = serde_json::from_str(&line).unwrap();
            if e["name"] == "producer_send_success" {
                break e;
            }
        };
        assert_eq!(acked["value"], value);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_large_input_keeps_its_order_and_its_line_numbers() {
    // More lines than go to the engine in one go, one of them bad.
    let mut input = String::new();
    for i in 0..5000 {
        if i == 4321 {
            input.push_str("no separator\n");
        } else {
            input.push_str(&format!("same key\tv{i}\r\n"));
        }
    }
    let (code, events, _) = produce(&["--property", "parse.key=true"], &input);
    assert_eq!(code, 1);
    let bad = named(&events, "input_error");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["line"], 4322);
    let values: Vec<&str> = named(&events, "producer_send_success")
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..4321).map(|i| format!("v{i}")).collect();
    assert_eq!(
        values, expected,
        "one key, one partition: the input's order"
    );
}

#[test]
fn faults_given_as_flags_are_made_when_due_and_one_never_due_is_reported() {
    let (code, events, stderr) = produce(
        &[
            "--count",
            "400",
            "--fault",
            "fail 2 NOT_ENOUGH_REPLICAS",
            "--fault",
            "@100 slow 2 20",
            "--fault",
            "@100000 clear",
            "--fault",
            "@1e19s clear",
        ],
        "",
    );
    assert_eq!(
        code, 1,
        "faults never made make the exit non-zero: {stderr}"
    );
    let said: Vec<&str> = named(&events, "notice")
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    let has = |text: &str| said.iter().any(|s| s.contains(text));
    assert!(
        has("fault: the next 2 produce request(s) fail with NOT_ENOUGH_REPLICAS (19, retriable)"),
        "{said:?}"
    );
    assert!(has("fault: broker 2 answers 20 ms late"), "{said:?}");
    assert!(
        has("fault never made: @100000 faults cleared") && has("fewer records were settled"),
        "{said:?}"
    );
    assert!(has("the run ended first"), "{said:?}");
    // The refused requests were retried and every record went out.
    let requests = named(&events, "producer_request");
    let refused = requests.iter().filter(|r| r["outcome"] == "failed").count();
    assert_eq!(refused, 2, "{requests:?}");
    assert!(requests.iter().any(|r| r["retry"] == true));
    let end = events.last().unwrap();
    assert_eq!(
        (end["acked"].as_u64(), end["failed"].as_u64()),
        (Some(400), Some(0))
    );
}

#[test]
fn records_held_up_by_a_fault_fail_at_delivery_timeout_naming_it() {
    let (code, events, _) = produce(
        &[
            "--count",
            "5",
            "--fault",
            "down 1",
            "--fault",
            "down 2",
            "--fault",
            "down 3",
            "-X",
            "delivery.timeout.ms=2000",
            "-X",
            "request.timeout.ms=1000",
            "-X",
            "linger.ms=0",
        ],
        "",
    );
    assert_eq!(code, 1);
    let failed = named(&events, "producer_send_error");
    assert_eq!(failed.len(), 5, "{events:?}");
    for f in failed {
        assert_eq!(f["exception"], "MESSAGE_TIMED_OUT");
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("delivery.timeout.ms (2000 ms) ran out"),
            "{f:?}"
        );
    }
}

#[test]
fn a_small_buffer_memory_holds_records_back_and_loses_none() {
    // 64 KiB holds about sixty 1,000-byte records: the rest wait for room,
    // as a Java producer's send blocks, instead of failing.
    let (code, events, stderr) = produce(
        &[
            "--count",
            "3000",
            "--value",
            "{str:1000}",
            "-X",
            "buffer.memory=65536",
            "--quiet",
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        named(&events, "startup_complete")[0]["settings"]["buffer.memory"],
        "65536"
    );
    let done = named(&events, "shutdown_complete");
    assert_eq!(
        (done[0]["acked"].as_u64(), done[0]["failed"].as_u64()),
        (Some(3000), Some(0))
    );
    assert_eq!(named(&events, "verification_summary")[0]["read_back"], 3000);
}

#[test]
fn a_record_reported_failed_but_read_back_is_counted_failed_but_written() {
    // The embedded broker appends the batch and answers after
    // request.timeout.ms; with no retries the producer gives up on records
    // the topic holds: the unknown outcome every producer faces.
    let (code, events, stderr) = produce(
        &[
            "--count",
            "5",
            "-X",
            "enable.idempotence=false",
            "-X",
            "retries=0",
            "-X",
            "request.timeout.ms=1000",
            "-X",
            "delivery.timeout.ms=1500",
            "--fault",
            "lose-acks 1",
        ],
        "",
    );
    assert_eq!(code, 1, "failed records make the exit non-zero: {stderr}");
    let failed = named(&events, "producer_send_error");
    assert_eq!(failed.len(), 5, "{events:?}");
    let issues = named(&events, "verification_issue");
    let mut ids: Vec<i64> = issues
        .iter()
        .filter(|i| i["kind"] == "FAILED_BUT_WRITTEN")
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, [0, 1, 2, 3, 4], "{issues:?}");
    let summary = named(&events, "verification_summary");
    let last = summary.last().expect("a verification summary");
    assert_eq!(last["failed_written"], 5);
    assert_eq!(last["read_back"], 5);
    assert_eq!(last["missing"], 0);
    // The performance summary counts delivered records only.
    let perf = named(&events, "performance");
    let perf = perf.last().expect("a performance summary");
    assert_eq!(
        (&perf["records"], &perf["failed"]),
        (&0.into(), &5.into()),
        "{perf}"
    );
    assert!(
        perf["summary"]
            .as_str()
            .unwrap()
            .starts_with("0 records sent"),
        "{perf}"
    );
}

#[test]
fn a_users_own_kprod_id_header_does_not_break_verification() {
    // A record copied from an earlier run keeps that run's kprod.id header.
    let (code, events, stderr) = produce(
        &["--property", "parse.headers=true"],
        "kprod.id:0123abc-7\tone\nkprod.id:x,other:1\ttwo\n",
    );
    assert_eq!(code, 0, "{stderr}\n{events:?}");
    let last = named(&events, "verification_summary")
        .last()
        .copied()
        .cloned()
        .expect("a verification summary");
    assert_eq!(
        (&last["acked"], &last["read_back"], &last["missing"]),
        (&2.into(), &2.into(), &0.into()),
        "{last}"
    );
}

#[test]
fn a_topic_name_kafka_refuses_is_refused_with_kafkas_rule_before_anything_is_sent() {
    for (topic, why) in [
        ("my topic", "has ' '"),
        ("..", "'.' and '..'"),
        (&*"t".repeat(250), "at most 249"),
    ] {
        let (code, events, stderr) = produce(&["-t", topic], "x\n");
        assert_eq!(code, 2, "{topic}: {stderr}");
        assert!(events.is_empty(), "{topic}: nothing starts: {events:?}");
        assert!(stderr.contains(why), "{topic}: {stderr}");
    }
}

#[test]
fn batches_are_told_without_idempotence_and_at_acks_0_and_1() {
    // Without idempotence librdkafka numbers no message: every batch says
    // MsgId 0, and batches used to go untold.
    for acks in ["all", "1", "0"] {
        let (code, events, stderr) = produce(
            &[
                "--count",
                "6",
                "--rate",
                "30",
                "--no-verify",
                "-X",
                "enable.idempotence=false",
                "-X",
                &format!("acks={acks}"),
                "--value",
                "abcd",
            ],
            "",
        );
        assert_eq!(code, 0, "acks={acks}: {stderr}");
        let batches = named(&events, "producer_batch");
        let records: u64 = batches.iter().map(|b| b["records"].as_u64().unwrap()).sum();
        assert_eq!(
            records, 6,
            "acks={acks}: every record in a batch: {batches:?}"
        );
        for b in &batches {
            let per_record = b["record_bytes"].as_u64().unwrap() / b["records"].as_u64().unwrap();
            assert_eq!(per_record, 4, "acks={acks}: {b}");
            assert!(b["wire_bytes"].as_u64().unwrap() > 0, "{b}");
        }
    }
}

#[test]
fn sigterm_closes_in_bounded_time_and_every_record_has_a_fate() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args(["produce", "--count", "100000", "--rate", "500"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut events: Vec<Value> = Vec::new();
    // Records are flowing once some are acked; then the signal comes.
    while events
        .iter()
        .filter(|e| e["name"] == "producer_send_success")
        .count()
        < 20
    {
        let line = lines.next().expect("kprod ended before 20 acks").unwrap();
        events.push(serde_json::from_str(&line).unwrap());
    }
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    for line in lines {
        events.push(serde_json::from_str(&line.unwrap()).unwrap());
    }
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(128 + 15),
        "the shell's code for SIGTERM"
    );
    assert_eq!(named(&events, "signal").len(), 1, "{events:?}");
    let end = named(&events, "shutdown_complete");
    let end = end.last().expect("shutdown_complete after the signal");
    let (sent, acked, failed) = (
        end["sent"].as_u64().unwrap(),
        end["acked"].as_u64().unwrap(),
        end["failed"].as_u64().unwrap(),
    );
    assert_eq!(sent, acked + failed, "{end}");
    assert!(sent < 100_000, "the burst stopped at the signal: {end}");
    assert!(
        !named(&events, "performance").is_empty(),
        "the summary still comes"
    );
}

#[test]
fn a_fault_that_cannot_strike_makes_the_exit_non_zero() {
    // A typo'd broker: the embedded cluster has brokers 1 to 3.
    let (code, events, stderr) = produce(&["--count", "5", "--fault", "down 9"], "");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        named(&events, "notice").iter().any(|n| n["message"]
            .as_str()
            .unwrap()
            .starts_with("fault not made: broker 9 down")),
        "{events:?}"
    );
    let end = named(&events, "shutdown_complete");
    assert_eq!(end.last().unwrap()["acked"], 5, "the records still go");
}
