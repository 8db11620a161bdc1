//! Real Apache Kafka for tests, through scripts/kafka.sh: one shared cluster
//! per test binary, or a cluster of a test's own for tests that stop brokers.
//! Outside CI a missing Java or Kafka skips the test, saying why; in CI it
//! fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A running cluster; a cluster a test owns is stopped when dropped.
pub struct Cluster {
    pub dir: PathBuf,
    pub bootstrap: String,
    owned: bool,
    _tmp: Option<tempfile::TempDir>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka.sh")
}

fn run(args: &[&str]) -> Result<String, String> {
    let out = Command::new("bash")
        .arg(script())
        .args(args)
        .output()
        .map_err(|e| format!("cannot run scripts/kafka.sh: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "scripts/kafka.sh {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Why real-Kafka tests cannot run here, if they cannot.
fn unavailable() -> Option<String> {
    if Command::new("java").arg("-version").output().is_err() {
        return Some("java is not installed".into());
    }
    run(&["fetch"]).err()
}

/// Skips (outside CI) or fails (in CI) when Kafka cannot run here.
fn can_run(test: &str) -> bool {
    match unavailable() {
        None => true,
        Some(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: Kafka is needed in CI: {why}"
            );
            eprintln!("SKIPPED {test}: {why} (.ci/run installs and fetches what is needed)");
            false
        }
    }
}

/// Tests that start JVMs (clusters of their own, the Java client) or measure
/// batching take turns: two CPU cores do not start many JVMs at once in good
/// time, and a starved producer batches differently.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

impl Cluster {
    /// A cluster of `nodes` brokers of this test's own.
    pub fn start(test: &str, nodes: u32) -> Option<Cluster> {
        if !can_run(test) {
            return None;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let out = run(&["start", &nodes.to_string(), dir.to_str().unwrap()])
            .unwrap_or_else(|e| panic!("{e}"));
        let bootstrap = out.lines().last().unwrap_or("").trim().to_string();
        assert!(
            bootstrap.contains(':'),
            "no bootstrap address from scripts/kafka.sh: {out}"
        );
        Some(Cluster {
            dir,
            bootstrap,
            owned: true,
            _tmp: Some(tmp),
        })
    }

    /// The 3-broker cluster the tests of this binary share, started once
    /// and stopped when the test process ends.
    pub fn shared(test: &str) -> Option<&'static Cluster> {
        static SHARED: OnceLock<Option<Cluster>> = OnceLock::new();
        if !can_run(test) {
            return None;
        }
        SHARED
            .get_or_init(|| {
                let dir =
                    std::env::temp_dir().join(format!("kprod-shared-kafka-{}", std::process::id()));
                let text = start_for_this_process(&["start", "3"], &dir);
                Some(Cluster {
                    bootstrap: text.lines().last().unwrap_or("").trim().to_string(),
                    dir,
                    owned: false,
                    _tmp: None,
                })
            })
            .as_ref()
    }

    pub fn stop_node(&self, node: u32) {
        run(&["stop-node", self.dir.to_str().unwrap(), &node.to_string()])
            .unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn start_node(&self, node: u32) {
        run(&["start-node", self.dir.to_str().unwrap(), &node.to_string()])
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The jars, for running Kafka's own Java code next to kprod.
    pub fn libs() -> PathBuf {
        let out = run(&["fetch"]).unwrap_or_else(|e| panic!("{e}"));
        PathBuf::from(out.lines().last().unwrap_or("").trim())
    }
}

/// Runs `kafka.sh ARGS DIR` for a cluster that lives as long as this test
/// process: statics are never dropped, so the launcher stops it once the
/// process is gone. Its output.
fn start_for_this_process(args: &[&str], dir: &Path) -> String {
    let out = Command::new("bash")
        .arg(script())
        .args(args)
        .arg(dir)
        .env("KAFKA_SH_OWNER_PID", std::process::id().to_string())
        .output()
        .expect("bash runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.owned {
            let _ = run(&["stop", self.dir.to_str().unwrap()]);
        }
    }
}

/// The secured broker of scripts/kafka.sh start-secure: its listeners,
/// files and credentials (secure.env), and its client.properties files.
pub struct Secure {
    pub dir: PathBuf,
    pub env: std::collections::BTreeMap<String, String>,
}

impl Secure {
    /// The one secured broker this test binary shares, started once.
    pub fn shared(test: &str) -> Option<&'static Secure> {
        static SHARED: OnceLock<Option<Secure>> = OnceLock::new();
        if !can_run(test) {
            return None;
        }
        if Command::new("openssl").arg("version").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: openssl is needed in CI"
            );
            eprintln!("SKIPPED {test}: openssl is not installed");
            return None;
        }
        SHARED
            .get_or_init(|| {
                let dir =
                    std::env::temp_dir().join(format!("kprod-secure-kafka-{}", std::process::id()));
                let text = start_for_this_process(&["start-secure"], &dir);
                let env = text
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                Some(Secure { dir, env })
            })
            .as_ref()
    }

    pub fn get(&self, key: &str) -> &str {
        self.env
            .get(key)
            .unwrap_or_else(|| panic!("secure.env has no {key}"))
    }

    /// A Java client.properties kafka.sh wrote, as a user would have it.
    pub fn properties(&self, kind: &str) -> PathBuf {
        self.dir.join(format!("client-{kind}.properties"))
    }
}

/// kprod's proxy in front of `bootstrap`, with `fault` made through it, and
/// the receiver of its notices.
pub async fn proxy_with(
    bootstrap: &str,
    fault: &str,
) -> (
    kprod::engine::proxy::Proxy,
    tokio::sync::mpsc::UnboundedReceiver<kprod::engine::Event>,
) {
    use kprod::engine::connection::Connection;
    use kprod::engine::settings::Settings;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let proxy =
        kprod::engine::proxy::Proxy::start(&Connection::new(bootstrap, &Settings::default()), tx)
            .await
            .unwrap();
    proxy
        .inject(&kprod::engine::faults::parse(fault).unwrap())
        .await
        .unwrap();
    (proxy, rx)
}

/// What Kafka's Java consumer reads from `topics` (tests/java/ReadBack.java):
/// (topic, partition, offset, key, value). `isolation` sets its
/// isolation.level (Java's default, read_uncommitted, when None).
pub type Read = (String, i32, i64, Option<Vec<u8>>, Option<Vec<u8>>);

pub fn java_read_back(bootstrap: &str, topics: &[String], isolation: Option<&str>) -> Vec<Read> {
    let libs = Cluster::libs();
    let out = std::process::Command::new("java")
        .arg(format!(
            "-Disolation.level={}",
            isolation.unwrap_or("read_uncommitted")
        ))
        .arg("-cp")
        .arg(format!("{}/*", libs.display()))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/java/ReadBack.java"
        ))
        .arg(bootstrap)
        .args(topics)
        .output()
        .expect("java runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = |f: &str| f.strip_prefix('x').map(hex);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                bytes(f[3]),
                bytes(f[4]),
            )
        })
        .collect()
}

fn hex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}
