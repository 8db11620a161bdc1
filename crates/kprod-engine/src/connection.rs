//! How every client kprod makes reaches the cluster: the producer, the
//! verifier's consumer, the admin client, metadata queries and the proxy's
//! own clients are all configured here, so a security setting given once
//! (security.protocol, sasl.*, ssl.*, client.id, ...) reaches them all.

use rdkafka::error::KafkaError;
use rdkafka::ClientConfig;
use thiserror::Error;

use crate::settings::{PartitionerError, Settings};

/// Why a client (the producer, the admin client) could not be made.
#[derive(Debug, Clone, Error)]
pub enum ClientError {
    #[error(transparent)]
    Partitioner(#[from] PartitionerError),
    /// librdkafka refused the configuration; `client` is which one.
    #[error(transparent)]
    Security(#[from] crate::security::SecurityError),
    #[error("cannot create the {client}: {source}")]
    Create {
        client: &'static str,
        #[source]
        source: KafkaError,
    },
}

/// librdkafka properties that say how to connect rather than how to
/// produce: each client kprod makes carries them.
const CONNECTION_PROPERTIES: &[&str] = &[
    "security.protocol",
    "sasl.",
    "ssl.",
    "ssl_engine.",
    "enable.ssl.certificate.verification",
    "enable.sasl.oauthbearer.unsecure.jwt",
    "https.",
    "client.id",
    "client.rack",
    "client.dns.lookup",
    "socket.",
    "broker.address.",
    "connections.max.idle.ms",
    "reconnect.backoff",
    "api.version.",
    "broker.version.fallback",
];

/// Whether a librdkafka property is about connecting.
pub fn is_connection_property(name: &str) -> bool {
    CONNECTION_PROPERTIES
        .iter()
        .any(|p| match p.ends_with('.') {
            true => name.starts_with(p),
            false => name == *p || name.starts_with(&format!("{p}.")),
        })
}

/// Where the cluster is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    bootstrap: String,
    /// The connection properties of the settings, by librdkafka name.
    properties: Vec<(String, String)>,
    /// Every setting, for the producer.
    settings: Settings,
}

impl Connection {
    pub fn new(bootstrap: &str, settings: &Settings) -> Connection {
        Connection {
            bootstrap: bootstrap.to_string(),
            properties: settings
                .librdkafka_extras()
                .into_iter()
                .filter(|(k, _)| is_connection_property(k))
                .collect(),
            settings: settings.clone(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The same connection to another address (the proxy in front of the
    /// cluster).
    pub fn to(&self, bootstrap: &str) -> Connection {
        Connection {
            bootstrap: bootstrap.to_string(),
            ..self.clone()
        }
    }

    /// The same cluster under other settings (a rebuilt producer).
    pub fn with_settings(&self, settings: &Settings) -> Connection {
        Connection::new(&self.bootstrap, settings)
    }

    /// Bootstrap servers and every connection property: the base of every
    /// client that is not the producer.
    pub fn client_config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", &self.bootstrap);
        for (k, v) in &self.properties {
            cfg.set(k, v);
        }
        cfg
    }

    /// The producer's configuration: every setting, under librdkafka's names.
    pub fn producer_config(&self) -> ClientConfig {
        self.settings.client_config(&self.bootstrap)
    }

    /// A short-lived client that only reads metadata, quietly.
    pub fn metadata_config(&self) -> ClientConfig {
        let mut cfg = self.client_config();
        cfg.set("log_level", "0");
        cfg
    }

    /// The verifier's consumer: it reads partitions it assigns itself and
    /// commits nothing.
    pub fn verifier_config(&self) -> ClientConfig {
        let mut cfg = self.client_config();
        cfg.set("group.id", "kprod-verifier")
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            .set("fetch.wait.max.ms", "100");
        cfg
    }

    /// The admin client that creates topics.
    pub fn admin_config(&self) -> ClientConfig {
        self.client_config()
    }
}
