//! The command line: the TUI's options, and `kprod produce` with the same
//! connection and settings options plus where records come from.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::engine::faults::Scheduled;
use crate::engine::schema::session::Ask;
use crate::engine::schema::Format;
use crate::engine::serde::Serializer;
use crate::engine::settings::Settings;
use crate::profile::{self, Profile};
use crate::words;

#[derive(Debug, Parser)]
#[command(
    name = "kprod",
    version,
    about = "An interactive Kafka producer console",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    #[command(flatten)]
    pub serde: SerdeArgs,

    /// A built-in theme (default, light, high-contrast), a theme of yours
    /// in the config directory's themes/ by name, or a theme file (TOML)
    /// laid over the default. NO_COLOR turns colours off.
    #[arg(long, value_name = "NAME|FILE")]
    pub theme: Option<String>,

    /// On exit, write the screen's own figures to FILE as JSON: frame time,
    /// key press to screen, and the last burst (scripts/bench.sh reads it).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Sub>,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Produce without the screen: records from stdin, a file or a template;
    /// one JSON object per event on stdout.
    Produce(Box<ProduceArgs>),
    /// List the connection profiles (--profile NAME) and where they are kept.
    Profiles,
}

/// Where each setting given came from, by the name its row shows: a
/// profile, a properties file and its line, or -X.
pub type Origins = std::collections::BTreeMap<String, String>;

/// A profile, and its secrets' values (name, value) from where it says.
pub type Chosen = (Profile, Vec<(String, String)>);

/// Options the TUI and `kprod produce` share.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Brokers to connect to (host:port[,host:port]); without it kprod starts
    /// an embedded 3-broker cluster in-process.
    #[arg(
        short = 'b',
        long = "bootstrap-servers",
        value_name = "HOST:PORT[,...]"
    )]
    pub bootstrap_servers: Option<String>,

    /// The topic records go to (the profile's, or demo, if not given).
    /// Several comma-separated (payment,order): each record, and each of a
    /// burst's, goes to all of them, as one transaction's payment and order
    /// do.
    #[arg(short = 't', long)]
    pub topic: Option<String>,

    /// A connection profile from profiles.toml in kprod's config directory
    /// (`kprod profiles` lists them): brokers, security, a default topic and
    /// settings. --producer.config, then -X, apply over it.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// A producer setting, by its Java name or any librdkafka property
    /// (repeatable; applied after --producer.config).
    #[arg(short = 'X', value_name = "NAME=VALUE")]
    pub set: Vec<String>,

    /// Producer settings from a Java properties file.
    #[arg(long = "producer.config", value_name = "FILE")]
    pub producer_config: Option<PathBuf>,

    /// Do not tag records with the kprod.id header, and do not read them back.
    #[arg(long)]
    pub no_verify: bool,

    /// Send through kprod's fault-injecting proxy, so faults can be made on
    /// a real cluster (the embedded one makes them itself).
    #[arg(long)]
    pub proxy: bool,

    /// Start a real Apache Kafka of N brokers (default 3) on loopback for
    /// this run (needs Java 17 and Maven), and stop it on exit.
    #[arg(
        long,
        value_name = "N",
        num_args = 0..=1,
        default_missing_value = "3",
        value_parser = clap::value_parser!(u32).range(1..=3),
        conflicts_with = "bootstrap_servers"
    )]
    pub local_kafka: Option<u32>,
}

/// `kprod produce`.
#[derive(Debug, Args, Clone)]
pub struct ProduceArgs {
    #[command(flatten)]
    pub common: Common,

    /// Read records from this file instead of stdin, one per line.
    #[arg(long, value_name = "FILE", conflicts_with = "count")]
    pub file: Option<PathBuf>,

    /// How input lines are read: lines (kafka-console-producer's), jsonl
    /// (one JSON object a record, as kcat -C -J prints them: key, payload or
    /// value, headers, ts), or console-consumer (what kafka-console-consumer
    /// printed, its print.* given with --property).
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "lines",
        conflicts_with = "count"
    )]
    pub format: String,

    /// Send each record with the timestamp its input gives (jsonl's ts,
    /// console-consumer's CreateTime:MS), as a replay keeps the originals.
    #[arg(long, conflicts_with = "count")]
    pub keep_timestamps: bool,

    /// The input format's options. For lines, kafka-console-producer's:
    /// parse.key, key.separator, parse.headers, headers.delimiter,
    /// headers.separator, headers.key.separator, null.marker, ignore.error;
    /// for console-consumer, what it printed with: print.timestamp,
    /// print.partition, print.offset, print.headers, print.key,
    /// key.separator, headers.separator, null.literal (repeatable).
    #[arg(long = "property", value_name = "NAME=VALUE")]
    pub property: Vec<String>,

    /// Generate N records from --key/--value/--header templates instead of
    /// reading lines. Generators: {seq} (0..N-1), {uuid}, {now}, {now:iso},
    /// {int:MIN:MAX}, {choice:a|b|c}, {str:LEN}; other braces (JSON) stay.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Leave out the events of records that went well (queued, success,
    /// batch): errors, notices and the summaries still come. For loading a
    /// topic with millions of records.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// At most R records a second for --count (flat out if absent).
    #[arg(long, value_name = "R", requires = "count", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Key template for --count (no key if absent).
    #[arg(long, value_name = "TEMPLATE", requires = "count")]
    pub key: Option<String>,

    /// Value template for --count (--template is the same).
    #[arg(
        long,
        visible_alias = "template",
        value_name = "TEMPLATE",
        default_value = "{seq}",
        requires = "count"
    )]
    pub value: String,

    #[command(flatten)]
    pub serde: SerdeArgs,

    /// A header for --count records, NAME:VALUE (repeatable).
    #[arg(long = "header", value_name = "NAME:VALUE", requires = "count")]
    pub header: Vec<String>,

    /// Make the network misbehave: FAULT at the start, `@N FAULT` once N
    /// records were acked or failed, `@5s FAULT` five seconds in
    /// (repeatable). FAULT as at the console's Ctrl-F: down B, up B, slow B
    /// MS, lose-acks N [B], fail N ERROR, leader TOPIC P B, clear. On a real
    /// cluster it goes through kprod's proxy (--proxy is implied).
    #[arg(long, value_name = "[@WHEN] FAULT", value_parser = parse_fault)]
    pub fault: Vec<Scheduled>,

    /// Send the records in transactions of N, each committed once full
    /// (what is left at the end is one more). Needs -X transactional.id=ID.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub transaction_size: Option<u64>,

    /// Abort the K-th, 2K-th, ... transaction instead of committing it, to
    /// show what a read_committed reader does not see.
    #[arg(long, value_name = "K", requires = "transaction_size", value_parser = clap::value_parser!(u64).range(1..))]
    pub abort_every: Option<u64>,
}

/// How keys and values are serialized, and where their schemas are: the
/// console's composer starts with them, and `kprod produce` writes every
/// record with them.
#[derive(Debug, Args, Clone)]
pub struct SerdeArgs {
    /// How keys are serialized: string, short, integer, long, double, hex,
    /// base64, file, json, json-as-typed; or avro, protobuf, json-schema
    /// (JSON converted by --key-schema, in Confluent's wire format), and
    /// avro-raw, protobuf-raw, json-schema-raw (the same without the
    /// framing, no registry needed).
    #[arg(long, value_name = "TYPE", default_value = "string", value_parser = parse_serializer)]
    pub key_serializer: SerializerArg,

    /// How values are serialized (as --key-serializer).
    #[arg(long, value_name = "TYPE", default_value = "string", value_parser = parse_serializer)]
    pub value_serializer: SerializerArg,

    /// The schema registry (Confluent's API), as schema.registry.url;
    /// basic.auth.user.info (-X) gives its USER:PASSWORD.
    #[arg(long, value_name = "URL")]
    pub schema_registry: Option<String>,

    /// The keys' schema: FILE (.avsc, .proto, JSON Schema; registered under
    /// the subject strategy's name unless auto.register.schemas=false),
    /// subject:NAME[:VERSION] (latest if no version) or id:N.
    #[arg(long, value_name = "SOURCE")]
    pub key_schema: Option<String>,

    /// The values' schema (as --key-schema).
    #[arg(long, value_name = "SOURCE")]
    pub value_schema: Option<String>,

    /// The Protobuf message keys are written as (the file's first if absent).
    #[arg(long, value_name = "NAME")]
    pub key_message: Option<String>,

    /// The Protobuf message values are written as (the file's first if
    /// absent).
    #[arg(long, value_name = "NAME")]
    pub value_message: Option<String>,
}

impl SerdeArgs {
    /// --schema-registry, as the schema.registry.url setting it stands for.
    pub fn registry_into(&self, settings: &mut Settings) -> Result<(), String> {
        match &self.schema_registry {
            Some(url) => settings
                .set("schema.registry.url", url)
                .map_err(|e| format!("--schema-registry {url}: {}", words::error(e))),
            None => Ok(()),
        }
    }

    /// The schema serializers asked for, key's then value's, each with
    /// the flag that asked.
    pub fn asks(&self) -> Result<[(&'static str, Option<Ask>); 2], String> {
        let side = |flag: &'static str,
                    serializer: SerializerArg,
                    schema: &Option<String>,
                    message: &Option<String>| {
            let ask = match serializer {
                SerializerArg::Schema { format, raw } => {
                    let source = schema.clone().ok_or_else(|| {
                        format!(
                            "{flag}-serializer {} needs {flag}-schema (FILE, subject:NAME[:VERSION] or id:N)",
                            format.name()
                        )
                    })?;
                    Some(Ask {
                        format,
                        raw,
                        source,
                        message: message.clone(),
                    })
                }
                SerializerArg::Plain(_) if schema.is_some() => {
                    return Err(format!(
                        "{flag}-schema is for the avro, protobuf and json-schema serializers ({flag}-serializer)"
                    ))
                }
                SerializerArg::Plain(_) => None,
            };
            Ok((flag, ask))
        };
        Ok([
            side(
                "--key",
                self.key_serializer,
                &self.key_schema,
                &self.key_message,
            )?,
            side(
                "--value",
                self.value_serializer,
                &self.value_schema,
                &self.value_message,
            )?,
        ])
    }
}

fn parse_fault(text: &str) -> Result<Scheduled, String> {
    crate::engine::faults::parse_scheduled(text).map_err(words::error)
}

impl Common {
    /// The profile asked for, with its secrets from where it says.
    pub fn profile(&self) -> Result<Option<Chosen>, String> {
        let Some(name) = &self.profile else {
            return Ok(None);
        };
        let path = profile::default_path().ok_or("no config directory to keep profiles in")?;
        let p = profile::find(&path, name).map_err(|e| e.to_string())?;
        let secrets = p
            .secrets(
                name,
                |var| std::env::var(var).ok(),
                |prompt| {
                    rpassword::prompt_password(prompt)
                        .map_err(|e| format!("no terminal to ask on ({e})"))
                },
            )
            .map_err(|e| e.to_string())?;
        Ok(Some((p, secrets)))
    }

    /// Where records go: -t, the profile's topic, or demo.
    pub fn topic(&self, profile: Option<&Profile>) -> String {
        self.topic
            .clone()
            .or_else(|| profile.and_then(|p| p.topic.clone()))
            .unwrap_or_else(|| crate::engine::cluster::DEMO_TOPIC.to_string())
    }

    /// The brokers: -b, or the profile's.
    pub fn bootstrap(&self, profile: Option<&Profile>) -> Option<String> {
        self.bootstrap_servers
            .clone()
            .or_else(|| profile.and_then(|p| p.bootstrap.clone()))
    }

    /// The settings asked for, without a profile.
    pub fn settings(&self) -> Result<Settings, String> {
        self.settings_with(None)
    }

    /// The settings asked for, and where each one given came from.
    pub fn settings_with(&self, profile: Option<&Chosen>) -> Result<Settings, String> {
        self.layered(profile).map(|(s, _)| s)
    }

    /// The settings asked for: the profile's (its settings, its properties
    /// file, its secrets), then --producer.config, then -X; the first value
    /// refused is reported with where it came from.
    pub fn layered(&self, profile: Option<&Chosen>) -> Result<(Settings, Origins), String> {
        let mut origins = Origins::new();
        // The row a name is shown under: its Java name, if kprod knows it.
        let mut from = |name: &str, origin: String| {
            let row = crate::engine::settings::spec(name.trim()).map_or(name.trim(), |s| s.java);
            origins.insert(row.to_string(), origin);
        };
        let mut settings = Settings::default();
        if let Some((p, secrets)) = profile {
            let name = self.profile.as_deref().unwrap_or("");
            for (k, v) in &p.settings {
                settings
                    .set(k, v)
                    .map_err(|e| format!("profile '{name}': {}", words::error(e)))?;
                from(k, format!("profile '{name}'"));
            }
            if let Some(file) = &p.properties {
                for (line, k, v) in read_properties(file)? {
                    settings.set(&k, &v).map_err(|e| {
                        format!(
                            "profile '{name}': {} line {line}: {}",
                            file.display(),
                            words::error(e)
                        )
                    })?;
                    from(
                        &k,
                        format!("profile '{name}': {} line {line}", file.display()),
                    );
                }
            }
            for (k, v) in secrets {
                settings
                    .set(k, v)
                    .map_err(|e| format!("profile '{name}': {}", words::error(e)))?;
                from(k, format!("profile '{name}' (secret)"));
            }
        }
        if let Some(file) = &self.producer_config {
            for (line, name, value) in read_properties(file)? {
                settings
                    .set(&name, &value)
                    .map_err(|e| format!("{} line {line}: {}", file.display(), words::error(e)))?;
                from(
                    &name,
                    format!("--producer.config {} line {line}", file.display()),
                );
            }
        }
        for pair in &self.set {
            settings
                .set_pair(pair)
                // The error names the property; the pair may hold a secret.
                .map_err(|e| {
                    let name = pair.split('=').next().unwrap_or("");
                    format!("-X {name}: {}", words::error(e))
                })?;
            from(pair.split('=').next().unwrap_or(""), "-X".into());
        }
        settings.check().map_err(words::error)?;
        // Stores are read now, so a wrong path or password stops kprod
        // before it connects.
        settings.translated().map_err(words::error)?;
        // A rule file is read now, so a bad one stops kprod before it starts.
        settings.partitioner().map_err(words::error)?;
        let p = profile.map(|(p, _)| p);
        for topic in self.topic(p).split(',') {
            crate::engine::topic::validate(topic)
                .map_err(|e| format!("-t: {}", words::error(e)))?;
        }
        if let Some(servers) = &self.bootstrap(p) {
            check_bootstrap(servers)?;
        }
        if self.proxy && self.bootstrap(p).is_none() && self.local_kafka.is_none() {
            return Err("--proxy stands between kprod and a real cluster (-b or --local-kafka); the embedded cluster makes faults itself".into());
        }
        Ok((settings, origins))
    }
}

fn parse_rate(text: &str) -> Result<f64, String> {
    crate::engine::pace::rate(text).map_err(words::error)
}

/// A serializer named on the command line: one of the engine's plain ones,
/// or a schema serializer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerializerArg {
    Plain(Serializer),
    Schema { format: Format, raw: bool },
}

impl SerializerArg {
    /// What the engine is told: a schema serializer's bytes are made before
    /// the record reaches it, and String passes bytes on as they are.
    pub fn plain(self) -> Serializer {
        match self {
            SerializerArg::Plain(s) => s,
            SerializerArg::Schema { .. } => Serializer::String,
        }
    }
}

fn parse_serializer(name: &str) -> Result<SerializerArg, String> {
    let lower = name.to_ascii_lowercase();
    if let Some((format, raw)) = Format::parse_serializer(&lower) {
        return Ok(SerializerArg::Schema { format, raw });
    }
    Ok(SerializerArg::Plain(match lower.as_str() {
        "string" => Serializer::String,
        "short" => Serializer::Short,
        "integer" | "int" => Serializer::Integer,
        "long" => Serializer::Long,
        "double" => Serializer::Double,
        "hex" => Serializer::Hex,
        "base64" => Serializer::Base64,
        "file" => Serializer::File,
        "json" => Serializer::JsonCompact,
        "json-as-typed" => Serializer::JsonAsTyped,
        _ => {
            return Err(format!(
                "'{name}': one of string, short, integer, long, double, hex, base64, file, json, json-as-typed, avro, protobuf, json-schema (each also -raw)"
            ))
        }
    }))
}

/// Refuses a broker list librdkafka would misread (it takes `host:abc` as
/// port 0 and says nothing).
pub fn check_bootstrap(servers: &str) -> Result<(), String> {
    if servers.trim().is_empty() {
        return Err("-b: the broker list is empty (host:port[,host:port])".into());
    }
    for server in servers.split(',') {
        let server = server.trim();
        let (host, port) = server
            .rsplit_once(':')
            .ok_or_else(|| format!("-b: '{server}' has no port (host:port)"))?;
        if host.is_empty() {
            return Err(format!("-b: '{server}' has no host (host:port)"));
        }
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => {
                return Err(format!(
                    "-b: '{server}': the port must be a number from 1 to 65535"
                ))
            }
        }
    }
    Ok(())
}

/// A Java properties file as (line number, name, value), read by the rules
/// of `java.util.Properties.load`: `=`, `:` or blanks between name and
/// value, `\uXXXX` and other backslash escapes, `\` continuing a line, `#`
/// and `!` comments. The text is UTF-8, and a leading byte-order mark is not
/// part of the first name.
pub fn read_properties(path: &Path) -> Result<Vec<(usize, String, String)>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    // Bytes that are not UTF-8 become U+FFFD, as Java's UTF-8 Reader makes
    // them; the crate's own decoder panicked on some of them (the fuzz test
    // found it), so it is handed text that is valid already.
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    for line in
        java_properties::PropertiesIter::new_with_encoding(text.as_bytes(), encoding_rs::UTF_8)
    {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        let number = line.line_number();
        if let java_properties::LineContent::KVPair(name, value) = line.consume_content() {
            out.push((number, name, value));
        }
    }
    Ok(out)
}

/// `kprod profiles`: each profile, what it connects to and where its
/// secrets come from (never their values).
pub fn list_profiles() -> Result<String, String> {
    let path = profile::default_path().ok_or("no config directory to keep profiles in")?;
    let all = profile::load(&path).map_err(|e| e.to_string())?;
    let mut out = String::new();
    if all.is_empty() {
        out.push_str(&format!(
            "no profiles yet: write them in {} as\n\n[staging]\nbootstrap = \"broker:9093\"\ntopic = \"orders\"\nproperties = \"/path/to/client.properties\"\n[staging.settings]\nacks = \"all\"\n[staging.secrets]\n\"sasl.password\" = {{ env = \"STAGING_PASSWORD\" }}\n",
            path.display()
        ));
        return Ok(out);
    }
    out.push_str(&format!("profiles in {}:\n", path.display()));
    for (name, p) in &all {
        let security = profile_security(p);
        out.push_str(&format!(
            "  {name}: {} {security}, topic {}",
            p.bootstrap.as_deref().unwrap_or("(brokers from -b)"),
            p.topic
                .as_deref()
                .unwrap_or(crate::engine::cluster::DEMO_TOPIC)
        ));
        if let Some(file) = &p.properties {
            out.push_str(&format!(", properties {}", file.display()));
        }
        for (k, from) in &p.secrets {
            let from = match from {
                profile::Secret::Env { env } => format!("${env}"),
                profile::Secret::Ask(_) => "asked at start".into(),
            };
            out.push_str(&format!(", {k} from {from}"));
        }
        out.push('\n');
    }
    Ok(out)
}

/// The security.protocol a profile's settings and its properties file
/// make, as kprod would apply them (its secrets are not needed for it, and
/// not asked for); what stops them, if something does.
fn profile_security(p: &Profile) -> String {
    let mut settings = Settings::default();
    for (k, v) in &p.settings {
        if let Err(e) = settings.set(k, v) {
            return format!("(refused: {})", words::error(e));
        }
    }
    if let Some(file) = &p.properties {
        let lines = match read_properties(file) {
            Ok(lines) => lines,
            Err(e) => return format!("({e})"),
        };
        for (line, k, v) in lines {
            if let Err(e) = settings.set(&k, &v) {
                return format!(
                    "(refused: {} line {line}: {})",
                    file.display(),
                    words::error(e)
                );
            }
        }
    }
    settings.security_protocol().to_ascii_uppercase()
}
