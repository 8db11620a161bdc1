//! librdkafka's mock cluster through its C API, which rdkafka does not wrap:
//! unsafe code behind safe methods (produce.rs has the only other). What the embedded
//! cluster makes of it (brokers, topics, faults) is in cluster.rs.

use std::ffi::{c_int, CStr, CString};

use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer as _};
use rdkafka_sys as rdsys;
use thiserror::Error;

/// What the mock API refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MockError {
    /// librdkafka's own words for the code it returned.
    #[error("{0}")]
    Refused(String),
    #[error("librdkafka refused to start it")]
    NotStarted,
    #[error("cannot create the client it lives in: {0}")]
    Client(String),
    #[error("'{0}' has a NUL byte")]
    NulByte(String),
}

/// A mock cluster, alive as long as this value is.
pub struct MockCluster {
    mock: *mut rdsys::RDKafkaMockCluster,
    /// The client the mock cluster lives in; outlives `mock` (see Drop).
    _client: BaseProducer,
}

// SAFETY: the mock cluster's API is thread-safe: every call posts an
// operation to the cluster's own thread and waits for its reply, so the
// engine loop and the fault loop may both call it.
unsafe impl Send for MockCluster {}
unsafe impl Sync for MockCluster {}

impl Drop for MockCluster {
    fn drop(&mut self) {
        // SAFETY: `mock` came from rd_kafka_mock_cluster_new and is destroyed
        // once, before the client it was made in.
        unsafe { rdsys::rd_kafka_mock_cluster_destroy(self.mock) }
    }
}

/// A librdkafka error code as a result.
fn checked(err: rdsys::rd_kafka_resp_err_t) -> Result<(), MockError> {
    if err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    // SAFETY: rd_kafka_err2str returns a static string for any code.
    let text = unsafe { CStr::from_ptr(rdsys::rd_kafka_err2str(err)) };
    Err(MockError::Refused(text.to_string_lossy().into_owned()))
}

fn c_string(text: &str) -> Result<CString, MockError> {
    CString::new(text).map_err(|_| MockError::NulByte(text.to_string()))
}

impl MockCluster {
    /// Starts `brokers` brokers with no topics.
    pub fn start(brokers: i32) -> Result<MockCluster, MockError> {
        let client: BaseProducer = ClientConfig::new()
            .create()
            .map_err(|e| MockError::Client(e.to_string()))?;
        // SAFETY: the client's handle is valid while `client` lives, and the
        // cluster is destroyed before it (Drop).
        let mock =
            unsafe { rdsys::rd_kafka_mock_cluster_new(client.client().native_ptr(), brokers) };
        if mock.is_null() {
            return Err(MockError::NotStarted);
        }
        Ok(MockCluster {
            mock,
            _client: client,
        })
    }

    pub fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        replication: i32,
    ) -> Result<(), MockError> {
        let name = c_string(topic)?;
        // SAFETY: `mock` is live, `name` outlives the call.
        checked(unsafe {
            rdsys::rd_kafka_mock_topic_create(self.mock, name.as_ptr(), partitions, replication)
        })
    }

    pub fn set_down(&self, broker: i32) -> Result<(), MockError> {
        // SAFETY: `mock` is live.
        checked(unsafe { rdsys::rd_kafka_mock_broker_set_down(self.mock, broker) })
    }

    pub fn set_up(&self, broker: i32) -> Result<(), MockError> {
        // SAFETY: `mock` is live.
        checked(unsafe { rdsys::rd_kafka_mock_broker_set_up(self.mock, broker) })
    }

    /// Every response from the broker comes `ms` later.
    pub fn set_rtt(&self, broker: i32, ms: u32) -> Result<(), MockError> {
        let ms = c_int::try_from(ms).unwrap_or(c_int::MAX);
        // SAFETY: `mock` is live.
        checked(unsafe { rdsys::rd_kafka_mock_broker_set_rtt(self.mock, broker, ms) })
    }

    /// The broker's next request of kind `api` is handled, and answered
    /// without error `rtt_ms` late.
    pub fn push_late_answer(&self, broker: i32, api: i16, rtt_ms: u32) -> Result<(), MockError> {
        let rtt = c_int::try_from(rtt_ms).unwrap_or(c_int::MAX);
        // SAFETY: `mock` is live.
        checked(unsafe {
            rdsys::rd_kafka_mock_broker_push_request_error_rtts(
                self.mock,
                broker,
                api,
                1,
                rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR as c_int,
                rtt,
            )
        })
    }

    /// The next requests of kind `api`, to any broker, are refused with
    /// these Kafka error codes, one each.
    pub fn push_errors(&self, api: i16, codes: &[i16]) {
        let codes: Vec<c_int> = codes.iter().map(|c| c_int::from(*c)).collect();
        // SAFETY: `mock` is live; `codes` outlives the call and holds
        // codes.len() codes.
        unsafe {
            rdsys::rd_kafka_mock_push_request_errors_array(
                self.mock,
                api,
                codes.len(),
                codes.as_ptr().cast(),
            )
        }
    }

    pub fn set_leader(&self, topic: &str, partition: i32, broker: i32) -> Result<(), MockError> {
        let name = c_string(topic)?;
        // SAFETY: `mock` is live, `name` outlives the call.
        checked(unsafe {
            rdsys::rd_kafka_mock_partition_set_leader(self.mock, name.as_ptr(), partition, broker)
        })
    }

    /// How many answers of kind `api` still wait on the broker's stack.
    pub fn waiting(&self, broker: i32, api: i16) -> Option<usize> {
        let mut count: usize = 0;
        // SAFETY: `mock` is live; `count` outlives the call.
        checked(unsafe {
            rdsys::rd_kafka_mock_broker_error_stack_cnt(self.mock, broker, api, &mut count)
        })
        .ok()
        .map(|()| count)
    }

    /// Drops the errors waiting for requests of kind `api`.
    pub fn clear_errors(&self, api: i16) {
        // SAFETY: `mock` is live.
        unsafe { rdsys::rd_kafka_mock_clear_request_errors(self.mock, api) }
    }

    /// The address other clients can connect to.
    pub fn bootstrap_servers(&self) -> String {
        // SAFETY: `mock` is live; the string is the cluster's own.
        unsafe { CStr::from_ptr(rdsys::rd_kafka_mock_cluster_bootstraps(self.mock)) }
            .to_string_lossy()
            .into_owned()
    }
}
