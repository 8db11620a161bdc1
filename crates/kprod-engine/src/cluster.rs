//! Where the brokers come from: the embedded in-process cluster (librdkafka's
//! mock cluster) when no bootstrap server is given, or the user's own.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use futures::future::BoxFuture;
use thiserror::Error;

use crate::connection::Connection;
use crate::event::NewTopic;
use crate::faults::{Fault, FaultError, Injector};
use crate::metadata;
use crate::mock::{MockCluster, MockError};
use crate::settings::Settings;

/// Brokers in the embedded cluster.
pub const EMBEDDED_BROKERS: i32 = 3;
/// The topic the embedded cluster always has.
pub const DEMO_TOPIC: &str = "demo";
/// Partitions of every topic kprod creates on the embedded cluster.
pub const EMBEDDED_PARTITIONS: i32 = 6;

/// What the embedded cluster reports that a real broker would not.
pub const EMBEDDED_TIMESTAMP_NOTE: &str = "embedded cluster: its acks carry a made-up LogAppendTime (1234 ms), so kprod shows the record's CreateTime, marked '*'; a real broker reports its own";

/// Why min.insync.replicas means nothing on the embedded cluster (a front
/// end says how to reach a real broker).
pub const EMBEDDED_NO_ISR: &str = "the embedded cluster has no replication: every replica is always in sync and min.insync.replicas is not enforced";

/// Why a duplicate on the embedded cluster may not be what a real broker
/// would show.
pub const EMBEDDED_NO_DEDUPE: &str = "the embedded cluster drops an idempotent producer's retried batches only when the producer is transactional (librdkafka's rdkafka_mock.c), so it can show duplicates a real broker would drop: see idempotence at work on a real broker";

/// What a fencing shows on the embedded cluster, and what it does instead.
pub const EMBEDDED_NO_FENCING: &str = "The embedded cluster has no fencing (a second producer only gets a new producer id), so kprod makes the cluster answer the next commit with PRODUCER_FENCED, as a real broker answers a fenced producer; to see a real fencing, use a real broker (--local-kafka)";

/// What a transactional run shows on the embedded cluster that a real
/// broker would not.
pub const EMBEDDED_TXN_NOTE: &str = "The embedded cluster runs transactions' requests, but its read_committed readers see aborted records too and its logs have no commit or abort markers (no offset gaps), and it has no real fencing: on a real broker (--local-kafka) aborted records are invisible to read_committed and each marker takes an offset";

/// Kafka's EndTxn request and its PRODUCER_FENCED error.
const END_TXN_API_KEY: i16 = 26;
const PRODUCER_FENCED: i16 = 90;

/// Why the embedded cluster did not start, or did not make a topic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClusterError {
    #[error("cannot start the embedded cluster: {0}")]
    Start(#[source] MockError),
    #[error("cannot create topic '{topic}' on the embedded cluster: {source}")]
    CreateTopic {
        topic: String,
        #[source]
        source: MockError,
    },
    #[error("{EMBEDDED_NO_ISR}")]
    NoIsr,
    #[error("replication factor {0} is more than the {EMBEDDED_BROKERS} brokers")]
    Replication(i32),
}

/// Why `--local-kafka`'s Apache Kafka did not start.
#[derive(Debug, Clone, Error)]
pub enum LocalKafkaError {
    #[error("cannot create {}: {source}", .path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("cannot run bash: {0}")]
    Bash(#[source] Arc<std::io::Error>),
    #[error("Apache Kafka did not start (its log is above)")]
    DidNotStart,
}

/// librdkafka's mock API takes request kinds by Kafka's ApiKey.
const PRODUCE_API_KEY: i16 = 0;

/// The embedded cluster, alive as long as this value is.
pub struct Embedded {
    mock: MockCluster,
}

impl Embedded {
    /// Starts 3 brokers with `demo` (6 partitions, replication factor 3) and,
    /// if another topic is asked for, that topic the same way.
    pub fn start(topic: &str) -> Result<Embedded, ClusterError> {
        let mock = MockCluster::start(EMBEDDED_BROKERS).map_err(ClusterError::Start)?;
        let embedded = Embedded { mock };
        embedded.create_topic(DEMO_TOPIC, EMBEDDED_PARTITIONS, EMBEDDED_BROKERS)?;
        if topic != DEMO_TOPIC {
            embedded.create_topic(topic, EMBEDDED_PARTITIONS, EMBEDDED_BROKERS)?;
        }
        Ok(embedded)
    }

    fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        replication: i32,
    ) -> Result<(), ClusterError> {
        self.mock
            .create_topic(topic, partitions, replication)
            .map_err(|source| ClusterError::CreateTopic {
                topic: topic.into(),
                source,
            })
    }

    fn broker(&self, id: i32) -> Result<i32, FaultError> {
        if (1..=EMBEDDED_BROKERS).contains(&id) {
            Ok(id)
        } else {
            Err(FaultError::NoEmbeddedBroker {
                id,
                brokers: EMBEDDED_BROKERS,
            })
        }
    }

    /// What a fault shows on this cluster that a real broker would not.
    fn embedded_caveat(fault: &Fault, settings: &Settings) -> Option<&'static str> {
        // The mock drops an idempotent retry only for a transactional
        // producer.
        let idempotent = settings.idempotent() && settings.transactional_id().is_none();
        (matches!(fault, Fault::LoseAcks { .. }) && idempotent).then_some(EMBEDDED_NO_DEDUPE)
    }

    /// Carries a fault out; says what a user should know about it. A lost
    /// ack is answered after the client gave up on it: 2 s past its
    /// request.timeout.ms.
    fn make(&self, fault: &Fault, settings: &Settings) -> Result<String, FaultError> {
        let late_ms = settings.request_timeout_ms().saturating_add(2_000);
        let m = &self.mock;
        match fault {
            Fault::Down(b) => m.set_down(self.broker(*b)?)?,
            Fault::Up(b) => m.set_up(self.broker(*b)?)?,
            Fault::Slow { broker, ms } => m.set_rtt(self.broker(*broker)?, *ms)?,
            Fault::LoseAcks { broker, count } => {
                let brokers = match broker {
                    Some(b) => vec![self.broker(*b)?],
                    None => (1..=EMBEDDED_BROKERS).collect(),
                };
                for b in brokers {
                    for _ in 0..*count {
                        m.push_late_answer(b, PRODUCE_API_KEY, late_ms)?;
                    }
                }
                return Ok(format!(
                    " (each answered {late_ms} ms late, past request.timeout.ms; the records are appended; the mock answers a connection in order, so the broker's other answers, metadata too, wait as long)"
                ));
            }
            // The mock takes librdkafka's codes, which are Kafka's.
            Fault::Fail { count, error } => {
                m.push_errors(PRODUCE_API_KEY, &vec![error.code; *count as usize])
            }
            Fault::Leader {
                topic,
                partition,
                broker,
            } => {
                let b = self.broker(*broker)?;
                m.set_leader(topic, *partition, b).map_err(|e| match e {
                    MockError::NulByte(t) => FaultError::NulInTopic(t),
                    e => e.into(),
                })?;
            }
            Fault::Clear => {
                let mut waiting = 0;
                for b in 1..=EMBEDDED_BROKERS {
                    m.set_up(b)?;
                    m.set_rtt(b, 0)?;
                    waiting += m.waiting(b, PRODUCE_API_KEY).unwrap_or(0);
                }
                m.clear_errors(PRODUCE_API_KEY);
                if waiting > 0 {
                    return Ok(format!(
                        "; {waiting} lost ack(s) still wait on their brokers: the embedded cluster cannot take them back"
                    ));
                }
            }
        }
        Ok(String::new())
    }

    /// Whether the cluster has `topic`, by its metadata.
    async fn topic_known(&self, topic: &str) -> bool {
        let (connection, topic) = (
            Connection::new(&self.bootstrap_servers(), &Settings::default()),
            topic.to_string(),
        );
        tokio::task::spawn_blocking(move || {
            metadata::query(&connection).is_ok_and(|md| md.topic(&topic).is_some())
        })
        .await
        .unwrap_or(false)
    }

    /// Creates a topic as asked, refusing what the mock cannot model.
    pub fn create(&self, topic: &NewTopic) -> Result<(), ClusterError> {
        if topic.min_insync_replicas.is_some() {
            return Err(ClusterError::NoIsr);
        }
        if topic.replication > EMBEDDED_BROKERS {
            return Err(ClusterError::Replication(topic.replication));
        }
        self.create_topic(&topic.name, topic.partitions, topic.replication)
    }

    /// The address other clients (kcat, scripts) can connect to.
    pub fn bootstrap_servers(&self) -> String {
        self.mock.bootstrap_servers()
    }

    /// The next EndTxn (commit or abort) is answered PRODUCER_FENCED.
    pub fn fence_next_commit(&self) {
        self.mock.push_errors(END_TXN_API_KEY, &[PRODUCER_FENCED]);
    }
}

impl Injector for Embedded {
    fn inject<'a>(
        &'a self,
        fault: &'a Fault,
        settings: &'a Settings,
    ) -> BoxFuture<'a, Result<String, FaultError>> {
        Box::pin(async move {
            // The mock makes a topic it is told about: ask first.
            if let Fault::Leader { topic, .. } = fault {
                if !self.topic_known(topic).await {
                    return Err(FaultError::NoTopic(topic.clone()));
                }
            }
            self.make(fault, settings)
        })
    }

    fn caveat(&self, fault: &Fault, settings: &Settings) -> Option<&'static str> {
        Embedded::embedded_caveat(fault, settings)
    }
}

/// The launcher kept in the repo, built into the binary so an installed
/// kprod can start Kafka without a checkout.
const KAFKA_SCRIPT: &str = include_str!("../../../scripts/kafka.sh");

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
    pub fn start(nodes: u32) -> Result<LocalKafka, LocalKafkaError> {
        let dir = std::env::temp_dir().join(format!("kprod-local-kafka-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| LocalKafkaError::CreateDir {
            path: dir.clone(),
            source: Arc::new(e),
        })?;
        let script = dir.join("kafka.sh");
        std::fs::write(&script, KAFKA_SCRIPT).map_err(|e| LocalKafkaError::Write {
            path: script.clone(),
            source: Arc::new(e),
        })?;
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
            .map_err(|e| LocalKafkaError::Bash(Arc::new(e)))?;
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
            return Err(LocalKafkaError::DidNotStart);
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
