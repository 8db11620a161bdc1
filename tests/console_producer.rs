//! Parity with kafka-console-producer 4.3.1: each input in
//! tests/fixtures/console/ (with its `--property` list beside it, one a line
//! in NAME.props) goes through Kafka's ConsoleProducer and through
//! `kprod produce` into topics of one partition, and both topics must read
//! back the same, byte for byte, with the same exit status. kprod runs with
//! --no-verify, as its verifier stamps a header of its own on each record.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::kafka::Cluster;
use common::readback::{read_all, Stored};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/console");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    out.sort();
    out
}

fn create(bootstrap: &str, topics: &[String]) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let new: Vec<NewTopic> = topics
        .iter()
        .map(|t| NewTopic::new(t, 1, TopicReplication::Fixed(1)))
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for r in rt
        .block_on(admin.create_topics(&new, &AdminOptions::new()))
        .unwrap()
    {
        r.unwrap();
    }
}

/// The records as the log holds them, without what differs by design
/// between two topics (offsets stay: order and count must match).
fn records(bootstrap: &str, topic: &str) -> Vec<Stored> {
    read_all(bootstrap, topic)
        .into_iter()
        .map(|mut s| {
            s.timestamp = None;
            s
        })
        .collect()
}

#[test]
fn kprod_writes_what_the_console_producer_writes() {
    let Some(cluster) = Cluster::shared("console_producer") else {
        return;
    };
    let libs = Cluster::libs();
    let stamp = std::process::id();
    for input in fixtures() {
        let name = input.file_stem().unwrap().to_string_lossy().into_owned();
        let props: Vec<String> = std::fs::read_to_string(input.with_extension("props"))
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let java_topic = format!("console-java-{name}-{stamp}");
        let kprod_topic = format!("console-kprod-{name}-{stamp}");
        create(
            &cluster.bootstrap,
            &[java_topic.clone(), kprod_topic.clone()],
        );

        let mut java = Command::new("java");
        java.arg("-cp")
            .arg(format!("{}/*", libs.display()))
            .arg("org.apache.kafka.tools.ConsoleProducer")
            .args([
                "--bootstrap-server",
                &cluster.bootstrap,
                "--topic",
                &java_topic,
            ]);
        for p in &props {
            java.args(["--property", p]);
        }
        let java = java
            .stdin(std::fs::File::open(&input).unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();

        let mut kprod = Command::new(env!("CARGO_BIN_EXE_kprod"));
        kprod
            .args([
                "produce",
                "--no-verify",
                "-b",
                &cluster.bootstrap,
                "-t",
                &kprod_topic,
            ])
            .arg("--file")
            .arg(&input);
        for p in &props {
            kprod.args(["--property", p]);
        }
        let kprod = kprod.output().unwrap();

        let java_says = String::from_utf8_lossy(&java.stderr);
        let kprod_says = String::from_utf8_lossy(&kprod.stdout);
        assert_eq!(
            java.status.code(),
            kprod.status.code(),
            "{name}: exit codes differ\njava: {java_says}\nkprod: {kprod_says}"
        );
        let want = records(&cluster.bootstrap, &java_topic);
        let got = records(&cluster.bootstrap, &kprod_topic);
        assert!(!want.is_empty(), "{name}: java wrote nothing: {java_says}");
        assert_eq!(got, want, "{name}: kprod wrote other records than java");
    }
}

fn hex(s: &str) -> String {
    let mut out = String::from("x");
    for b in s.as_bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `--producer.config` files read as java.util.Properties reads them
/// (tests/java/ReadProps.java), for every file in tests/fixtures/properties.
#[test]
fn properties_files_read_as_java_reads_them() {
    if Command::new("java").arg("-version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "Java is needed in CI");
        eprintln!("properties_files_read_as_java_reads_them: skipped, no java");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in std::fs::read_dir(root.join("tests/fixtures/properties")).unwrap() {
        let file = file.unwrap().path();
        let java = Command::new("java")
            .arg(root.join("tests/java/ReadProps.java"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            java.status.success(),
            "{}",
            String::from_utf8_lossy(&java.stderr)
        );
        // Java keeps the last of a repeated name.
        let mut ours = std::collections::BTreeMap::new();
        for (_, name, value) in kprod::cli::read_properties(&file).unwrap() {
            ours.insert(hex(&name), hex(&value));
        }
        let ours: String = ours.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        assert_eq!(
            ours,
            String::from_utf8_lossy(&java.stdout),
            "{}",
            file.display()
        );
    }
}
