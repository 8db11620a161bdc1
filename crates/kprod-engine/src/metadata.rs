//! The cluster's metadata, asked for in one way: what brokers and topics
//! it has, each topic's partitions, and a cache of partition counts for
//! kprod's own partitioners.

use foldhash::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::{Client, ClientContext};
use rdkafka::consumer::{BaseConsumer, Consumer};
use thiserror::Error;

use crate::connection::Connection;
use crate::event::{ClusterInfo, PartitionInfo, TopicInfo};
use crate::sync::lock;

/// How long a metadata request may take before it counts as failed.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Why the cluster's metadata could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MetadataError {
    #[error("cannot create a client to ask: {0}")]
    Client(String),
    /// librdkafka's name for the error (or its text when it has none).
    #[error("{0}")]
    Unanswered(String),
}

/// One broker as the metadata names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

/// One metadata answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Sorted by id.
    pub brokers: Vec<Broker>,
    /// Topics without an error, sorted by name, their partitions by id.
    pub topics: Vec<TopicInfo>,
    /// The broker that answered; below 0 for a bootstrap server.
    pub answered_by: i32,
}

impl Snapshot {
    pub fn info(&self) -> ClusterInfo {
        ClusterInfo {
            brokers: self.brokers.iter().map(|b| b.id).collect(),
            topics: self.topics.clone(),
        }
    }

    pub fn topic(&self, name: &str) -> Option<&TopicInfo> {
        self.topics.iter().find(|t| t.name == name)
    }
}

/// Asks through a client kprod already has; `topic` None asks for every
/// topic (and creates none by asking). Blocks up to `timeout`.
pub fn ask<C: ClientContext>(
    client: &Client<C>,
    topic: Option<&str>,
    timeout: Duration,
) -> Result<Snapshot, MetadataError> {
    let md = client.fetch_metadata(topic, timeout).map_err(|e| {
        MetadataError::Unanswered(match e.rdkafka_error_code() {
            Some(code) => code.to_string(),
            None => e.to_string(),
        })
    })?;
    let mut topics: Vec<TopicInfo> = md
        .topics()
        .iter()
        .filter(|t| t.error().is_none())
        .map(|t| {
            let mut layout: Vec<PartitionInfo> = t
                .partitions()
                .iter()
                .map(|p| PartitionInfo {
                    id: p.id(),
                    leader: p.leader(),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                })
                .collect();
            layout.sort_by_key(|p| p.id);
            TopicInfo {
                name: t.name().to_string(),
                partitions: layout.len() as i32,
                layout,
            }
        })
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    let mut brokers: Vec<Broker> = md
        .brokers()
        .iter()
        .map(|b| Broker {
            id: b.id(),
            host: b.host().to_string(),
            port: b.port(),
        })
        .collect();
    brokers.sort_by_key(|b| b.id);
    Ok(Snapshot {
        brokers,
        topics,
        answered_by: md.orig_broker_id(),
    })
}

/// Asks the cluster with a short-lived client of its own; blocks up to
/// TIMEOUT.
pub fn query(connection: &Connection) -> Result<Snapshot, MetadataError> {
    let client: BaseConsumer = connection
        .metadata_config()
        .create()
        .map_err(|e| MetadataError::Client(e.to_string()))?;
    ask(client.client(), None, TIMEOUT)
}

/// A topic's partition count as the cluster last gave it.
struct Count {
    n: Option<i32>,
    at: Instant,
    /// The cluster is being asked again.
    asking: bool,
}

/// How long a topic's partition count is trusted before it is asked again.
const COUNT_AGE: Duration = Duration::from_secs(5);

/// How the cache asks for one topic's partition count (blocking).
pub type AskCount = Arc<dyn Fn(&str) -> Option<i32> + Send + Sync>;

/// Partition counts by topic, asked for off the async threads at most
/// every few seconds.
#[derive(Clone)]
pub struct Counts {
    known: Arc<Mutex<HashMap<String, Count>>>,
    ask: AskCount,
}

impl Counts {
    pub fn new(ask: AskCount) -> Counts {
        Counts {
            known: Arc::default(),
            ask,
        }
    }

    /// The topic's partition count; `None` while the cluster does not know
    /// the topic. Only the first ask waits for the answer: after that the
    /// count known is used while the cluster is asked again, so a slow or
    /// unreachable cluster holds no record up. `now` is the caller's clock
    /// reading: a record is stamped anyway, and a second reading cost as
    /// much as the lookup.
    pub async fn get(&self, topic: &str, now: Instant) -> Option<i32> {
        let known = match lock(&self.known).get_mut(topic) {
            Some(c) if now.saturating_duration_since(c.at) < COUNT_AGE => return c.n,
            Some(c) => Some((c.n, !std::mem::replace(&mut c.asking, true))),
            None => None,
        };
        match known {
            Some((n, again)) => {
                if again {
                    tokio::spawn(self.clone().refresh(topic.to_string()));
                }
                n
            }
            None => self.clone().refresh(topic.to_string()).await,
        }
    }

    /// Asks for the topic's partition count and keeps the answer.
    async fn refresh(self, topic: String) -> Option<i32> {
        let (ask, asked) = (self.ask.clone(), topic.clone());
        let n = tokio::task::spawn_blocking(move || ask(&asked))
            .await
            .ok()
            .flatten();
        let count = Count {
            n,
            at: Instant::now(),
            asking: false,
        };
        lock(&self.known).insert(topic, count);
        n
    }
}
