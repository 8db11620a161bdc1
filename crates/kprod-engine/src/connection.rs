//! How every client kprod makes reaches the cluster: the producer, the
//! verifier's consumer, the admin client, metadata queries and the proxy's
//! own clients are all configured here, so a security setting given once
//! (security.protocol, sasl.*, ssl.*, client.id, ...) reaches them all.

use rdkafka::error::KafkaError;
use rdkafka::ClientConfig;
use thiserror::Error;

use crate::security::SecurityError;
use crate::settings::{PartitionerError, Settings};

/// Why a client (the producer, the admin client) could not be made.
#[derive(Debug, Clone, Error)]
pub enum ClientError {
    #[error(transparent)]
    Partitioner(#[from] PartitionerError),
    /// librdkafka refused the configuration; `client` is which one.
    #[error(transparent)]
    Security(#[from] SecurityError),
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
    /// Every extra property under librdkafka's names, the Java security
    /// settings translated once, here (reading the stores they name), for
    /// every client made from this connection.
    extras: Vec<(String, String)>,
    /// Why the Java security settings could not be translated, when they
    /// could not: `extras` then holds them as given, which librdkafka
    /// refuses by name rather than connecting without them.
    untranslated: Option<SecurityError>,
    /// Every setting, for the producer.
    settings: Settings,
}

impl Connection {
    pub fn new(bootstrap: &str, settings: &Settings) -> Connection {
        let (extras, untranslated) = settings.librdkafka_extras_checked();
        Connection {
            bootstrap: bootstrap.to_string(),
            extras,
            untranslated,
            settings: settings.clone(),
        }
    }

    /// Why the Java security settings could not be translated (a store
    /// that cannot be read or opened), if they could not.
    pub fn untranslated(&self) -> Option<&SecurityError> {
        self.untranslated.as_ref()
    }

    /// A connection property as librdkafka takes it (a Java setting's
    /// translation: sasl.username from sasl.jaas.config, say).
    pub fn property(&self, name: &str) -> Option<&str> {
        self.extras
            .iter()
            .rev()
            .find(|(k, _)| k == name && is_connection_property(k))
            .map(|(_, v)| v.as_str())
    }

    /// security.protocol, PLAINTEXT (librdkafka's default) when not given.
    pub fn security_protocol(&self) -> String {
        self.property("security.protocol")
            .unwrap_or("plaintext")
            .to_ascii_uppercase()
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
        for (k, v) in self
            .extras
            .iter()
            .filter(|(k, _)| is_connection_property(k))
        {
            cfg.set(k, v);
        }
        cfg
    }

    /// The producer's configuration: every setting, under librdkafka's names.
    pub fn producer_config(&self) -> ClientConfig {
        let mut cfg = self.settings.known_config(&self.bootstrap);
        for (k, v) in &self.extras {
            cfg.set(k, v);
        }
        cfg
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
