//! Where the brokers come from: the embedded in-process cluster (librdkafka's
//! mock cluster) when no bootstrap server is given, or the user's own.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use std::ffi::{c_int, CStr, CString};

use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer as _};
use rdkafka_sys as rdsys;

use super::faults::Fault;
use super::settings::Settings;

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

/// Why a duplicate on the embedded cluster may not be what a real broker
/// would show.
pub const EMBEDDED_NO_DEDUPE: &str = "the embedded cluster drops an idempotent producer's retried batches only when the producer is transactional (librdkafka's rdkafka_mock.c), so it can show duplicates a real broker would drop: see idempotence at work on a real broker (-b, or --local-kafka)";

/// The metadata of every topic and broker of the cluster at `bootstrap`, by
/// a short-lived client of its own; blocks up to 5 s. No topic is asked for
/// by name, so none is created by asking.
pub fn metadata(bootstrap: &str) -> Result<rdkafka::metadata::Metadata, String> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("log_level", "0")
        .create()
        .map_err(|e| e.to_string())?;
    client
        .fetch_metadata(None, std::time::Duration::from_secs(5))
        .map_err(|e| format!("cannot read the cluster's metadata: {e}"))
}

/// librdkafka's mock API takes request kinds by Kafka's ApiKey.
const PRODUCE_API_KEY: i16 = 0;

/// The embedded cluster, alive as long as this value is.
pub struct Embedded {
    mock: *mut rdsys::RDKafkaMockCluster,
    /// The client the mock cluster lives in; outlives `mock` (see Drop).
    _client: BaseProducer,
}

// SAFETY: the mock cluster's API is thread-safe: every call posts an
// operation to the cluster's own thread and waits for its reply, so the
// engine loop and the fault loop may both call it.
unsafe impl Send for Embedded {}
unsafe impl Sync for Embedded {}

impl Drop for Embedded {
    fn drop(&mut self) {
        // SAFETY: `mock` came from rd_kafka_mock_cluster_new and is destroyed
        // once, before the client it was made in.
        unsafe { rdsys::rd_kafka_mock_cluster_destroy(self.mock) }
    }
}

/// A librdkafka error code as a result.
fn checked(err: rdsys::rd_kafka_resp_err_t) -> Result<(), String> {
    if err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    // SAFETY: rd_kafka_err2str returns a static string for any code.
    let text = unsafe { CStr::from_ptr(rdsys::rd_kafka_err2str(err)) };
    Err(text.to_string_lossy().into_owned())
}

impl Embedded {
    /// Starts 3 brokers with `demo` (6 partitions, replication factor 3) and,
    /// if another topic is asked for, that topic the same way.
    pub fn start(topic: &str) -> Result<Embedded, String> {
        let client: BaseProducer = ClientConfig::new()
            .create()
            .map_err(|e| format!("cannot start the embedded cluster: {e}"))?;
        // SAFETY: the client's handle is valid while `client` lives, and the
        // cluster is destroyed before it (Drop).
        let mock = unsafe {
            rdsys::rd_kafka_mock_cluster_new(client.client().native_ptr(), EMBEDDED_BROKERS)
        };
        if mock.is_null() {
            return Err("cannot start the embedded cluster: librdkafka refused".into());
        }
        let embedded = Embedded {
            mock,
            _client: client,
        };
        embedded.create_topic(DEMO_TOPIC, EMBEDDED_PARTITIONS, EMBEDDED_BROKERS)?;
        if topic != DEMO_TOPIC {
            embedded.create_topic(topic, EMBEDDED_PARTITIONS, EMBEDDED_BROKERS)?;
        }
        Ok(embedded)
    }

    fn create_topic(&self, topic: &str, partitions: i32, replication: i32) -> Result<(), String> {
        let name = CString::new(topic).map_err(|_| format!("topic '{topic}' has a NUL byte"))?;
        // SAFETY: `mock` is live, `name` outlives the call.
        checked(unsafe {
            rdsys::rd_kafka_mock_topic_create(self.mock, name.as_ptr(), partitions, replication)
        })
        .map_err(|e| format!("cannot create topic '{topic}' on the embedded cluster: {e}"))
    }

    fn broker(&self, id: i32) -> Result<i32, String> {
        if (1..=EMBEDDED_BROKERS).contains(&id) {
            Ok(id)
        } else {
            Err(format!(
                "the embedded cluster has brokers 1 to {EMBEDDED_BROKERS}, not {id}"
            ))
        }
    }

    /// What a fault shows on this cluster that a real broker would not.
    pub fn caveat(fault: &Fault, settings: &Settings) -> Option<&'static str> {
        // kprod has no transactional producer (transactional.id is refused),
        // so the mock never drops an idempotent retry.
        let idempotent = settings.get("enable.idempotence") == Some("true");
        (matches!(fault, Fault::LoseAcks { .. }) && idempotent).then_some(EMBEDDED_NO_DEDUPE)
    }

    /// Carries a fault out; says what a user should know about it. A lost
    /// ack is answered after the client gave up on it: 2 s past its
    /// request.timeout.ms.
    pub fn inject(&self, fault: &Fault, settings: &Settings) -> Result<String, String> {
        let late_ms = settings
            .get("request.timeout.ms")
            .and_then(|t| t.parse::<u32>().ok())
            .unwrap_or(30_000)
            .saturating_add(2_000);
        let m = self.mock;
        // SAFETY (every call below): `mock` is live; strings outlive calls.
        match fault {
            Fault::Down(b) => {
                checked(unsafe { rdsys::rd_kafka_mock_broker_set_down(m, self.broker(*b)?) })?
            }
            Fault::Up(b) => {
                checked(unsafe { rdsys::rd_kafka_mock_broker_set_up(m, self.broker(*b)?) })?
            }
            Fault::Slow { broker, ms } => checked(unsafe {
                rdsys::rd_kafka_mock_broker_set_rtt(m, self.broker(*broker)?, *ms as c_int)
            })?,
            Fault::LoseAcks { broker, count } => {
                let brokers = match broker {
                    Some(b) => vec![self.broker(*b)?],
                    None => (1..=EMBEDDED_BROKERS).collect(),
                };
                for b in brokers {
                    for _ in 0..*count {
                        checked(unsafe {
                            rdsys::rd_kafka_mock_broker_push_request_error_rtts(
                                m,
                                b,
                                PRODUCE_API_KEY,
                                1,
                                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR as c_int,
                                late_ms as c_int,
                            )
                        })?;
                    }
                }
                return Ok(format!(
                    " (each answered {late_ms} ms late, past request.timeout.ms; the records are appended; the mock answers a connection in order, so the broker's other answers, metadata too, wait as long)"
                ));
            }
            Fault::Fail { count, error } => {
                // The mock takes librdkafka's codes, which are Kafka's.
                let codes = vec![c_int::from(error.code); *count as usize];
                unsafe {
                    rdsys::rd_kafka_mock_push_request_errors_array(
                        m,
                        PRODUCE_API_KEY,
                        codes.len(),
                        codes.as_ptr().cast(),
                    )
                }
            }
            Fault::Leader {
                topic,
                partition,
                broker,
            } => {
                let b = self.broker(*broker)?;
                let name = CString::new(topic.as_str())
                    .map_err(|_| "topic name has a NUL byte".to_string())?;
                checked(unsafe {
                    rdsys::rd_kafka_mock_partition_set_leader(m, name.as_ptr(), *partition, b)
                })?;
            }
            Fault::Clear => {
                let mut waiting = 0;
                for b in 1..=EMBEDDED_BROKERS {
                    let mut count: usize = 0;
                    unsafe {
                        checked(rdsys::rd_kafka_mock_broker_set_up(m, b))?;
                        checked(rdsys::rd_kafka_mock_broker_set_rtt(m, b, 0))?;
                        if rdsys::rd_kafka_mock_broker_error_stack_cnt(
                            m,
                            b,
                            PRODUCE_API_KEY,
                            &mut count,
                        ) == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                        {
                            waiting += count;
                        }
                    }
                }
                unsafe { rdsys::rd_kafka_mock_clear_request_errors(m, PRODUCE_API_KEY) };
                if waiting > 0 {
                    return Ok(format!(
                        "; {waiting} lost ack(s) still wait on their brokers: the embedded cluster cannot take them back"
                    ));
                }
            }
        }
        Ok(String::new())
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
        self.create_topic(&topic.name, topic.partitions, topic.replication)
    }

    /// The address other clients (kcat, scripts) can connect to.
    pub fn bootstrap_servers(&self) -> String {
        // SAFETY: `mock` is live; the string is the cluster's own.
        unsafe { CStr::from_ptr(rdsys::rd_kafka_mock_cluster_bootstraps(self.mock)) }
            .to_string_lossy()
            .into_owned()
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
