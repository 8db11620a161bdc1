//! Where the brokers come from: the embedded in-process cluster (librdkafka's
//! mock cluster) when no bootstrap server is given, or the user's own.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

/// Brokers in the embedded cluster.
pub const EMBEDDED_BROKERS: i32 = 3;
/// The topic the embedded cluster always has.
pub const DEMO_TOPIC: &str = "demo";
/// Partitions of every topic kprod creates on the embedded cluster.
pub const EMBEDDED_PARTITIONS: i32 = 6;

/// What the embedded cluster reports that a real broker would not.
pub const EMBEDDED_TIMESTAMP_NOTE: &str = "embedded cluster: its acks carry a made-up LogAppendTime (1234 ms), so kprod shows the record's CreateTime, marked '*'; a real broker reports its own";

/// Why min.insync.replicas means nothing on the embedded cluster.
pub const EMBEDDED_NO_ISR: &str = "the embedded cluster has no replication: every replica is always in sync and min.insync.replicas is not enforced; use a real broker (-b, or --local-kafka) to see the ISR shrink";

/// The embedded cluster, alive as long as this value is.
pub struct Embedded {
    mock: MockCluster<'static, DefaultProducerContext>,
}

// SAFETY: MockCluster holds a raw pointer to librdkafka's mock cluster, whose
// API is thread-safe: every call posts an operation to the cluster's own thread
// and waits for its reply. The value is owned by one engine task at a time.
unsafe impl Send for Embedded {}

impl Embedded {
    /// Starts 3 brokers with `demo` (6 partitions, replication factor 3) and,
    /// if another topic is asked for, that topic the same way.
    pub fn start(topic: &str) -> Result<Embedded, String> {
        let mock = MockCluster::new(EMBEDDED_BROKERS)
            .map_err(|e| format!("cannot start the embedded cluster: {e}"))?;
        let embedded = Embedded { mock };
        embedded.create_topic(DEMO_TOPIC)?;
        if topic != DEMO_TOPIC {
            embedded.create_topic(topic)?;
        }
        Ok(embedded)
    }

    fn create_topic(&self, topic: &str) -> Result<(), String> {
        self.mock
            .create_topic(topic, EMBEDDED_PARTITIONS, EMBEDDED_BROKERS)
            .map_err(|e| format!("cannot create topic '{topic}' on the embedded cluster: {e}"))
    }

    /// Creates a topic as asked, refusing what the mock cannot model.
    pub fn create(&self, topic: &super::NewTopic) -> Result<(), String> {
        if topic.min_insync_replicas.is_some() {
            return Err(EMBEDDED_NO_ISR.into());
        }
        if topic.replication > EMBEDDED_BROKERS {
            return Err(format!(
                "replication factor {} is more than the {EMBEDDED_BROKERS} brokers",
                topic.replication
            ));
        }
        self.mock
            .create_topic(&topic.name, topic.partitions, topic.replication)
            .map_err(|e| e.to_string())
    }

    /// The address other clients (kcat, scripts) can connect to.
    pub fn bootstrap_servers(&self) -> String {
        self.mock.bootstrap_servers()
    }
}

/// The launcher kept in the repo, built into the binary so an installed
/// kprod can start Kafka without a checkout.
const KAFKA_SCRIPT: &str = include_str!("../../scripts/kafka.sh");

/// A real Apache Kafka cluster on loopback for one kprod run; stopped when
/// dropped.
pub struct LocalKafka {
    script: PathBuf,
    dir: PathBuf,
    pub bootstrap: String,
}

impl LocalKafka {
    /// Fetches Kafka if needed and starts `nodes` brokers; the launcher's
    /// progress goes to stderr.
    pub fn start(nodes: u32) -> Result<LocalKafka, String> {
        let dir = std::env::temp_dir().join(format!("kprod-local-kafka-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let script = dir.join("kafka.sh");
        std::fs::write(&script, KAFKA_SCRIPT)
            .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
        let cluster = dir.join("cluster");
        let out = Command::new("bash")
            .arg(&script)
            .args(["start", &nodes.to_string()])
            .arg(&cluster)
            // Should kprod die without dropping this, the launcher stops
            // the brokers once kprod's process is gone.
            .env("KAFKA_SH_OWNER_PID", std::process::id().to_string())
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        let kafka = LocalKafka {
            script,
            dir,
            bootstrap: String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string(),
        };
        if !out.status.success() || !kafka.bootstrap.contains(':') {
            return Err("Apache Kafka did not start (its log is above)".into());
        }
        Ok(kafka)
    }
}

impl Drop for LocalKafka {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .arg(self.dir.join("cluster"))
            .stdout(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
