//! Typed producer settings under the Java client's names: what each maps to in
//! librdkafka, its default, how a value is validated, and how the whole set
//! becomes an rdkafka `ClientConfig`.

use std::collections::BTreeMap;

use rdkafka::types::RDKafkaConfRes;
use rdkafka::ClientConfig;
use thiserror::Error;

use super::partition::{Partitioner, Rules, RulesError, Strategy, KPROD_PARTITIONERS};

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `0`, `1`, `all` (or `-1`).
    Acks,
    /// A whole number in an inclusive range.
    Int {
        min: i64,
        max: i64,
    },
    /// Bytes under the Java name, in an inclusive range; librdkafka's
    /// property counts KiB.
    BytesAsKib {
        min: i64,
        max: i64,
    },
    Bool,
    Choice(&'static [&'static str]),
    /// A file path; empty for none.
    Path,
    /// Free text; empty for none (nothing is given to librdkafka then).
    Text,
}

/// One setting kprod knows by its Java name.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The Java client's name, the one users know and kprod shows first.
    pub java: &'static str,
    /// The librdkafka properties it is set through, all to its value (none:
    /// kprod honours it itself).
    pub librdkafka: &'static [&'static str],
    /// The Java client's default (Kafka 3.0+); kprod sets it explicitly so
    /// librdkafka behaves like the Java client unless told otherwise.
    pub default: &'static str,
    pub kind: Kind,
    /// One line a user reads to learn what the knob does.
    pub help: &'static str,
}

impl Spec {
    /// What librdkafka is given when this setting is `value`.
    fn librdkafka_value(&self, value: &str) -> String {
        match self.kind {
            Kind::BytesAsKib { .. } => {
                let bytes: i64 = value.parse().unwrap_or(0);
                ((bytes + 1023) / 1024).to_string()
            }
            // kprod picks those partitions itself; records it leaves to
            // librdkafka (no rule matched) go where the Java client's default
            // would put them.
            Kind::Choice(PARTITIONERS) if KPROD_PARTITIONERS.contains(&value) => {
                "murmur2_random".into()
            }
            _ => value.into(),
        }
    }

    /// The librdkafka properties it maps to, as shown to users.
    pub fn maps_to(&self) -> String {
        match self.librdkafka {
            [] => "(kprod)".into(),
            names => names.join(" + "),
        }
    }
}

const PARTITIONERS: &[&str] = &[
    "java_default",
    "murmur2_random",
    "murmur2",
    "consistent_random",
    "consistent",
    "fnv1a_random",
    "fnv1a",
    "random",
    "round_robin",
    "uniform_sticky",
    "rules",
];

/// The values of compression.type.
pub const CODECS: &[&str] = &["none", "gzip", "snappy", "lz4", "zstd"];

/// The settings shown in the settings pane, in the order shown.
pub const SPECS: &[Spec] = &[
    Spec {
        java: "acks",
        librdkafka: &["acks"],
        default: "all",
        kind: Kind::Acks,
        help: "How many replicas must have the record before the broker acks: 0 (no ack, no offset), 1 (leader), all (every in-sync replica).",
    },
    Spec {
        java: "linger.ms",
        librdkafka: &["queue.buffering.max.ms"],
        default: "5",
        kind: Kind::Int { min: 0, max: 900_000 },
        help: "How long a batch may wait for more records before it is sent: more batching, more latency.",
    },
    Spec {
        java: "batch.size",
        librdkafka: &["batch.size"],
        default: "16384",
        kind: Kind::Int { min: 1, max: 2_147_483_647 },
        help: "Most bytes in one batch per partition; a full batch is sent without waiting for linger.ms.",
    },
    Spec {
        java: "compression.type",
        librdkafka: &["compression.codec"],
        default: "none",
        kind: Kind::Choice(CODECS),
        help: "Codec applied to each batch before it goes on the wire.",
    },
    Spec {
        java: "enable.idempotence",
        librdkafka: &["enable.idempotence"],
        default: "true",
        kind: Kind::Bool,
        help: "Producer id + per-partition sequence numbers so the broker drops duplicates from retries; needs acks=all.",
    },
    Spec {
        java: "retries",
        librdkafka: &["message.send.max.retries"],
        default: "2147483647",
        kind: Kind::Int { min: 0, max: 2_147_483_647 },
        help: "How many times a failed produce request is retried (delivery.timeout.ms still bounds the total).",
    },
    Spec {
        java: "retry.backoff.ms",
        librdkafka: &["retry.backoff.ms"],
        default: "100",
        kind: Kind::Int { min: 1, max: 300_000 },
        help: "Wait before retrying a failed produce request.",
    },
    Spec {
        java: "request.timeout.ms",
        // librdkafka's request.timeout.ms is only the broker's wait for
        // replicas; its own wait for the answer is socket.timeout.ms.
        librdkafka: &["request.timeout.ms", "socket.timeout.ms"],
        default: "30000",
        kind: Kind::Int { min: 10, max: 300_000 },
        help: "How long the producer waits for the broker's answer to one produce request, then retries. librdkafka splits the Java meaning: its request.timeout.ms only tells the broker how long to wait for replicas, and it waits socket.timeout.ms for the answer; kprod sets both.",
    },
    Spec {
        java: "delivery.timeout.ms",
        librdkafka: &["message.timeout.ms"],
        default: "120000",
        kind: Kind::Int { min: 0, max: 2_147_483_647 },
        help: "Upper bound on the time from send to ack or failure, retries included; must be >= linger.ms + request.timeout.ms.",
    },
    Spec {
        java: "max.in.flight.requests.per.connection",
        librdkafka: &["max.in.flight.requests.per.connection"],
        default: "5",
        kind: Kind::Int { min: 1, max: 1_000_000 },
        help: "Unanswered requests allowed per broker; above 1 with retries and no idempotence, order can break.",
    },
    Spec {
        java: "buffer.memory",
        librdkafka: &["queue.buffering.max.kbytes"],
        default: "33554432",
        kind: Kind::BytesAsKib { min: 1024, max: 2_147_483_647 * 1024 },
        help: "How many bytes of records may wait to be sent; when full, kprod holds the next record back until there is room (the Java client blocks send for the same reason). librdkafka counts this in KiB: kprod sets queue.buffering.max.kbytes to it / 1024, rounded up.",
    },
    Spec {
        java: "max.block.ms",
        // librdkafka never blocks a send: a full queue refuses the record
        // at once, and kprod waits for room itself, this long at most.
        librdkafka: &[],
        default: "60000",
        kind: Kind::Int { min: 0, max: 2_147_483_647 },
        help: "How long a send may wait for room when buffer.memory is full; then the record fails (QUEUE_FULL), as the Java client's send() throws after max.block.ms. kprod runs the wait itself (librdkafka refuses a record at once when its queue is full); it bounds only this wait: init, commit and abort wait up to transaction.timeout.ms.",
    },
    Spec {
        java: "partitioner",
        librdkafka: &["partitioner"],
        default: "java_default",
        kind: Kind::Choice(PARTITIONERS),
        help: "The default is the Java client's, because that is what the rest of your system does: murmur2 of the serialized key (librdkafka's murmur2_random), so a key lands where Java producers put it; keyless records stick to one partition until batch.size bytes went there. librdkafka's own default, consistent_random (crc32), puts keys elsewhere; its murmur2_random moves keyless records on by time (sticky.partitioning.linger.ms). kprod runs round_robin, uniform_sticky and rules itself.",
    },
    Spec {
        java: "partitioner.rules",
        librdkafka: &[],
        default: "",
        kind: Kind::Path,
        help: "Rule file for partitioner=rules ('key starts-with VIP- -> 5'; first match wins, no match: murmur2).",
    },
    Spec {
        java: "transactional.id",
        librdkafka: &["transactional.id"],
        default: "",
        kind: Kind::Text,
        help: "Makes the producer transactional: records go out between begin and commit (or abort), all or none visible to read_committed readers. Forces enable.idempotence=true (and with it acks=all). A second producer with the same id fences this one.",
    },
    Spec {
        java: "transaction.timeout.ms",
        librdkafka: &["transaction.timeout.ms"],
        default: "60000",
        kind: Kind::Int { min: 1000, max: 2_147_483_647 },
        help: "How long a transaction may stay open before the broker aborts it (capped by the broker's transaction.max.timeout.ms, 15 minutes by default).",
    },
];

/// Whose defaults the settings are held against (concept 22): the Java
/// client's now (Kafka 4.x, kprod's own), of Kafka 3.x (linger.ms was 0
/// until 4.0), of Kafka 2.8 (before 3.0 made acks=all and idempotence the
/// default), or librdkafka's, asked of the library kprod runs. The Java
/// presets keep kprod's java_default partitioner: 2.8's sticky partitioner
/// moved keyless records on at each new batch, not after batch.size bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Defaults {
    #[default]
    Java,
    Java3,
    Java28,
    Librdkafka,
}

impl Defaults {
    pub fn name(self) -> &'static str {
        match self {
            Defaults::Java => "Java 4.x",
            Defaults::Java3 => "Java 3.x",
            Defaults::Java28 => "Java 2.8",
            Defaults::Librdkafka => "librdkafka",
        }
    }

    /// The next preset, in the order above, round.
    pub fn next(self) -> Defaults {
        match self {
            Defaults::Java => Defaults::Java3,
            Defaults::Java3 => Defaults::Java28,
            Defaults::Java28 => Defaults::Librdkafka,
            Defaults::Librdkafka => Defaults::Java,
        }
    }

    /// The default of `spec` under these defaults, as a value of the
    /// setting (acks=all, bytes for buffer.memory).
    pub fn of(self, spec: &Spec) -> String {
        match (self, spec.java) {
            (Defaults::Java3 | Defaults::Java28, "linger.ms") => "0".into(),
            (Defaults::Java28, "acks") => "1".into(),
            (Defaults::Java28, "enable.idempotence") => "false".into(),
            (Defaults::Librdkafka, _) => librdkafka_default(spec),
            _ => spec.default.into(),
        }
    }

    /// Every known setting at these defaults; extras are left alone.
    pub fn apply_to(self, settings: &mut Settings) -> Result<(), SettingError> {
        for spec in SPECS {
            settings.set(spec.java, &self.of(spec))?;
        }
        Ok(())
    }
}

/// librdkafka's own default for `spec`, in the setting's terms, as the
/// library reports it (no table kept here to drift from it).
fn librdkafka_default(spec: &Spec) -> String {
    // Asked once: a configuration object a question is cheap, but the
    // settings pane asks every frame.
    static ASKED: std::sync::OnceLock<BTreeMap<&'static str, String>> = std::sync::OnceLock::new();
    let asked = ASKED.get_or_init(|| {
        // Topic-level properties (acks, partitioner) are answered from
        // the default topic configuration, which librdkafka makes only
        // once one is set: auto.offset.reset, a consumer's, set to its own
        // default, makes it and changes nothing asked here.
        let Ok(native) = ClientConfig::new()
            .set("auto.offset.reset", "largest")
            .create_native_config()
        else {
            return BTreeMap::new();
        };
        SPECS
            .iter()
            .filter_map(|s| Some((s.java, native.get(s.librdkafka.first()?).ok()?)))
            .collect()
    });
    let value = asked.get(spec.java).cloned();
    match (value, spec.kind) {
        // A property librdkafka has no default for, or one kprod runs.
        (None, _) => spec.default.into(),
        (Some(v), Kind::Acks) if v == "-1" => "all".into(),
        (Some(v), Kind::BytesAsKib { .. }) => {
            v.parse::<i64>().map_or(v, |kib| (kib * 1024).to_string())
        }
        (Some(v), _) => v,
    }
}

/// Java settings librdkafka cannot honour, and what to do instead. kprod refuses
/// them with this reason rather than pass them on or drop them silently.
/// Properties that hold a secret though their names do not say so.
const SECRETS: &[&str] = &["sasl.jaas.config", "sasl.oauthbearer.client.secret"];

/// Whether a property's value is a secret, never to be shown or written:
/// the SASL and TLS passwords, the JAAS line that carries one, and any
/// property whose name says password or secret.
pub fn is_secret(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    SECRETS.contains(&name.as_str())
        || name.contains("password")
        || name.contains("secret")
        // basic.auth.user.info: the schema registry's USER:PASSWORD.
        || name.ends_with("user.info")
}

/// What kprod shows of a property's value: the value itself, or a mask of
/// fixed length for a secret (its length would tell something too).
pub fn shown<'a>(name: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
    match is_secret(name) && !value.is_empty() {
        true => std::borrow::Cow::Borrowed(MASK),
        false => std::borrow::Cow::Borrowed(value),
    }
}

/// A secret as kprod shows it.
pub const MASK: &str = "********";

const UNSUPPORTED: &[(&str, &str)] = &[
    ("partitioner.class", "Java partitioner classes cannot run inside librdkafka: set `partitioner` (java_default is what the Java client's default does)"),
    ("key.serializer", "kprod serializes in the composer, not through a Java class"),
    ("value.serializer", "kprod serializes in the composer, not through a Java class"),
    ("interceptor.classes", "Java interceptor classes cannot run inside librdkafka"),
];

/// Properties that name the brokers, which kprod takes from its front end
/// rather than from the producer's settings.
const BROKER_LISTS: &[&str] = &["bootstrap.servers", "metadata.broker.list"];

/// Why a setting or a set of settings was refused, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingError {
    #[error("{name}: '{value}' is not valid: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
    #[error("{name} cannot be honoured: {reason}")]
    Unsupported { name: String, reason: String },
    /// The brokers are not a producer setting (a front end says how it
    /// takes them).
    #[error("{0} cannot be honoured: the brokers are not a producer setting")]
    Brokers(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Security(#[from] crate::security::SecurityError),
    #[error("'{0}' is not name=value")]
    Syntax(String),
    #[error("'{0}' is no setting: neither a Java producer setting kprod knows nor a librdkafka property")]
    Unknown(String),
}

/// Finds a known setting by its Java name or by the librdkafka property (or
/// alias) it maps to, so `linger.ms` and `queue.buffering.max.ms` are one row.
pub fn spec(name: &str) -> Option<&'static Spec> {
    let alias = match name {
        "max.in.flight" => "max.in.flight.requests.per.connection",
        "request.required.acks" => "acks",
        other => other,
    };
    SPECS
        .iter()
        .find(|s| s.java == alias || s.librdkafka.contains(&alias))
}

/// A value given under a librdkafka name that counts KiB, in bytes for the
/// Java row it sets.
fn kib_to_bytes(name: &str, value: &str) -> Result<String, SettingError> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|kib| kib.checked_mul(1024))
        .map(|bytes| bytes.to_string())
        .ok_or_else(|| SettingError::Invalid {
            name: name.into(),
            value: value.trim().into(),
            reason: "a whole number of KiB is needed".into(),
        })
}

/// Checks one value against its setting's kind and returns the normalised value.
pub fn validate(spec: &Spec, raw: &str) -> Result<String, SettingError> {
    let value = raw.trim();
    let invalid = |reason: String| SettingError::Invalid {
        name: spec.java.to_string(),
        value: value.to_string(),
        reason,
    };
    match spec.kind {
        Kind::Acks => match value.to_ascii_lowercase().as_str() {
            "all" | "-1" => Ok("all".into()),
            "0" | "1" => Ok(value.into()),
            _ => Err(invalid("acks is 0, 1 or all (-1)".into())),
        },
        Kind::Int { min, max } | Kind::BytesAsKib { min, max } => {
            if value.is_empty() {
                return Err(invalid("a whole number is needed".into()));
            }
            let n: i64 = match value.parse() {
                Ok(n) => n,
                Err(e) => {
                    let why = match e.kind() {
                        std::num::IntErrorKind::PosOverflow
                        | std::num::IntErrorKind::NegOverflow => {
                            format!("out of range: must be between {min} and {max}")
                        }
                        _ => "not a whole number".into(),
                    };
                    return Err(invalid(why));
                }
            };
            if n < min || n > max {
                return Err(invalid(format!("must be between {min} and {max}")));
            }
            Ok(n.to_string())
        }
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "true" => Ok("true".into()),
            "false" => Ok("false".into()),
            _ => Err(invalid("true or false".into())),
        },
        Kind::Choice(options) => {
            let lower = value.to_ascii_lowercase();
            if options.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(invalid(format!("one of {}", options.join(", "))))
            }
        }
        Kind::Path | Kind::Text => Ok(value.to_string()),
    }
}

/// A complete set of producer settings: every known setting has a value (its
/// default until changed), plus any other librdkafka properties by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    values: BTreeMap<&'static str, String>,
    extras: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            values: SPECS
                .iter()
                .map(|s| (s.java, s.default.to_string()))
                .collect(),
            extras: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// The current value of a known setting (Java name) or extra property.
    pub fn get(&self, name: &str) -> Option<&str> {
        match spec(name) {
            Some(s) => self.values.get(s.java).map(String::as_str),
            None => self.extras.get(name).map(String::as_str),
        }
    }

    /// The extra librdkafka properties, by name.
    pub fn extras(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extras.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sets one value, by Java name, librdkafka name, or any other librdkafka
    /// property; refuses what is invalid or cannot be honoured.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SettingError> {
        let name = name.trim();
        if let Some(s) = spec(name) {
            let value = match s.kind {
                Kind::BytesAsKib { .. } if name != s.java => kib_to_bytes(name, value)?,
                _ => value.to_string(),
            };
            let v = validate(s, &value)?;
            self.values.insert(s.java, v);
            return Ok(());
        }
        if BROKER_LISTS.contains(&name) {
            return Err(SettingError::Brokers(name.into()));
        }
        if let Some((_, reason)) = UNSUPPORTED.iter().find(|(n, _)| *n == name) {
            return Err(SettingError::Unsupported {
                name: name.into(),
                reason: (*reason).into(),
            });
        }
        if name.is_empty() {
            return Err(SettingError::Syntax(format!("={value}")));
        }
        // The schema serializers' settings are kprod's own, not librdkafka's:
        // kept, read by schema::registry::Config, never given to a client.
        if crate::schema::registry::is_setting(name) {
            crate::schema::registry::Config::from_settings([(name, value)]).map_err(|e| {
                SettingError::Invalid {
                    name: name.into(),
                    value: shown(name, value.trim()).into(),
                    reason: e.to_string(),
                }
            })?;
            self.extras.insert(name.into(), value.trim().into());
            return Ok(());
        }
        // A Java security setting librdkafka would refuse as it stands: kept
        // under its Java name, and translated when a client is made.
        if crate::security::is_java_name(name) {
            crate::security::check_value(name, value)?;
            self.extras.insert(name.into(), value.trim().into());
            return Ok(());
        }
        // librdkafka knows its own properties and their ranges: ask it.
        let mut probe = ClientConfig::new();
        probe.set(name, value.trim());
        if let Err(e) = probe.create_native_config() {
            if let rdkafka::error::KafkaError::ClientConfig(
                RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN,
                ..,
            ) = e
            {
                return Err(SettingError::Unknown(name.into()));
            }
            let mut reason = librdkafka_reason(&e);
            if is_secret(name) && !value.trim().is_empty() {
                reason = reason.replace(value.trim(), MASK);
            }
            return Err(SettingError::Invalid {
                name: name.into(),
                value: shown(name, value.trim()).into(),
                reason,
            });
        }
        self.extras.insert(name.into(), value.trim().into());
        Ok(())
    }

    /// Parses `name=value` and sets it, as `-X` and the settings pane do.
    pub fn set_pair(&mut self, pair: &str) -> Result<(), SettingError> {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| SettingError::Syntax(pair.into()))?;
        self.set(name, value)
    }

    /// Puts a known setting back to its default, or removes an extra property.
    pub fn reset(&mut self, name: &str) {
        match spec(name) {
            Some(s) => {
                self.values.insert(s.java, s.default.into());
            }
            None => {
                self.extras.remove(name);
            }
        }
    }

    /// enable.idempotence, which a transactional producer always is.
    pub fn idempotent(&self) -> bool {
        self.get("enable.idempotence") == Some("true") || self.transactional_id().is_some()
    }

    /// transactional.id, when one is set.
    pub fn transactional_id(&self) -> Option<&str> {
        self.get("transactional.id").filter(|v| !v.is_empty())
    }

    /// Whether delivery.timeout.ms is above transaction.timeout.ms for a
    /// transactional producer, which librdkafka refuses: kprod gives it
    /// transaction.timeout.ms instead.
    fn delivery_capped(&self) -> bool {
        self.transactional_id().is_some()
            && self.int("delivery.timeout.ms") > self.int("transaction.timeout.ms")
    }

    /// For a transactional producer whose request.timeout.ms is above
    /// transaction.timeout.ms + 100, which librdkafka refuses as its
    /// socket.timeout.ms: the value kprod gives socket.timeout.ms instead.
    fn socket_capped(&self) -> Option<i64> {
        let most = self.int("transaction.timeout.ms") + 100;
        (self.transactional_id().is_some() && self.int("request.timeout.ms") > most).then_some(most)
    }

    /// transaction.timeout.ms.
    /// How long a send waits for room in a full queue.
    pub fn max_block(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.int("max.block.ms").max(0) as u64)
    }

    pub fn transaction_timeout_ms(&self) -> u32 {
        u32::try_from(self.int("transaction.timeout.ms")).unwrap_or(60_000)
    }

    /// What other settings make of this one's value, when they override
    /// it: (the value in force, why). transactional.id forces idempotence.
    pub fn forced(&self, name: &str) -> Option<(String, String)> {
        let id = self.transactional_id()?;
        match spec(name)?.java {
            "enable.idempotence" => Some((
                "true".into(),
                format!("forced by transactional.id={id}: a transactional producer is idempotent"),
            )),
            "acks" => Some((
                "all".into(),
                format!("needed by transactional.id={id} (idempotence needs acks=all)"),
            )),
            "request.timeout.ms" if self.socket_capped().is_some() => Some((
                format!("{} (socket.timeout.ms)", self.socket_capped().unwrap_or_default()),
                format!("librdkafka's wait for an answer (socket.timeout.ms) lowered to transaction.timeout.ms + 100 for transactional.id={id}: librdkafka refuses more"),
            )),
            "delivery.timeout.ms" if self.delivery_capped() => Some((
                self.values["transaction.timeout.ms"].clone(),
                format!("lowered to transaction.timeout.ms for transactional.id={id}: librdkafka refuses a message.timeout.ms above it (the Java client does not)"),
            )),
            _ => None,
        }
    }

    /// request.timeout.ms.
    pub fn request_timeout_ms(&self) -> u32 {
        u32::try_from(self.int("request.timeout.ms")).unwrap_or(30_000)
    }

    /// delivery.timeout.ms, as given to librdkafka (see delivery_capped).
    pub fn delivery_timeout_ms(&self) -> u32 {
        let ms = match self.delivery_capped() {
            true => self.int("transaction.timeout.ms"),
            false => self.int("delivery.timeout.ms"),
        };
        u32::try_from(ms).unwrap_or(120_000)
    }

    /// librdkafka's debug contexts asked for (`debug`), in order.
    pub fn debug_contexts(&self) -> Vec<&str> {
        self.get("debug")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// Has librdkafka report its statistics this often (a known-good
    /// librdkafka property, so nothing to refuse).
    pub fn set_statistics_interval_ms(&mut self, ms: u32) {
        self.extras
            .insert("statistics.interval.ms".into(), ms.to_string());
    }

    /// security.protocol, PLAINTEXT (librdkafka's default) when not given.
    pub fn security_protocol(&self) -> &str {
        self.get("security.protocol").unwrap_or("plaintext")
    }

    fn int(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    /// Rules between settings, as the Java client enforces them.
    pub fn check(&self) -> Result<(), SettingError> {
        let linger = self.int("linger.ms");
        let request = self.int("request.timeout.ms");
        let delivery = self.int("delivery.timeout.ms");
        if delivery != 0 && delivery < linger + request {
            return Err(SettingError::Conflict(format!(
                "delivery.timeout.ms ({delivery}) must be at least linger.ms + request.timeout.ms ({linger} + {request} = {})",
                linger + request
            )));
        }
        if self.get("partitioner") == Some("rules") && self.get("partitioner.rules") == Some("") {
            return Err(SettingError::Conflict(
                "partitioner=rules needs a rule file: set partitioner.rules to one".into(),
            ));
        }
        if let Some(id) = self.transactional_id() {
            // As the Java client refuses it: a transaction needs idempotence.
            if self.get("enable.idempotence") == Some("false") {
                return Err(SettingError::Conflict(format!(
                    "transactional.id={id} needs enable.idempotence=true (a transactional producer is idempotent): set enable.idempotence=true or clear transactional.id"
                )));
            }
        }
        if self.idempotent() {
            if self.get("acks") != Some("all") {
                return Err(SettingError::Conflict(format!(
                    "enable.idempotence=true needs acks=all (acks is {}): set acks=all or enable.idempotence=false",
                    self.get("acks").unwrap_or("?")
                )));
            }
            let inflight = self.int("max.in.flight.requests.per.connection");
            if inflight > 5 {
                return Err(SettingError::Conflict(format!(
                    "enable.idempotence=true needs max.in.flight.requests.per.connection <= 5 (it is {inflight})"
                )));
            }
            if self.int("retries") == 0 {
                return Err(SettingError::Conflict(
                    "enable.idempotence=true needs retries > 0".into(),
                ));
            }
        }
        Ok(())
    }

    /// What differs from `before`, one `name: old -> new` line each.
    pub fn changes_from(&self, before: &Settings) -> Vec<String> {
        let mut out = Vec::new();
        for s in SPECS {
            let (old, new) = (&before.values[s.java], &self.values[s.java]);
            let told = |v: &str| {
                if v.is_empty() {
                    "(none)".to_string()
                } else {
                    shown(s.java, v).into_owned()
                }
            };
            if old != new {
                out.push(format!("{}: {} -> {}", s.java, told(old), told(new)));
            }
        }
        for (k, v) in &self.extras {
            let (new, old) = (shown(k, v), before.extras.get(k).map(|o| shown(k, o)));
            match before.extras.get(k) {
                Some(o) if o == v => {}
                Some(_) => out.push(format!("{k}: {} -> {new}", old.unwrap_or_default())),
                None => out.push(format!("{k}: (unset) -> {new}")),
            }
        }
        for (k, old) in &before.extras {
            if !self.extras.contains_key(k) {
                out.push(format!("{k}: {} -> (unset)", shown(k, old)));
            }
        }
        out
    }

    /// The librdkafka configuration for these settings. Every known setting is
    /// set explicitly, so the Java defaults hold rather than librdkafka's.
    pub fn client_config(&self, bootstrap: &str) -> ClientConfig {
        let mut cfg = self.known_config(bootstrap);
        for (k, v) in self.librdkafka_extras() {
            cfg.set(k, v);
        }
        cfg
    }

    /// The known settings under librdkafka's names, without the extra
    /// properties: a Connection adds those as it translated them.
    pub fn known_config(&self, bootstrap: &str) -> ClientConfig {
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", bootstrap);
        for s in SPECS {
            let value = s.librdkafka_value(&self.values[s.java]);
            // No transactional.id is no property at all: librdkafka takes
            // an empty one as an id.
            if s.kind == Kind::Text && value.is_empty() {
                continue;
            }
            for name in s.librdkafka {
                cfg.set(*name, &value);
            }
        }
        if self.delivery_capped() {
            cfg.set("message.timeout.ms", self.delivery_timeout_ms().to_string());
        }
        if let Some(ms) = self.socket_capped() {
            cfg.set("socket.timeout.ms", ms.to_string());
        }
        cfg
    }

    /// The Java security settings given (sasl.jaas.config, truststores,
    /// keystores...) as the librdkafka properties that do the same; reads
    /// the stores named.
    pub fn translated(
        &self,
    ) -> Result<crate::security::Translation, crate::security::SecurityError> {
        crate::security::translate(self.extras())
    }

    /// The extra properties as librdkafka takes them: as given, with the
    /// Java security settings translated. A translation that fails here
    /// (a store gone since it was checked) passes the Java names on, which
    /// librdkafka refuses by name, rather than connecting without them.
    pub fn librdkafka_extras(&self) -> Vec<(String, String)> {
        self.librdkafka_extras_checked().0
    }

    /// librdkafka_extras, with why the Java security settings could not be
    /// translated when they could not (one translation serves both).
    pub fn librdkafka_extras_checked(
        &self,
    ) -> (
        Vec<(String, String)>,
        Option<crate::security::SecurityError>,
    ) {
        let java = |k: &str| crate::security::is_java_name(k);
        let ours = |k: &str| crate::schema::registry::is_setting(k);
        let extras = self.extras.iter().filter(|(k, _)| !ours(k));
        match self.translated() {
            Ok(t) => (
                extras
                    .clone()
                    .filter(|(k, _)| !java(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .chain(
                        t.properties
                            .into_iter()
                            .map(|m| (m.to.to_string(), m.value)),
                    )
                    .collect(),
                None,
            ),
            Err(e) => (
                extras.map(|(k, v)| (k.clone(), v.clone())).collect(),
                Some(e),
            ),
        }
    }

    /// partitioner.rules: the rule file, when one is named.
    pub fn rules_file(&self) -> Option<&str> {
        self.get("partitioner.rules").filter(|p| !p.is_empty())
    }

    /// partitioner=rules, reading the rules from `path`.
    pub fn use_rules(&mut self, path: &str) -> Result<(), SettingError> {
        self.set("partitioner.rules", path)?;
        self.set("partitioner", "rules")
    }

    /// How often librdkafka's statistics come, in ms: the
    /// statistics.interval.ms property, or the interval kprod sets when it
    /// is not given. 0 means never.
    pub fn statistics_interval_ms(&self) -> u64 {
        self.get("statistics.interval.ms")
            .and_then(|v| v.parse().ok())
            .unwrap_or(crate::stats::INTERVAL_MS)
    }
}

/// Why the partitioner asked for cannot be made: its rule file.
#[derive(Debug, Clone, Error)]
pub enum PartitionerError {
    #[error("partitioner.rules: cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
    #[error("partitioner.rules: {path}: {source}")]
    Rules {
        path: String,
        #[source]
        source: RulesError,
    },
}

impl Settings {
    /// The partitioner these settings ask for; a rule file is read and
    /// checked here, so an error names the file and the line.
    pub fn partitioner(&self) -> Result<Partitioner, PartitionerError> {
        let strategy = match self.get("partitioner").unwrap_or("") {
            "java_default" => Strategy::JavaDefault,
            "round_robin" => Strategy::RoundRobin,
            "uniform_sticky" => Strategy::UniformSticky,
            "rules" => {
                let path = self.get("partitioner.rules").unwrap_or("");
                let text = std::fs::read_to_string(path).map_err(|e| PartitionerError::Read {
                    path: path.into(),
                    source: std::sync::Arc::new(e),
                })?;
                Strategy::Rules(
                    Rules::parse(&text).map_err(|source| PartitionerError::Rules {
                        path: path.into(),
                        source,
                    })?,
                )
            }
            _ => Strategy::Librdkafka,
        };
        Ok(Partitioner::new(strategy, self.int("batch.size") as u64))
    }
}

/// librdkafka's configuration errors, without rdkafka's wrapper text.
/// librdkafka's own sentence, without rdkafka's tail that repeats the
/// property and its value after it.
fn librdkafka_reason(e: &rdkafka::error::KafkaError) -> String {
    match e {
        rdkafka::error::KafkaError::ClientConfig(_, reason, ..) => reason.trim().to_string(),
        other => other.to_string(),
    }
}
