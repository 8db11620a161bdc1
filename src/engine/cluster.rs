//! Where the brokers come from: the embedded in-process cluster (librdkafka's
//! mock cluster) when no bootstrap server is given, or the user's own.

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
