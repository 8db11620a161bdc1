//! The console's state: what is on screen and being edited, and the
//! figures the panes read. Views read it; only `update` changes it.

use std::collections::VecDeque;
use std::time::Instant;

use tui_textarea::TextArea;

use super::Filter;
use super::{BatchStat, Comparison, Field, Flow, Log, Requests};
use crate::engine::record::{Draft, Header};
use crate::engine::settings::{Settings, SPECS};
use crate::engine::{clock, stats};
use crate::engine::{Level, TopicInfo};
use crate::ui::keymap::Scope;

/// What has focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Key,
    Value,
    Headers,
    Partition,
    /// The record's timestamp: empty for now, or a time typed.
    Timestamp,
    Settings,
    Log,
    Chart,
}

const FOCUS_ORDER: [Focus; 8] = [
    Focus::Key,
    Focus::Value,
    Focus::Headers,
    Focus::Partition,
    Focus::Timestamp,
    Focus::Settings,
    Focus::Log,
    Focus::Chart,
];

impl Focus {
    pub(super) fn step(self, by: isize) -> Focus {
        let i = FOCUS_ORDER.iter().position(|f| *f == self).unwrap_or(0) as isize;
        let n = FOCUS_ORDER.len() as isize;
        FOCUS_ORDER[((i + by).rem_euclid(n)) as usize]
    }

    pub fn is_text(self) -> bool {
        matches!(
            self,
            Focus::Key | Focus::Value | Focus::Headers | Focus::Partition | Focus::Timestamp
        )
    }
}

/// What a one-line prompt is asking for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    BurstCount,
    /// `name partitions replication [min.insync.replicas]`
    NewTopic,
    SettingValue(String),
    Property,
    /// `COUNT SETTINGS vs SETTINGS ...`
    Compare,
    /// faults::FAULT_SYNTAX
    Fault,
    /// The key's or value's schema serializer (schema::SCHEMA_SYNTAX).
    Schema(Focus),
    /// The name the composed record is saved under as a template.
    TemplateName,
    /// A file of records to list (recordfile::SYNTAX).
    RecordsFile,
}

/// A popup over the panes, if any.
pub enum Popup {
    /// Lines scrolled down.
    Help(usize),
    Prompt {
        ask: Ask,
        input: Box<TextArea<'static>>,
        error: Option<String>,
    },
    Topics {
        selected: usize,
    },
    /// The theme picker, over `App::themes`.
    Themes {
        selected: usize,
    },
    /// The template picker, over `App::templates`, with why the last one
    /// chosen did not load.
    Templates {
        selected: usize,
        error: Option<String>,
    },
    /// The profile picker, over `App::profiles`.
    Profiles {
        selected: usize,
    },
    /// A profile being made (`was` None) or changed.
    ProfileEditor {
        was: Option<String>,
        editor: Box<TextArea<'static>>,
        error: Option<String>,
    },
    /// The partition rule file being edited.
    Rules {
        path: std::path::PathBuf,
        editor: Box<TextArea<'static>>,
        error: Option<String>,
    },
    /// The latest comparison, as it fills in.
    Compare,
    /// History or a file's records, to step through and send.
    Records(Box<super::records::RecordList>),
}

/// Record counts since start; in flight is derived.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
}

impl Totals {
    pub fn in_flight(&self) -> u64 {
        self.sent.saturating_sub(self.acked + self.failed)
    }
}

/// Where the engine is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub bootstrap: String,
    pub embedded: bool,
    /// Where kprod's fault-injecting proxy listens, when it is in the way.
    pub proxy: Option<String>,
    pub verify: bool,
}

/// Per-record log lines allowed a second; above that they are counted, not
/// listed, so any rate of records costs the screen the same.
pub(super) const LINES_PER_SEC: f64 = 200.0;

pub struct App {
    pub focus: Focus,
    pub popup: Option<Popup>,
    pub key: Field,
    pub value: Field,
    pub headers: TextArea<'static>,
    pub partition: TextArea<'static>,
    /// The record's timestamp as typed: empty is now.
    pub timestamp: TextArea<'static>,
    pub topic: String,
    /// Further topics each record sent goes to as well (a payment and its
    /// order, in one transaction).
    pub also: Vec<String>,
    /// `None` until the cluster has answered.
    pub topics: Option<Vec<TopicInfo>>,
    /// The topics' settings the brokers reported (message.timestamp.type,
    /// min.insync.replicas, ...), when the topic view last asked.
    pub topic_configs: crate::engine::event::TopicConfigs,
    /// Broker ids the cluster reported.
    pub brokers: Vec<i32>,
    pub connection: Option<Connection>,
    /// The settings the producer runs with.
    pub applied: Settings,
    /// librdkafka's fatal error, while the producer is dead of it.
    pub fatal: Option<String>,
    /// The settings being edited; applied with `a`.
    pub pending: Settings,
    /// The focused pane fills the screen (F12), for a room to read.
    pub zoomed: bool,
    /// Whose defaults the settings pane holds the values against (`D`).
    pub defaults: crate::engine::settings::Defaults,
    /// Where each setting given came from (a profile, a file and its line,
    /// -X, the settings pane), by row name; absent: the default.
    pub origins: std::collections::BTreeMap<String, String>,
    /// The themes F2 offers, by the name --theme takes.
    pub themes: Vec<String>,
    /// The record templates F10 offers (name, file text), as last listed.
    pub templates: std::collections::BTreeMap<String, String>,
    /// The connection profiles F3 offers, as profiles.toml holds them.
    pub profiles: std::collections::BTreeMap<String, crate::profile::Profile>,
    pub setting_row: usize,
    pub log: Log,
    pub totals: Totals,
    /// Acked records per partition since the last reset.
    pub chart: Vec<u64>,
    /// Delivered batches per partition since the last reset, same indexes.
    pub batches: Vec<BatchStat>,
    /// What librdkafka's statistics say the chart's topic was sent since the
    /// last reset.
    pub sent: stats::Sent,
    /// Compare runs: the latest, or the one under way.
    pub compare: Option<Comparison>,
    /// The latest burst, while it runs and after.
    pub flow: Option<Flow>,
    /// The number the engine gives its next record, as its events told.
    pub(super) next_id: u64,
    pub requests: Requests,
    /// Tokens for per-record log lines, and lines held back since their
    /// count was last told.
    pub(super) budget: (f64, Instant),
    pub(super) held_back: u64,
    /// The verifier's latest counts; `None` until it has some.
    pub verification: Option<crate::engine::verify::Summary>,
    /// Where the producer's transaction stands.
    pub txn: super::TxnStatus,
    /// The schema registry in use, once a schema was asked for: its URL,
    /// and whether kprod serves it.
    pub registry: Option<(String, bool)>,
    /// The latest message for the status bar.
    pub flash: Option<(Level, String)>,
    /// Ctrl-C was pressed once: flushing before quitting.
    pub quitting: bool,
    pub quit: bool,
    /// When the latest message came, as `update` was told: the model
    /// never reads the clock itself.
    pub(super) now: Instant,
    /// An instant and the wall clock's epoch ms then, read once at the
    /// start, so that `now` reads on the wall clock too.
    epoch: (Instant, i64),
}

/// The partition field, empty: auto.
pub(super) fn partition_area() -> TextArea<'static> {
    let mut partition = TextArea::default();
    partition.set_placeholder_text("auto");
    partition
}

/// The timestamp field, empty: the producer stamps the record as it is
/// sent, as a Java ProducerRecord without a timestamp.
pub(super) fn timestamp_area() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_placeholder_text("now");
    t
}

/// The headers box, empty.
pub(super) fn headers_area() -> TextArea<'static> {
    let mut headers = TextArea::default();
    headers.set_placeholder_text("name: value   (one per line; a name alone is a null value)");
    headers
}

impl App {
    pub fn new(topic: &str, settings: Settings) -> App {
        let (partition, headers) = (partition_area(), headers_area());
        let now = Instant::now();
        App {
            focus: Focus::Key,
            popup: None,
            // No key until one is typed, as a Java ProducerRecord without
            // one: keyless records are what the partitioners' stickiness is
            // about, and an empty key would send every record to one
            // partition.
            key: Field::new(false, true),
            value: Field::new(true, false),
            headers,
            partition,
            timestamp: timestamp_area(),
            topic: topic.to_string(),
            also: Vec::new(),
            topics: None,
            topic_configs: Default::default(),
            brokers: Vec::new(),
            connection: None,
            pending: settings.clone(),
            applied: settings,
            origins: Default::default(),
            defaults: Default::default(),
            zoomed: false,
            profiles: Default::default(),
            templates: Default::default(),
            themes: crate::ui::theme::BUILT_IN
                .iter()
                .map(|(n, _)| n.to_string())
                .collect(),
            fatal: None,
            setting_row: 0,
            log: Log {
                lines: VecDeque::with_capacity(256),
                filter: Filter::All,
                scroll: 0,
            },
            totals: Totals::default(),
            chart: Vec::new(),
            batches: Vec::new(),
            sent: stats::Sent::default(),
            compare: None,
            flow: None,
            next_id: 0,
            requests: Requests::default(),
            budget: (LINES_PER_SEC, now),
            held_back: 0,
            verification: None,
            txn: Default::default(),
            registry: None,
            flash: None,
            quitting: false,
            quit: false,
            now,
            epoch: (now, clock::now_ms()),
        }
    }

    /// When the latest message came.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// `now` in ms since the epoch, as records are stamped.
    pub fn now_ms(&self) -> i64 {
        let (at, ms) = self.epoch;
        ms + self.now.saturating_duration_since(at).as_millis() as i64
    }

    /// The scopes whose bindings apply now, most specific first.
    pub fn scopes(&self) -> Vec<Scope> {
        match &self.popup {
            Some(Popup::Help(_)) => vec![Scope::Help],
            Some(Popup::Prompt { .. }) => vec![Scope::Prompt],
            Some(Popup::Topics { .. }) => vec![Scope::Picker],
            Some(Popup::Themes { .. }) => vec![Scope::Themes],
            Some(Popup::Templates { .. }) => vec![Scope::Templates],
            Some(Popup::Records(_)) => vec![Scope::Records],
            Some(Popup::Profiles { .. }) => vec![Scope::Profiles],
            Some(Popup::ProfileEditor { .. }) => vec![Scope::ProfileEditor],
            Some(Popup::Rules { .. }) => vec![Scope::Rules],
            Some(Popup::Compare) => vec![Scope::Compare],
            None => {
                let mut s = Vec::with_capacity(3);
                match self.focus {
                    Focus::Key | Focus::Value => s.push(Scope::Nullable),
                    Focus::Settings => s.push(Scope::Settings),
                    Focus::Log => s.push(Scope::Log),
                    Focus::Chart => s.push(Scope::Chart),
                    Focus::Headers | Focus::Partition | Focus::Timestamp => {}
                }
                if !self.focus.is_text() {
                    s.push(Scope::NotTyping);
                }
                s.push(Scope::Global);
                if self.fatal.is_some() {
                    s.push(Scope::Fatal);
                }
                if self.applied.transactional_id().is_some() {
                    s.push(Scope::Transactional);
                }
                s
            }
        }
    }

    /// Partitions of the current topic, when the cluster has said.
    pub fn partition_count(&self) -> Option<i32> {
        self.topics
            .as_ref()?
            .iter()
            .find(|t| t.name == self.topic)
            .map(|t| t.partitions)
    }

    /// The settings rows shown: every known setting, then added properties.
    pub fn setting_names(&self) -> Vec<String> {
        SPECS
            .iter()
            .map(|s| s.java.to_string())
            .chain(self.pending.extras().map(|(k, _)| k.to_string()))
            .collect()
    }

    /// Whether the pending value of known setting `name` differs from
    /// the chosen defaults (`D`); added properties are not compared.
    pub fn differs(&self, name: &str) -> bool {
        crate::engine::settings::spec(name)
            .is_some_and(|s| self.pending.get(name).unwrap_or("") != self.defaults.of(s))
    }

    /// How many settings differ from the chosen defaults.
    pub fn differing(&self) -> usize {
        SPECS.iter().filter(|s| self.differs(s.java)).count()
    }

    /// The record as composed, or why it cannot be sent.
    pub fn draft(&self) -> Result<Draft, String> {
        let (key, key_serializer, key_schema) =
            self.key.for_engine().map_err(|e| format!("key as {e}"))?;
        let (value, value_serializer, value_schema) = self
            .value
            .for_engine()
            .map_err(|e| format!("value as {e}"))?;
        // A framed record carries the id of one topic's subject.
        let framed = |e: &Option<crate::engine::schema::Encoder>| {
            e.as_ref().is_some_and(|e| e.origin.id.is_some())
        };
        if !self.also.is_empty() && (framed(&key_schema) || framed(&value_schema)) {
            return Err(format!(
                "a schema serializer writes the id of {}'s subject: send to one topic, or use a -raw serializer",
                self.topic
            ));
        }
        Ok(Draft {
            topic: self.topic.clone(),
            key,
            value,
            key_serializer,
            value_serializer,
            headers: self.parsed_headers()?,
            partition: self.parsed_partition()?,
            timestamp: self.parsed_timestamp()?,
            key_schema,
            value_schema,
        })
    }

    /// The composed record, once for each topic it goes to.
    pub fn drafts(&self) -> Result<Vec<Draft>, String> {
        let first = self.draft()?;
        let mut out = Vec::with_capacity(1 + self.also.len());
        for t in &self.also {
            out.push(Draft {
                topic: t.clone(),
                ..first.clone()
            });
        }
        out.insert(0, first);
        Ok(out)
    }

    /// The topics the composer sends to, as the status bar names them.
    pub fn targets(&self) -> String {
        std::iter::once(self.topic.as_str())
            .chain(self.also.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// Headers from the editor: `name: value` per line, a bare name is null.
    pub fn parsed_headers(&self) -> Result<Vec<Header>, String> {
        crate::engine::record::parse_headers(
            &self.headers.lines().join("\n"),
            &crate::engine::record::HeaderSyntax::LINES,
        )
        .map_err(|e| e.to_string())
    }

    /// The explicit timestamp, if one was typed: epoch ms or ISO-8601.
    pub fn parsed_timestamp(&self) -> Result<Option<i64>, String> {
        let text = self.timestamp.lines()[0].trim();
        if text.is_empty() || text == "now" {
            return Ok(None);
        }
        crate::replay::parse_time(text)
            .map(Some)
            .map_err(|e| format!("timestamp {e}"))
    }

    /// The explicit partition, if one was typed.
    pub fn parsed_partition(&self) -> Result<Option<i32>, String> {
        let text = self.partition.lines()[0].trim();
        if text.is_empty() {
            return Ok(None);
        }
        let p: i32 = text
            .parse()
            .map_err(|_| format!("partition '{text}' is not a partition number"))?;
        if p < 0 {
            return Err(format!("partition {p} is negative"));
        }
        if let Some(n) = self.partition_count() {
            if p >= n {
                return Err(format!(
                    "topic '{}' has partitions 0..{} only",
                    self.topic,
                    n - 1
                ));
            }
        }
        Ok(Some(p))
    }
}
