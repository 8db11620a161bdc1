//! Where a schema comes from: a schema registry speaking Confluent's REST
//! API (Confluent's own, Apicurio's /apis/ccompat/v7, kprod's embedded one)
//! by subject, version or id, or a local file, registered on first use as
//! the Java serializers' auto.register.schemas does. The registry's
//! refusals keep its own words.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use thiserror::Error;

use super::{Encoder, Format, Origin, SchemaError};

/// Why a schema could not be had.
#[derive(Debug, Clone, Error)]
pub enum RegistryError {
    #[error("the schema registry at {url} cannot be reached: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the schema registry refused the credentials (HTTP {status}): {message}")]
    Unauthorized { status: u16, message: String },
    #[error("the schema registry has no subject {subject}: {message}")]
    NoSubject { subject: String, message: String },
    #[error("the schema registry has no version {version} of {subject}: {message}")]
    NoVersion {
        subject: String,
        version: String,
        message: String,
    },
    #[error("the schema registry has no schema with id {id}: {message}")]
    NoId { id: u32, message: String },
    #[error("the schema registry refused the schema for {subject} as incompatible: {message}")]
    Incompatible { subject: String, message: String },
    #[error("the schema registry found the schema invalid for {subject}: {message}")]
    InvalidSchema { subject: String, message: String },
    #[error("the schema registry refused {what} (HTTP {status}): {message}")]
    Refused {
        what: String,
        status: u16,
        message: String,
    },
    #[error("the schema registry's answer to {what} is not what its API promises: {reason}")]
    BadAnswer { what: String, reason: String },
    #[error("'{0}' is not a registry URL (http://host:port)")]
    BadUrl(String),
    #[error("{setting}={value}: {reason}")]
    Setting {
        setting: String,
        value: String,
        reason: String,
    },
    #[error("the schema is {found} but the serializer is {wanted}")]
    WrongFormat {
        found: &'static str,
        wanted: &'static str,
    },
    #[error("cannot read the schema file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("{0} needs a schema registry (--schema-registry URL, or schema.registry.url) for the schema's id; {0}-raw sends records without the framing")]
    NeedsRegistry(&'static str),
    #[error("subject:NAME[:VERSION] needs a subject name")]
    NoSubjectName,
    #[error("'{0}' is not a schema version (a number or latest)")]
    BadVersion(String),
    #[error("'{0}' is not a schema id")]
    BadId(String),
    #[error("{strategy} needs a record name, and the schema has none")]
    NoRecordName { strategy: &'static str },
    #[error("the schema registry's TLS (schema.registry.ssl.*): {0}")]
    Tls(String),
    #[error("cannot start the embedded schema registry: {0}")]
    Embedded(String),
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// The serializer settings kprod takes by the Java serializers' names;
/// none of them is for librdkafka.
pub const SETTINGS: &[&str] = &[
    "schema.registry.url",
    "basic.auth.user.info",
    "schema.registry.basic.auth.user.info",
    "basic.auth.credentials.source",
    "auto.register.schemas",
    "use.latest.version",
    "key.subject.name.strategy",
    "value.subject.name.strategy",
];

/// The Java serializers' TLS settings for the registry: Kafka's ssl.*
/// names under this prefix.
pub const TLS_PREFIX: &str = "schema.registry.ssl.";

pub fn is_setting(name: &str) -> bool {
    SETTINGS.contains(&name) || name.starts_with(TLS_PREFIX)
}

/// How a subject is named from the topic and the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// TOPIC-key / TOPIC-value.
    #[default]
    TopicName,
    /// The record's full name.
    RecordName,
    /// TOPIC-RECORD.
    TopicRecordName,
}

impl Strategy {
    /// The Java class name or its last part.
    pub fn parse(name: &str) -> Option<Strategy> {
        match name.trim().rsplit('.').next()? {
            "TopicNameStrategy" => Some(Strategy::TopicName),
            "RecordNameStrategy" => Some(Strategy::RecordName),
            "TopicRecordNameStrategy" => Some(Strategy::TopicRecordName),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Strategy::TopicName => "TopicNameStrategy",
            Strategy::RecordName => "RecordNameStrategy",
            Strategy::TopicRecordName => "TopicRecordNameStrategy",
        }
    }

    pub fn subject(
        self,
        topic: &str,
        is_key: bool,
        record: Option<&str>,
    ) -> Result<String, RegistryError> {
        let record = || {
            record.ok_or(RegistryError::NoRecordName {
                strategy: self.name(),
            })
        };
        Ok(match self {
            Strategy::TopicName => format!("{topic}-{}", if is_key { "key" } else { "value" }),
            Strategy::RecordName => record()?.to_string(),
            Strategy::TopicRecordName => format!("{topic}-{}", record()?),
        })
    }
}

/// The registry settings, from the Java names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub url: Option<String>,
    pub user_info: Option<String>,
    pub auto_register: bool,
    pub use_latest: bool,
    pub key_strategy: Strategy,
    pub value_strategy: Strategy,
    /// schema.registry.ssl.* as the ssl.* settings they stand for.
    pub tls: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            url: None,
            user_info: None,
            // The Java serializers' defaults.
            auto_register: true,
            use_latest: false,
            key_strategy: Strategy::TopicName,
            value_strategy: Strategy::TopicName,
            tls: Vec::new(),
        }
    }
}

impl Config {
    /// The settings named in [`SETTINGS`] among `pairs`; others are left
    /// for the client.
    pub fn from_settings<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Config, RegistryError> {
        let mut c = Config::default();
        for (name, value) in pairs {
            let bad = |reason: &str| RegistryError::Setting {
                setting: name.into(),
                value: value.into(),
                reason: reason.into(),
            };
            let flag = || match value.trim() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(bad("true or false")),
            };
            match name {
                "schema.registry.url" => c.url = Some(value.trim().into()),
                "basic.auth.user.info" | "schema.registry.basic.auth.user.info" => {
                    c.user_info = Some(value.into())
                }
                "basic.auth.credentials.source" => match value.trim() {
                    "USER_INFO" | "URL" => {}
                    _ => return Err(bad("kprod takes USER_INFO (basic.auth.user.info) or URL")),
                },
                "auto.register.schemas" => c.auto_register = flag()?,
                "use.latest.version" => c.use_latest = flag()?,
                "key.subject.name.strategy" | "value.subject.name.strategy" => {
                    let s = Strategy::parse(value).ok_or_else(|| {
                        bad("TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy")
                    })?;
                    if name.starts_with("key") {
                        c.key_strategy = s;
                    } else {
                        c.value_strategy = s;
                    }
                }
                _ => {
                    if let Some(ssl) = name.strip_prefix("schema.registry.") {
                        if name.starts_with(TLS_PREFIX) {
                            c.tls.push((ssl.to_string(), value.to_string()));
                        }
                    }
                }
            }
        }
        // Read now, so that a store that does not open is told before
        // anything is sent.
        crate::security::http_tls(c.tls.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| RegistryError::Tls(e.to_string()))?;
        Ok(c)
    }
}

/// Where the user said the schema is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local .avsc, .proto or JSON Schema file.
    File(String),
    /// A subject's version (latest if none).
    Subject {
        name: String,
        version: Option<u32>,
    },
    Id(u32),
}

impl Source {
    /// FILE, subject:NAME[:VERSION] or id:N.
    pub fn parse(text: &str) -> Result<Source, RegistryError> {
        if let Some(rest) = text.strip_prefix("subject:") {
            let (name, version) = match rest.rsplit_once(':') {
                Some((n, "latest")) => (n, None),
                Some((n, v)) => (
                    n,
                    Some(v.parse().map_err(|_| RegistryError::BadVersion(v.into()))?),
                ),
                None => (rest, None),
            };
            if name.is_empty() {
                return Err(RegistryError::NoSubjectName);
            }
            return Ok(Source::Subject {
                name: name.into(),
                version,
            });
        }
        if let Some(id) = text.strip_prefix("id:") {
            return id
                .trim()
                .parse()
                .map(Source::Id)
                .map_err(|_| RegistryError::BadId(id.into()));
        }
        Ok(Source::File(text.into()))
    }
}

/// A Confluent-API schema registry.
#[derive(Debug, Clone)]
pub struct Registry {
    url: String,
    user: Option<(String, String)>,
    http: reqwest::Client,
}

/// A schema as the registry gives it.
#[derive(Debug, Clone, Deserialize)]
struct Found {
    subject: Option<String>,
    version: Option<u32>,
    id: Option<u32>,
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
struct Reference {
    name: String,
    subject: String,
    version: u32,
}

#[derive(Deserialize)]
struct Refusal {
    error_code: Option<i64>,
    message: Option<String>,
}

impl Registry {
    /// A client of the registry at `url`, with basic auth from `user_info`
    /// (USER:PASSWORD) or the URL's own user.
    pub fn new(url: &str, user_info: Option<&str>) -> Result<Registry, RegistryError> {
        Registry::with_tls(url, user_info, &[])
    }

    /// As `new`, over TLS set by `tls` (Kafka's ssl.* names: truststore,
    /// keystore, host-name check), as the Java serializers take them.
    pub fn with_tls(
        url: &str,
        user_info: Option<&str>,
        tls: &[(String, String)],
    ) -> Result<Registry, RegistryError> {
        let parsed =
            reqwest::Url::parse(url.trim()).map_err(|_| RegistryError::BadUrl(url.into()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(RegistryError::BadUrl(url.into()));
        }
        let mut user = user_info.and_then(|u| {
            u.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
        if user.is_none() && !parsed.username().is_empty() {
            user = Some((
                parsed.username().into(),
                parsed.password().unwrap_or("").into(),
            ));
        }
        let mut bare = parsed.clone();
        let _ = bare.set_username("");
        let _ = bare.set_password(None);
        // reqwest is built without a crypto provider of its own; ring's is
        // the process's (a second install is refused, harmlessly).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = crate::security::http_tls(tls.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| RegistryError::Tls(e.to_string()))?;
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10));
        let bad = |what: &str, e: reqwest::Error| RegistryError::Tls(format!("{what}: {e}"));
        if let Some(pem) = &tls.roots {
            // A truststore replaces the system's CAs, as in Java.
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| bad("the truststore's certificates", e))?;
            builder = builder.tls_certs_only(certs);
        }
        if let Some(pem) = &tls.identity {
            let id = reqwest::Identity::from_pem(pem)
                .map_err(|e| bad("the keystore's key and certificate", e))?;
            builder = builder.identity(id);
        }
        if !tls.check_host {
            builder = builder.tls_danger_accept_invalid_hostnames(true);
        }
        let http = builder.build().map_err(|e| RegistryError::Unreachable {
            url: url.into(),
            reason: e.to_string(),
        })?;
        Ok(Registry {
            url: bare.as_str().trim_end_matches('/').into(),
            user,
            http,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Result<serde_json::Value, (u16, Option<i64>, String)>, RegistryError> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header(
                "Accept",
                "application/vnd.schemaregistry.v1+json, application/json",
            );
        if let Some((u, p)) = &self.user {
            req = req.basic_auth(u, Some(p));
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(b.to_string());
        }
        let resp = req.send().await.map_err(|e| RegistryError::Unreachable {
            url: self.url.clone(),
            reason: reason(&e),
        })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| RegistryError::Unreachable {
            url: self.url.clone(),
            reason: reason(&e),
        })?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text)
                .map(Ok)
                .map_err(|e| RegistryError::BadAnswer {
                    what: path.into(),
                    reason: e.to_string(),
                });
        }
        let refusal: Option<Refusal> = serde_json::from_str(&text).ok();
        let code = refusal.as_ref().and_then(|r| r.error_code);
        let message = refusal
            .and_then(|r| r.message)
            .unwrap_or_else(|| text.trim().chars().take(300).collect());
        if status == 401 || status == 403 {
            return Err(RegistryError::Unauthorized { status, message });
        }
        Ok(Err((status, code, message)))
    }

    async fn found(&self, path: &str, what: &str) -> Result<Found, RegistryError> {
        match self.call(reqwest::Method::GET, path, None).await? {
            Ok(v) => serde_json::from_value(v).map_err(|e| RegistryError::BadAnswer {
                what: what.into(),
                reason: e.to_string(),
            }),
            Err((status, code, message)) => Err(match code {
                Some(40401) => RegistryError::NoSubject {
                    subject: what.into(),
                    message,
                },
                Some(40402) => RegistryError::NoVersion {
                    subject: what.into(),
                    version: path.rsplit('/').next().unwrap_or("").into(),
                    message,
                },
                Some(40403) => RegistryError::NoId {
                    id: path
                        .rsplit('/')
                        .next()
                        .and_then(|i| i.parse().ok())
                        .unwrap_or(0),
                    message,
                },
                _ => RegistryError::Refused {
                    what: what.into(),
                    status,
                    message,
                },
            }),
        }
    }

    async fn version(&self, subject: &str, version: Option<u32>) -> Result<Found, RegistryError> {
        let v = version.map_or("latest".to_string(), |v| v.to_string());
        self.found(
            &format!("/subjects/{}/versions/{v}", encode(subject)),
            subject,
        )
        .await
    }

    async fn by_id(&self, id: u32) -> Result<Found, RegistryError> {
        let mut f = self
            .found(&format!("/schemas/ids/{id}"), &format!("schema id {id}"))
            .await?;
        f.id = Some(id);
        Ok(f)
    }

    /// Registers `text` under `subject` (or finds it there already); its id.
    pub async fn register(
        &self,
        subject: &str,
        format: Format,
        text: &str,
    ) -> Result<u32, RegistryError> {
        let body = json!({"schema": text, "schemaType": format.registry_name()});
        let path = format!("/subjects/{}/versions", encode(subject));
        match self.call(reqwest::Method::POST, &path, Some(body)).await? {
            Ok(v) => v["id"]
                .as_u64()
                .map(|id| id as u32)
                .ok_or_else(|| RegistryError::BadAnswer {
                    what: format!("registering under {subject}"),
                    reason: format!("no id in {v}"),
                }),
            Err((status, code, message)) => Err(match (status, code) {
                (409, _) | (_, Some(409)) => RegistryError::Incompatible {
                    subject: subject.into(),
                    message,
                },
                (422, _) | (_, Some(42201)) => RegistryError::InvalidSchema {
                    subject: subject.into(),
                    message,
                },
                _ => RegistryError::Refused {
                    what: format!("registering a schema under {subject}"),
                    status,
                    message,
                },
            }),
        }
    }

    /// The version and id of `text` under `subject`, without registering.
    async fn lookup(
        &self,
        subject: &str,
        format: Format,
        text: &str,
    ) -> Result<Found, RegistryError> {
        let body = json!({"schema": text, "schemaType": format.registry_name()});
        let path = format!("/subjects/{}", encode(subject));
        match self.call(reqwest::Method::POST, &path, Some(body)).await? {
            Ok(v) => serde_json::from_value(v).map_err(|e| RegistryError::BadAnswer {
                what: format!("looking the schema up under {subject}"),
                reason: e.to_string(),
            }),
            Err((status, code, message)) => Err(match code {
                Some(40401) => RegistryError::NoSubject {
                    subject: subject.into(),
                    message,
                },
                _ => RegistryError::Refused {
                    what: format!(
                        "looking the schema up under {subject} (auto.register.schemas=false)"
                    ),
                    status,
                    message,
                },
            }),
        }
    }

    /// The files a schema imports, by import name, fetched by reference.
    async fn references(&self, found: &Found) -> Result<Vec<(String, String)>, RegistryError> {
        let mut out = Vec::new();
        let mut todo = found.references.clone();
        while let Some(r) = todo.pop() {
            if out.iter().any(|(n, _): &(String, String)| *n == r.name) {
                continue;
            }
            let f = self.version(&r.subject, Some(r.version)).await?;
            todo.extend(f.references.iter().cloned());
            out.push((r.name, f.schema));
        }
        Ok(out)
    }

    async fn encoder(
        &self,
        found: Found,
        wanted: Format,
        message: Option<&str>,
    ) -> Result<Encoder, RegistryError> {
        let format = Format::from_registry_name(found.schema_type.as_deref()).ok_or_else(|| {
            RegistryError::BadAnswer {
                what: "a schema".into(),
                reason: format!("unknown schemaType {:?}", found.schema_type),
            }
        })?;
        if format != wanted {
            return Err(RegistryError::WrongFormat {
                found: format.name(),
                wanted: wanted.name(),
            });
        }
        let refs = self.references(&found).await?;
        Ok(
            Encoder::new(format, &found.schema, &refs, message)?.with_origin(Origin {
                subject: found.subject,
                version: found.version,
                id: found.id,
            }),
        )
    }
}

fn encode(subject: &str) -> String {
    subject
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// reqwest's error with its causes, which say what went wrong (connection
/// refused, no such host).
fn reason(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// What a serializer for one side of a record needs to find its schema.
#[derive(Debug, Clone)]
pub struct Want<'a> {
    pub format: Format,
    /// The -raw serializers: no framing, no registry.
    pub raw: bool,
    pub source: &'a Source,
    pub topic: &'a str,
    pub is_key: bool,
    /// A Protobuf message to use rather than the file's first.
    pub message: Option<&'a str>,
}

/// The encoder for `want`, asking `registry` (if any) for the schema or
/// its id, as the Java serializers do with `config`.
pub async fn resolve(
    want: &Want<'_>,
    registry: Option<&Registry>,
    config: &Config,
) -> Result<Encoder, RegistryError> {
    let strategy = if want.is_key {
        config.key_strategy
    } else {
        config.value_strategy
    };
    match want.source {
        Source::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| RegistryError::File {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let local = Encoder::new(want.format, &text, &[], want.message)?;
            if want.raw {
                return Ok(local);
            }
            let registry = registry.ok_or(RegistryError::NeedsRegistry(want.format.name()))?;
            let subject =
                strategy.subject(want.topic, want.is_key, local.record_name(&text).as_deref())?;
            if config.use_latest {
                let found = registry.version(&subject, None).await?;
                return registry.encoder(found, want.format, want.message).await;
            }
            if config.auto_register {
                let id = registry.register(&subject, want.format, &text).await?;
                return Ok(local.with_origin(Origin {
                    subject: Some(subject),
                    version: None,
                    id: Some(id),
                }));
            }
            let found = registry.lookup(&subject, want.format, &text).await?;
            Ok(local.with_origin(Origin {
                subject: Some(subject),
                version: found.version,
                id: found.id,
            }))
        }
        Source::Subject { name, version } => {
            let registry = registry.ok_or(RegistryError::NeedsRegistry(want.format.name()))?;
            let mut found = registry.version(name, *version).await?;
            found.subject.get_or_insert_with(|| name.clone());
            let mut e = registry.encoder(found, want.format, want.message).await?;
            if want.raw {
                e.origin.id = None;
            }
            Ok(e)
        }
        Source::Id(id) => {
            let registry = registry.ok_or(RegistryError::NeedsRegistry(want.format.name()))?;
            let found = registry.by_id(*id).await?;
            let mut e = registry.encoder(found, want.format, want.message).await?;
            if want.raw {
                e.origin.id = None;
            }
            Ok(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(
            Source::parse("a.avsc").unwrap(),
            Source::File("a.avsc".into())
        );
        assert_eq!(
            Source::parse("subject:orders-value").unwrap(),
            Source::Subject {
                name: "orders-value".into(),
                version: None
            }
        );
        assert_eq!(
            Source::parse("subject:orders-value:3").unwrap(),
            Source::Subject {
                name: "orders-value".into(),
                version: Some(3)
            }
        );
        assert_eq!(
            Source::parse("subject:o:latest").unwrap(),
            Source::Subject {
                name: "o".into(),
                version: None
            }
        );
        assert_eq!(Source::parse("id:42").unwrap(), Source::Id(42));
        assert!(Source::parse("id:x").is_err());
        assert!(Source::parse("subject:").is_err());
        assert!(Source::parse("subject:o:x").is_err());
    }

    #[test]
    fn strategies_name_subjects_as_the_java_ones() {
        let s = |name: &str| Strategy::parse(name).unwrap();
        let topic = s("io.confluent.kafka.serializers.subject.TopicNameStrategy");
        assert_eq!(topic.subject("t", true, None).unwrap(), "t-key");
        assert_eq!(topic.subject("t", false, None).unwrap(), "t-value");
        assert_eq!(
            s("RecordNameStrategy")
                .subject("t", false, Some("a.B"))
                .unwrap(),
            "a.B"
        );
        assert_eq!(
            s("TopicRecordNameStrategy")
                .subject("t", false, Some("a.B"))
                .unwrap(),
            "t-a.B"
        );
        assert!(s("RecordNameStrategy").subject("t", false, None).is_err());
        assert!(Strategy::parse("Other").is_none());
    }

    #[test]
    fn settings_by_java_names() {
        let c = Config::from_settings([
            ("schema.registry.url", "http://r:8081"),
            ("basic.auth.user.info", "u:p"),
            ("auto.register.schemas", "false"),
            (
                "value.subject.name.strategy",
                "io.confluent.kafka.serializers.subject.RecordNameStrategy",
            ),
            ("linger.ms", "5"),
        ])
        .unwrap();
        assert_eq!(c.url.as_deref(), Some("http://r:8081"));
        assert_eq!(c.user_info.as_deref(), Some("u:p"));
        assert!(!c.auto_register);
        assert_eq!(c.value_strategy, Strategy::RecordName);
        assert_eq!(c.key_strategy, Strategy::TopicName);
        assert!(Config::from_settings([("auto.register.schemas", "yes")]).is_err());
        assert!(Registry::new("ftp://x", None).is_err());
        assert!(Registry::new("not a url", None).is_err());
    }

    #[test]
    fn registry_settings_stay_out_of_librdkafka() {
        let mut s = crate::settings::Settings::default();
        s.set("schema.registry.url", "http://r:8081").unwrap();
        s.set("basic.auth.user.info", "u:p").unwrap();
        assert!(s.set("auto.register.schemas", "maybe").is_err());
        assert!(s.librdkafka_extras().is_empty());
        assert!(crate::settings::is_secret("basic.auth.user.info"));
        let c = Config::from_settings(s.extras()).unwrap();
        assert_eq!(c.url.as_deref(), Some("http://r:8081"));
    }

    #[tokio::test]
    async fn an_unreachable_registry_says_so() {
        // A port nothing listens on: bound, then closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let r = Registry::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
        let err = r.by_id(1).await.unwrap_err();
        assert!(matches!(err, RegistryError::Unreachable { .. }), "{err}");
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }
}
