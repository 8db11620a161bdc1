//! The librdkafka producer: builds it from settings, enqueues drafts, and turns
//! delivery reports and client errors into engine events.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Headers};
use rdkafka::producer::{Producer as _, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Message, Timestamp};
use thiserror::Error;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Notify;

use crate::batches::Tracker;
use crate::clock::now_ms;
use crate::connection::{ClientError, Connection};
use crate::debuglog::{self, Debug};
use crate::event::{Ack, Event, Level, Stamp, Told, TxnError, TxnErrorKind, TxnState};
use crate::metadata::{self, Counts};
use crate::partition::{self, Choice, Partitioner};
use crate::produce::{self, Record, Topics};
use crate::record::Draft;
use crate::requests;
use crate::schema::Encoder;
use crate::serde::{SerializeError, Serializer};
use crate::stats;
use crate::sync::lock;
use crate::transaction::{Auto, Book};
use crate::verdict::TxnEnd;
use crate::verify::{Verifier, ID_HEADER};

/// Records counted since the engine started; totals a front end can trust.
#[derive(Debug, Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub failed: AtomicU64,
    next_id: AtomicU64,
    /// A front end takes the events through an Inbox, counting in `taken`
    /// the records' events (queued, acked, failed) it took.
    pub(crate) watched: AtomicBool,
    pub(crate) taken: AtomicU64,
    /// Acks carry key and value (Told::Payloads).
    pub(crate) ack_payloads: AtomicBool,
    /// A Queued event is sent for each record (Told::Lengths and Payloads).
    queued_events: AtomicBool,
    /// Transactions begun since the engine started: numbers stay unique
    /// across rebuilt producers, so the verifier can tell them apart.
    txns: AtomicU64,
}

/// Records' events a watching front end may leave untaken before new
/// records wait for it: about 10 MB of events.
const UNTAKEN_MAX: u64 = 50_000;

impl Counters {
    /// Makes the records' events what the front end asked for.
    pub(crate) fn tell(&self, told: Told) {
        self.ack_payloads
            .store(told == Told::Payloads, Ordering::Relaxed);
        self.queued_events
            .store(told != Told::Outcomes, Ordering::Relaxed);
    }

    /// Waits while the front end is far behind the records' events.
    async fn keep_pace(&self) {
        if !self.watched.load(Ordering::Relaxed) {
            return;
        }
        loop {
            let queued = match self.queued_events.load(Ordering::Relaxed) {
                true => self.sent.load(Ordering::Relaxed),
                false => 0,
            };
            let made =
                queued + self.acked.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed);
            if made.saturating_sub(self.taken.load(Ordering::Relaxed)) <= UNTAKEN_MAX {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// What rides with a record through librdkafka and returns in its report.
pub struct InFlight {
    id: u64,
    sent_at: Instant,
    created: i64,
}

/// The same client error (by name) is reported at most this often:
/// librdkafka repeats connection errors on every reconnect attempt.
const ERROR_REPEAT: Duration = Duration::from_secs(10);
/// How librdkafka words a failed OAUTHBEARER token fetch.
const TOKEN_REFUSED: &str = "Failed to acquire SASL OAUTHBEARER token";
/// How long a token refusal fails the records sent after it at once.
const TOKEN_REFUSAL_HOLDS: Duration = Duration::from_secs(30);

/// Receives librdkafka's callbacks on its polling thread.
pub struct Ctx {
    events: UnboundedSender<Event>,
    counters: Arc<Counters>,
    verifier: Option<Arc<Verifier>>,
    last_error: Mutex<Option<(String, Instant)>>,
    /// delivery.timeout.ms, named when a record runs out of it.
    delivery_timeout_ms: u32,
    batches: Tracker,
    requests: requests::Tracker,
    stats: Mutex<stats::Reader>,
    /// Whether a report librdkafka wrote could not be read, said once.
    stats_unread: AtomicBool,
    /// Rung on every client error and failed delivery: the moments a fatal
    /// error can have been raised (see watch_fatal).
    alarm: Arc<Notify>,
    /// The broker refused kprod's credentials: the reason, until a record
    /// is acked again. Records waiting then fail at once, as a Java send()
    /// fails with an AuthenticationException, rather than after
    /// delivery.timeout.ms.
    auth_failed: Mutex<Option<String>>,
    /// Whether `auth_failed` holds a reason: read on every ack, without
    /// the lock.
    auth_active: AtomicBool,
    /// A refusal came that the records waiting have not been failed for.
    auth_unanswered: AtomicBool,
    /// When the token endpoint last refused kprod's client credentials
    /// (OAUTHBEARER): with no token there is no connection, so no further
    /// refusal comes for the records sent after it. For a while they fail
    /// at once too, as the Java producer fails without its login; after
    /// that one is handed over again, for librdkafka's next try.
    token_refused: Mutex<Option<Instant>>,
    /// librdkafka reported an error: only then can the producer be dead of
    /// a fatal one (librdkafka reports those too), so only then is it asked
    /// before each record.
    errored: AtomicBool,
    /// The last client error librdkafka told (its name and reason): a
    /// transaction call that times out says only that, and this is why.
    last_cause: Mutex<Option<String>>,
}

impl ClientContext for Ctx {
    fn log(&self, _level: RDKafkaLogLevel, fac: &str, msg: &str) {
        // librdkafka's log lines would scribble over the screen: kprod reads
        // the batch and request lines it asked for and leaves the rest
        // (errors reach it through error() and delivery reports).
        let request = match debuglog::read(fac, msg) {
            Some(Debug::Batch(line)) => {
                let request = self.requests.batch(&line);
                self.batches.line(line);
                request
            }
            Some(Debug::Wire(wire)) => self.requests.wire(&wire, now_ms()),
            None => None,
        };
        if let Some(r) = request {
            let _ = self.events.send(Event::Request(r));
        }
    }

    fn stats_raw(&self, report: &[u8]) {
        match serde_json::from_slice::<rdkafka::Statistics>(report) {
            Ok(report) => {
                for (topic, sent) in lock(&self.stats).read(&report) {
                    let _ = self.events.send(Event::Stats { topic, sent });
                }
            }
            Err(e) => {
                if !self.stats_unread.swap(true, Ordering::Relaxed) {
                    let _ = self.events.send(Event::Notice {
                        level: Level::Warn,
                        text: format!("librdkafka's statistics could not be read ({e}): the figures taken from them stay empty"),
                    });
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication) {
            if reason.contains(TOKEN_REFUSED) {
                *lock(&self.token_refused) = Some(Instant::now());
            }
            *lock(&self.auth_failed) = Some(reason.to_string());
            self.auth_active.store(true, Ordering::Relaxed);
            self.auth_unanswered.store(true, Ordering::Relaxed);
        }
        self.errored.store(true, Ordering::Relaxed);
        self.alarm.notify_one();
        let name = error_name(&error);
        // "All brokers down" follows the error that brought them down,
        // which is the one worth showing.
        let mut cause = lock(&self.last_cause);
        if error.rdkafka_error_code() != Some(RDKafkaErrorCode::AllBrokersDown) || cause.is_none() {
            *cause = Some(format!("{name}: {reason}"));
        }
        drop(cause);
        if let Ok(mut last) = self.last_error.lock() {
            if matches!(&*last, Some((n, at)) if *n == name && at.elapsed() < ERROR_REPEAT) {
                return;
            }
            *last = Some((name.clone(), Instant::now()));
        }
        let _ = self.events.send(Event::Notice {
            level: Level::Error,
            text: format!("{name}: {reason}{}", what_to_check(&error, reason)),
        });
    }
}

/// For the failures a secured cluster gives first, what to look at: the
/// reason librdkafka gives names the symptom, not the setting.
fn what_to_check(error: &KafkaError, reason: &str) -> &'static str {
    let code = error.rdkafka_error_code();
    if code == Some(RDKafkaErrorCode::Authentication) && reason.contains(TOKEN_REFUSED) {
        return " (the token endpoint's answer: check clientId and clientSecret in sasl.jaas.config, or sasl.oauthbearer.client.id/secret, and sasl.oauthbearer.token.endpoint.url)";
    }
    if code == Some(RDKafkaErrorCode::Authentication) {
        return " (check the user and password: sasl.username/sasl.password or sasl.jaas.config, and sasl.mechanism)";
    }
    if reason.contains("certificate verify failed") {
        return " (the broker's certificate is not trusted: check ssl.truststore.location or ssl.ca.location)";
    }
    if reason.contains("alert bad certificate") || reason.contains("alert certificate required") {
        return " (the broker refused kprod's certificate: check ssl.keystore.location, or ssl.certificate.location and ssl.key.location)";
    }
    if reason.contains("Disconnected while requesting ApiVersion")
        || reason.contains("wrong version number")
    {
        return " (does security.protocol match the listener? TLS against a plaintext port, or the other way round, looks like this)";
    }
    ""
}

impl ProducerContext for Ctx {
    type DeliveryOpaque = Box<InFlight>;

    fn delivery(&self, result: &DeliveryResult<'_>, inflight: Box<InFlight>) {
        let latency = inflight.sent_at.elapsed();
        let event = match result {
            Ok(msg) => {
                self.counters.acked.fetch_add(1, Ordering::Relaxed);
                // The credentials work (again).
                if self.auth_active.swap(false, Ordering::Relaxed) {
                    *lock(&self.auth_failed) = None;
                }
                let offset = (msg.offset() >= 0).then_some(msg.offset());
                // librdkafka's name, read once: each read measures it anew.
                let (topic, key, value) = (msg.topic(), msg.key(), msg.payload());
                if let Some(v) = &self.verifier {
                    v.acked(topic, msg.partition(), offset, inflight.id);
                }
                let bytes = key.map_or(0, <[u8]>::len)
                    + value.map_or(0, <[u8]>::len)
                    + msg.headers().map_or(0, |hs| {
                        hs.iter()
                            .map(|h| h.key.len() + h.value.map_or(0, <[u8]>::len))
                            .sum()
                    });
                if let Some(batch) = self.batches.acked(topic, msg.partition(), bytes as u64) {
                    let _ = self.events.send(Event::Batch(batch));
                }
                let copies = self.counters.ack_payloads.load(Ordering::Relaxed);
                Event::Acked(Ack {
                    id: inflight.id,
                    topic: topic.to_string(),
                    key: key.filter(|_| copies).map(<[u8]>::to_vec),
                    value: value.filter(|_| copies).map(<[u8]>::to_vec),
                    key_len: key.map(<[u8]>::len),
                    value_len: value.map(<[u8]>::len),
                    headers: copies.then(|| sent_headers(msg.headers())),
                    partition: msg.partition(),
                    offset,
                    timestamp: stamp(msg.timestamp()),
                    created: inflight.created,
                    latency,
                })
            }
            Err((err, msg)) => {
                self.alarm.notify_one();
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                if let Some(v) = &self.verifier {
                    v.failed(inflight.id);
                }
                self.requests.given_up(msg.topic(), msg.partition());
                let mut message = err.to_string();
                let mut code = error_name(err);
                let purged = matches!(
                    err.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight)
                );
                if let Some(reason) = lock(&self.auth_failed).as_ref().filter(|_| purged) {
                    code = "SASL_AUTHENTICATION_FAILED".into();
                    message = match reason.contains(TOKEN_REFUSED) {
                        true => format!("not sent: kprod has no OAUTHBEARER token ({reason})"),
                        false => {
                            format!("not sent: the broker refused kprod's credentials ({reason})")
                        }
                    };
                } else if err.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageTimedOut) {
                    message.push_str(&format!(
                        ": delivery.timeout.ms ({} ms) ran out before an ack",
                        self.delivery_timeout_ms
                    ));
                }
                Event::Failed {
                    id: inflight.id,
                    topic: msg.topic().to_string(),
                    key: msg.key().map(<[u8]>::to_vec),
                    value: msg.payload().map(<[u8]>::to_vec),
                    headers: self
                        .counters
                        .ack_payloads
                        .load(Ordering::Relaxed)
                        .then(|| sent_headers(msg.headers())),
                    partition: (msg.partition() >= 0).then_some(msg.partition()),
                    code,
                    message,
                    latency,
                }
            }
        };
        let _ = self.events.send(event);
    }
}

/// A delivered message's headers, without the verifier's id: what the
/// user's record carried.
fn sent_headers(headers: Option<&rdkafka::message::BorrowedHeaders>) -> Vec<crate::record::Header> {
    headers.map_or_else(Vec::new, |hs| {
        hs.iter()
            .filter(|h| h.key != ID_HEADER)
            .map(|h| crate::record::Header {
                name: h.key.to_string(),
                value: h.value.map(<[u8]>::to_vec),
            })
            .collect()
    })
}

/// Why a record's key or value could not be serialized.
#[derive(Debug, Clone, Error)]
#[error("{field} as {serializer}: {source}")]
pub struct SerializationError {
    /// "key" or "value".
    pub field: &'static str,
    /// The serializer's name (String, avro, ...).
    pub serializer: &'static str,
    #[source]
    pub source: SerializeError,
}

/// A key or value as its serializer, or its schema's, puts it on the wire.
fn serialize<'a>(
    field: &'static str,
    serializer: Serializer,
    schema: Option<&Encoder>,
    typed: Option<&'a [u8]>,
) -> Result<Option<Cow<'a, [u8]>>, SerializationError> {
    typed
        .map(|t| match schema {
            Some(e) => e
                .encode(t)
                .map(Cow::Owned)
                .map_err(|source| SerializationError {
                    field,
                    serializer: e.format.name(),
                    source: source.into(),
                }),
            None => serializer
                .serialize(t)
                .map_err(|source| SerializationError {
                    field,
                    serializer: serializer.name(),
                    source,
                }),
        })
        .transpose()
}

fn stamp(ts: Timestamp) -> Option<Stamp> {
    match ts {
        Timestamp::CreateTime(ms) if ms >= 0 => Some(Stamp::CreateTime(ms)),
        Timestamp::LogAppendTime(ms) if ms >= 0 => Some(Stamp::LogAppendTime(ms)),
        _ => None,
    }
}

/// Kafka's name for an error (NOT_ENOUGH_REPLICAS, MSG_TIMED_OUT, ...), the
/// name users find in Kafka's docs and logs.
pub fn error_name(err: &KafkaError) -> String {
    match err.rdkafka_error_code() {
        Some(code) => upper_snake(&format!("{code:?}")),
        None => "ERROR".into(),
    }
}

pub(crate) fn upper_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// librdkafka (2.12) asks for an idempotent producer's id when a metadata
/// answer arrives, or else on a 500 ms timer. The first answer comes through
/// the bootstrap connection, which it closes at once for the brokers the
/// cluster names, so no broker is up to ask and every first record waited
/// half a second. Asking for metadata until one of the named brokers answers
/// lets librdkafka ask for the id as soon as that broker is up.
fn hurry_producer_id(producer: &ThreadedProducer<Ctx>) {
    for _ in 0..3 {
        match metadata::ask(producer.client(), None, Duration::from_secs(2)) {
            Ok(md) if md.answered_by < 0 => continue,
            // Answered by a named broker, or unreachable (the engine says so).
            _ => return,
        }
    }
}

/// The producer, shared by the engine loop and the tasks that send bursts.
pub struct Producer {
    /// Where records are sent, a topic handle kept for each topic.
    topics: Topics<Ctx>,
    inner: Arc<ThreadedProducer<Ctx>>,
    partitioner: Partitioner,
    /// Partition counts for kprod's own partitioners, by topic.
    counts: Counts,
    /// A transactional producer's book (None: not transactional).
    book: Option<Mutex<Book>>,
    transactional_id: Option<String>,
    /// See txn_call.
    txn_call: Duration,
    /// max.block.ms: the longest a record waits for room in the queue.
    max_block: Duration,
}

impl Producer {
    /// A producer on `connection`, under its settings.
    pub fn build(
        connection: &Connection,
        events: UnboundedSender<Event>,
        counters: Arc<Counters>,
        verifier: Option<Arc<Verifier>>,
    ) -> Result<Producer, ClientError> {
        let settings = connection.settings();
        let ctx = Ctx {
            events,
            counters,
            verifier,
            last_error: Mutex::new(None),
            delivery_timeout_ms: settings.delivery_timeout_ms(),
            batches: Tracker::default(),
            requests: requests::Tracker::default(),
            stats: Mutex::default(),
            stats_unread: AtomicBool::new(false),
            alarm: Arc::default(),
            auth_failed: Mutex::new(None),
            auth_active: AtomicBool::new(false),
            auth_unanswered: AtomicBool::new(false),
            token_refused: Mutex::new(None),
            errored: AtomicBool::new(false),
            last_cause: Mutex::new(None),
        };
        let partitioner = settings.partitioner()?;
        // A store that cannot be read or opened is said so, before librdkafka
        // would say only that Java stores are not supported.
        if let Some(e) = connection.untranslated() {
            return Err(e.clone().into());
        }
        let mut config = connection.producer_config();
        // librdkafka's `msg` and `protocol` debug lines are where batches
        // and requests are told.
        let mut debug = settings.debug_contexts();
        for needed in ["msg", "protocol"] {
            if !debug.iter().any(|c| *c == needed || *c == "all") {
                debug.push(needed);
            }
        }
        config.set("debug", debug.join(","));
        // Each line librdkafka writes would start with its thread's name, a
        // second formatting call for every one of the five lines a batch
        // brings; kprod reads the broker from the line itself and shows no
        // librdkafka line, so it asks for none unless the user did.
        if config.get("log.thread.name").is_none() {
            config.set("log.thread.name", "false");
        }
        // Batches per topic and bytes sent come from librdkafka's statistics.
        config.set(
            "statistics.interval.ms",
            settings.statistics_interval_ms().to_string(),
        );
        config.set_log_level(RDKafkaLogLevel::Debug);
        let inner: Arc<ThreadedProducer<Ctx>> = Arc::new(config.create_with_context(ctx).map_err(
            |source| ClientError::Create {
                client: "producer",
                source,
            },
        )?);
        if settings.idempotent() {
            let client = inner.clone();
            std::thread::spawn(move || hurry_producer_id(&client));
        }
        let client = inner.clone();
        let counts = Counts::new(Arc::new(move |topic: &str| {
            let md = metadata::ask(client.client(), Some(topic), Duration::from_secs(2)).ok()?;
            let t = md.topic(topic)?;
            (!t.layout.is_empty()).then_some(t.partitions)
        }));
        Ok(Producer {
            topics: Topics::new(inner.clone()),
            inner,
            partitioner,
            counts,
            book: settings.transactional_id().map(|_| Mutex::default()),
            transactional_id: settings.transactional_id().map(str::to_string),
            txn_call: txn_call(settings),
            max_block: settings.max_block(),
        })
    }

    /// The topic's partition count (see metadata::Counts).
    async fn partitions(&self, topic: &str, now: Instant) -> Option<i32> {
        self.counts.get(topic, now).await
    }

    /// Where kprod's own partitioner sends `draft`, if it is the one in use.
    async fn choose(&self, draft: &Draft, size: usize, now: Instant) -> Choice {
        if draft.partition.is_some() || !self.partitioner.needs_count(draft) {
            return Choice::Default;
        }
        match self.partitions(&draft.topic, now).await {
            Some(n) => self.partitioner.choose(draft, size, n),
            None => Choice::Default,
        }
    }

    /// Where this producer's events go.
    pub fn events(&self) -> &UnboundedSender<Event> {
        &self.inner.context().events
    }

    /// librdkafka's fatal error, once it raised one: Kafka's name for the
    /// underlying error and librdkafka's reason. A producer in that state
    /// fails every record it is given.
    pub fn fatal(&self) -> Option<(String, String)> {
        self.inner
            .client()
            .fatal_error()
            .map(|(code, reason)| (upper_snake(&format!("{code:?}")), reason))
    }

    /// What librdkafka still holds: records, their reports not yet served,
    /// and its own requests (metadata, producer id). Nothing is done until
    /// it is 0.
    pub fn in_flight(&self) -> i32 {
        self.inner.in_flight_count()
    }

    /// Records handed over whose fate is not yet known: what a person asks
    /// about when told "waiting for N in flight".
    pub fn records_in_flight(&self) -> u64 {
        let c = &self.inner.context().counters;
        let settled = c.acked.load(Ordering::Relaxed) + c.failed.load(Ordering::Relaxed);
        c.sent.load(Ordering::Relaxed).saturating_sub(settled)
    }

    /// After the broker refused kprod's credentials, fails the records
    /// waiting, once for each refusal: librdkafka would retry them until
    /// delivery.timeout.ms, where the Java producer fails the send.
    fn fail_if_refused(&self) {
        let ctx = self.inner.context();
        if !ctx.auth_unanswered.swap(false, Ordering::Relaxed) {
            return;
        }
        let reason = lock(&ctx.auth_failed).clone();
        if let Some(reason) = reason {
            if self.records_in_flight() > 0 {
                let _ = ctx.events.send(Event::Notice {
                    level: Level::Error,
                    text: format!(
                        "authentication failed ({reason}): the {} record(s) waiting fail now, as a Java producer's send fails; records sent later are tried again",
                        self.records_in_flight()
                    ),
                });
                self.purge();
            }
        }
    }

    /// Fails every record not yet delivered: queued ones and those whose
    /// answer has not come. Their delivery reports say so (purged).
    pub fn purge(&self) {
        use rdkafka::producer::PurgeConfig;
        self.inner.purge(PurgeConfig::default().queue().inflight());
    }

    pub fn client(&self) -> &rdkafka::client::Client<Ctx> {
        self.inner.client()
    }

    /// Returns once records for `topic` can go: the verifier (if on) knows
    /// where its reading starts, and kprod's partitioner (if it chooses)
    /// the topic's partition count.
    pub async fn ready(&self, topic: &str) {
        self.watched(topic).await;
        if self.partitioner.chooses() {
            self.partitions(topic, Instant::now()).await;
        }
    }

    /// Returns once the verifier (if on) knows where its reading of `topic`
    /// starts.
    async fn watched(&self, topic: &str) {
        if let Some(v) = &self.inner.context().verifier {
            v.watch(topic).await;
        }
    }

    /// Hands a record to librdkafka, waiting while its queue is full for up
    /// to max.block.ms, as the Java client blocks in send(), then failing
    /// it. False, with nothing sent, once the producer is dead of a fatal
    /// error.
    pub async fn enqueue(&self, draft: &Draft) -> bool {
        if self.inner.context().errored.load(Ordering::Relaxed) && self.fatal().is_some() {
            return false;
        }
        // A name Kafka refuses is refused here as the Java client's send()
        // throws InvalidTopicException: the embedded cluster would take it.
        // Nothing is asked of the cluster about such a topic.
        let bad_topic = crate::topic::validate(&draft.topic).err();
        if bad_topic.is_none() {
            self.watched(&draft.topic).await;
        }
        let outside = self.outside_transaction().await;
        let ctx = self.inner.context();
        ctx.counters.keep_pace().await;
        // Timed from here, as the Java client times a record from send(),
        // a first wait for the topic's partition count included.
        let sent_at = Instant::now();
        let id = ctx.counters.next_id();
        let key = serialize(
            "key",
            draft.key_serializer,
            draft.key_schema.as_ref(),
            draft.key.as_deref(),
        );
        let value = serialize(
            "value",
            draft.value_serializer,
            draft.value_schema.as_ref(),
            draft.value.as_deref(),
        );
        let size = |b: &Result<Option<Cow<[u8]>>, SerializationError>| {
            b.as_ref().ok().and_then(|b| b.as_ref().map(|b| b.len()))
        };
        let tag = ctx.verifier.as_ref().map(|v| v.header(id));
        let choice = match (&key, &value) {
            (Ok(_), Ok(_)) if bad_topic.is_none() => {
                let headers: usize = draft
                    .headers
                    .iter()
                    .map(|h| h.name.len() + h.value.as_ref().map_or(0, Vec::len))
                    .chain(tag.as_ref().map(|t| ID_HEADER.len() + t.len()))
                    .sum();
                let count = draft.headers.len() + usize::from(tag.is_some());
                let size = size(&key).unwrap_or(0) + size(&value).unwrap_or(0) + headers;
                self.choose(draft, partition::in_batch(size, count), sent_at)
                    .await
            }
            _ => Choice::Default,
        };
        let partition = match choice {
            Choice::Partition(p) => Some(p),
            _ => draft.partition,
        };
        if ctx.counters.queued_events.load(Ordering::Relaxed) {
            let _ = ctx.events.send(Event::Queued {
                id,
                topic: draft.topic.clone(),
                partition,
                key_len: size(&key),
                value_len: size(&value),
            });
        }
        ctx.counters.sent.fetch_add(1, Ordering::Relaxed);
        // Under librdkafka's code for the same refusal, as a record it
        // refused itself would be reported.
        let refused = |code: RDKafkaErrorCode, message: String| {
            // As the Java client's send() throws: the record never reaches
            // the broker.
            ctx.counters.failed.fetch_add(1, Ordering::Relaxed);
            let _ = ctx.events.send(Event::Failed {
                id,
                topic: draft.topic.clone(),
                key: draft.key.clone(),
                value: draft.value.clone(),
                headers: None,
                partition: draft.partition,
                code: upper_snake(&format!("{code:?}")),
                message,
                latency: Duration::ZERO,
            });
        };
        if let Some(e) = bad_topic {
            refused(RDKafkaErrorCode::InvalidTopic, e.to_string());
            return true;
        }
        // As the Java client's send() throws IllegalStateException outside
        // a transaction; librdkafka would fail it on its own later.
        if let Some(why) = outside {
            refused(RDKafkaErrorCode::State, why);
            return true;
        }
        let (key, value) = match (key, value) {
            (Ok(k), Ok(v)) => (k, v),
            (Err(e), _) | (_, Err(e)) => {
                let code = match e.field {
                    "key" => RDKafkaErrorCode::KeySerialization,
                    _ => RDKafkaErrorCode::ValueSerialization,
                };
                refused(code, e.to_string());
                return true;
            }
        };
        if let Choice::OutOfRange { line, partition } = choice {
            refused(
                RDKafkaErrorCode::UnknownPartition,
                format!(
                    "partitioner.rules line {line} sends to partition {partition}, which topic '{}' does not have",
                    draft.topic
                ),
            );
            return true;
        }
        // Stamped here, as the Java client stamps in send(), so the ack can
        // be compared with the time the record was made.
        let created = draft.timestamp.unwrap_or_else(now_ms);
        let record = Record {
            topic: &draft.topic,
            partition: partition.unwrap_or(-1),
            key: key.as_deref(),
            value: value.as_deref(),
            timestamp: created,
        };
        let mut opaque = Box::new(InFlight {
            id,
            sent_at,
            created,
        });
        let mut headers = None;
        if !draft.headers.is_empty() || tag.is_some() {
            let mut hs = produce::Headers::with_capacity(draft.headers.len() + 1);
            for h in &draft.headers {
                hs.add(&h.name, h.value.as_deref());
            }
            if let Some(tag) = &tag {
                hs.add(ID_HEADER, Some(tag.as_bytes()));
            }
            headers = Some(hs);
        }
        let mut full_since: Option<Instant> = None;
        loop {
            match self.topics.send(&record, opaque, headers) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), o, h))
                    if full_since.get_or_insert_with(Instant::now).elapsed() < self.max_block =>
                {
                    (opaque, headers) = (o, h);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Err((err, back, _)) => {
                    let (code, message) = match err {
                        // As the Java client's BufferExhaustedException.
                        KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull) => (
                            "QUEUE_FULL".to_string(),
                            format!(
                                "no room in buffer.memory within max.block.ms ({} ms): the record was not sent",
                                self.max_block.as_millis()
                            ),
                        ),
                        err => (error_name(&err), err.to_string()),
                    };
                    ctx.counters.failed.fetch_add(1, Ordering::Relaxed);
                    let _ = ctx.events.send(Event::Failed {
                        id: back.id,
                        topic: draft.topic.clone(),
                        key: draft.key.clone(),
                        value: draft.value.clone(),
                        headers: None,
                        partition: draft.partition,
                        code,
                        message,
                        latency: back.sent_at.elapsed(),
                    });
                    return true;
                }
            }
        }
        // Sent while the token endpoint refuses: failed with the waiting
        // ones (fail_if_refused), not left to delivery.timeout.ms.
        // The atomic first: the lock is taken only after a refusal.
        if ctx.auth_active.load(Ordering::Relaxed)
            && lock(&ctx.token_refused).is_some_and(|at| at.elapsed() < TOKEN_REFUSAL_HOLDS)
        {
            ctx.auth_unanswered.store(true, Ordering::Relaxed);
            ctx.alarm.notify_one();
        }
        self.counted_in_transaction(&draft.topic, id).await;
        true
    }
}

/// How long a transaction call (init, commit, abort) may block: the
/// Java client bounds them by max.block.ms, which librdkafka does not
/// have; kprod waits as long as a transaction may stay open,
/// transaction.timeout.ms.
fn txn_call(settings: &crate::settings::Settings) -> Duration {
    Duration::from_millis(u64::from(settings.transaction_timeout_ms()))
}

/// A failed transaction call, classified as librdkafka says: fatal,
/// abortable (txn_requires_abort), retriable, or refused for the state.
pub fn classify(err: &KafkaError) -> TxnError {
    match err {
        KafkaError::Transaction(e) => TxnError {
            kind: if e.is_fatal() {
                TxnErrorKind::Fatal
            } else if e.txn_requires_abort() {
                TxnErrorKind::Abortable
            } else if e.is_retriable() {
                TxnErrorKind::Retriable
            } else {
                TxnErrorKind::Refused
            },
            code: upper_snake(&format!("{:?}", e.code())),
            message: e.string(),
        },
        other => TxnError {
            kind: TxnErrorKind::Refused,
            code: error_name(other),
            message: other.to_string(),
        },
    }
}

impl Producer {
    /// Whether this producer has a transactional.id.
    pub fn transactional(&self) -> bool {
        self.book.is_some()
    }

    fn notice(&self, level: Level, text: String) {
        let _ = self.events().send(Event::Notice { level, text });
    }

    /// Runs a blocking transaction call off the async threads.
    async fn call(
        &self,
        f: impl FnOnce(&ThreadedProducer<Ctx>) -> rdkafka::error::KafkaResult<()> + Send + 'static,
    ) -> Result<(), TxnError> {
        let inner = self.inner.clone();
        match tokio::task::spawn_blocking(move || f(&inner)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                let mut error = classify(&e);
                // A refused login or a broken TLS handshake shows here only
                // as a timeout; the client error callback told the cause.
                if error.code.contains("TIMED_OUT") {
                    if let Some(cause) = lock(&self.inner.context().last_cause).as_ref() {
                        error.message =
                            format!("{} (the client's last error: {cause})", error.message);
                    }
                }
                Err(error)
            }
            Err(e) => Err(TxnError {
                kind: TxnErrorKind::Refused,
                code: "ERROR".into(),
                message: e.to_string(),
            }),
        }
    }

    /// init_transactions: registers the transactional.id with its
    /// coordinator, fencing any older producer with the same id, and
    /// says so in a TxnReady event. Nothing to do when not transactional.
    pub async fn init_transactions(&self) {
        let (Some(book), Some(id)) = (&self.book, &self.transactional_id) else {
            return;
        };
        let timeout = self.txn_call;
        let error = self.call(move |p| p.init_transactions(timeout)).await.err();
        lock(book).ready = Some(match &error {
            None => Ok(()),
            Some(e) => Err(format!("{}: {}", e.code, e.message)),
        });
        let _ = self.events().send(Event::TxnReady {
            transactional_id: id.clone(),
            error,
        });
    }

    /// kprod opens and ends transactions itself from now on.
    pub fn auto_transactions(&self, auto: Auto) -> bool {
        match &self.book {
            Some(book) => {
                lock(book).auto = Some(auto);
                true
            }
            None => false,
        }
    }

    /// Why a record cannot go now, for a transactional producer outside a
    /// transaction (one is begun first when kprod opens them itself).
    async fn outside_transaction(&self) -> Option<String> {
        let book = self.book.as_ref()?;
        let (open, auto) = {
            let b = lock(book);
            (b.open.is_some(), b.auto.is_some())
        };
        if open || (auto && self.begin().await) {
            return None;
        }
        Some(
            "not sent: a transactional producer sends only inside a transaction; begin one first"
                .into(),
        )
    }

    /// A record was handed to librdkafka: it counts in the open
    /// transaction, which kprod ends when it opened it and it is full.
    async fn counted_in_transaction(&self, topic: &str, id: u64) {
        let Some(book) = &self.book else { return };
        let (number, end) = {
            let mut b = lock(book);
            (b.add(topic), b.auto_end())
        };
        if let (Some(n), Some(v)) = (number, &self.inner.context().verifier) {
            v.in_transaction(id, n);
        }
        if let Some(abort) = end {
            self.end(abort).await;
        }
    }

    /// Begins a transaction; false (and said why) when none can begin.
    pub async fn begin(&self) -> bool {
        let Some(book) = &self.book else {
            self.notice(
                Level::Warn,
                "no transaction begun: the producer is not transactional (set transactional.id)"
                    .into(),
            );
            return false;
        };
        {
            let b = lock(book);
            match &b.ready {
                Some(Ok(())) => {}
                Some(Err(why)) => {
                    self.notice(Level::Error, format!("no transaction begun: the producer was not initialised ({why}); re-initialise it"));
                    return false;
                }
                None => {
                    self.notice(
                        Level::Warn,
                        "no transaction begun: the producer is still being initialised".into(),
                    );
                    return false;
                }
            }
            if let Some(o) = &b.open {
                self.notice(
                    Level::Warn,
                    format!(
                        "transaction {} is open already ({} records): commit or abort it first",
                        o.number, o.records
                    ),
                );
                return false;
            }
        }
        // begin_transaction is a local call: it does not block.
        match self.inner.begin_transaction().map_err(|e| classify(&e)) {
            Ok(()) => {
                let number = self
                    .inner
                    .context()
                    .counters
                    .txns
                    .fetch_add(1, Ordering::Relaxed)
                    + 1;
                let txn = lock(book).begin(number).told(TxnState::Begun);
                let _ = self.events().send(Event::Transaction(txn));
                true
            }
            Err(error) => {
                let txn = crate::event::Txn {
                    number: self.inner.context().counters.txns.load(Ordering::Relaxed) + 1,
                    records: 0,
                    topics: Vec::new(),
                    state: TxnState::Failed {
                        call: "begin",
                        error,
                    },
                };
                let _ = self.events().send(Event::Transaction(txn));
                false
            }
        }
    }

    /// Commits (or aborts) the open transaction. An abort first lets the
    /// records sent reach the log, so a read_uncommitted reader sees what
    /// was aborted. False when it did not end as asked.
    pub async fn end(&self, abort: bool) -> bool {
        let word = if abort { "abort" } else { "commit" };
        let Some(book) = &self.book else {
            self.notice(
                Level::Warn,
                format!("nothing to {word}: the producer is not transactional"),
            );
            return false;
        };
        let Some(open) = lock(book).open.clone() else {
            self.notice(
                Level::Warn,
                format!("nothing to {word}: no transaction is open"),
            );
            return false;
        };
        if !abort && open.must_abort {
            self.notice(
                Level::Error,
                format!(
                    "transaction {} cannot commit after an abortable error: abort it",
                    open.number
                ),
            );
            return false;
        }
        let going = if abort {
            TxnState::Aborting
        } else {
            TxnState::Committing
        };
        let _ = self.events().send(Event::Transaction(open.told(going)));
        let timeout = self.txn_call;
        let outcome = if abort {
            self.call(move |p| {
                let _ = p.flush(timeout);
                p.abort_transaction(timeout)
            })
            .await
        } else {
            self.call(move |p| p.commit_transaction(timeout)).await
        };
        let verifier = self.inner.context().verifier.clone();
        match outcome {
            Ok(()) => {
                lock(book).open = None;
                let (state, end) = match abort {
                    true => (TxnState::Aborted, TxnEnd::Aborted),
                    false => (TxnState::Committed, TxnEnd::Committed),
                };
                if let Some(v) = verifier {
                    v.transaction_ended(open.number, end);
                }
                let _ = self.events().send(Event::Transaction(open.told(state)));
                true
            }
            Err(error) => {
                {
                    let mut b = lock(book);
                    match error.kind {
                        // The producer is dead; its transaction with it.
                        TxnErrorKind::Fatal => b.open = None,
                        TxnErrorKind::Abortable => {
                            if let Some(o) = b.open.as_mut() {
                                o.must_abort = true;
                            }
                        }
                        _ => {}
                    }
                }
                let state = TxnState::Failed { call: word, error };
                let _ = self.events().send(Event::Transaction(open.told(state)));
                false
            }
        }
    }

    /// What is open when the records end: ended as kprod's own grouping
    /// would end it (a partial transaction whose number is a multiple of
    /// --abort-every is aborted), left open when the user opened it.
    pub async fn end_open(&self) {
        let Some(book) = &self.book else { return };
        let (auto, open) = {
            let b = lock(book);
            (b.auto, b.open.as_ref().map(|o| (o.number, o.records)))
        };
        match (auto, open) {
            (Some(auto), Some((number, _))) => {
                self.end(auto.aborts(number)).await;
            }
            (None, Some((number, records))) => self.notice(
                Level::Warn,
                format!("transaction {number} ({records} records) is left open: the broker aborts it after transaction.timeout.ms"),
            ),
            _ => {}
        }
    }

    /// The open transaction, as an event would tell it.
    pub fn open_transaction(&self) -> Option<crate::transaction::Open> {
        lock(self.book.as_ref()?).open.clone()
    }
}

/// Tells a producer's fatal error once, as soon as librdkafka raises it,
/// and then what became of the records it held: they still get their
/// reports (librdkafka fails what was queued and lets requests on the wire
/// end), and the tally says how many were acked and failed since.
pub async fn watch_fatal(producer: std::sync::Weak<Producer>) {
    let Some(alarm) = producer.upgrade().map(|p| p.inner.context().alarm.clone()) else {
        return;
    };
    let (in_flight, acked, failed) = loop {
        alarm.notified().await;
        let Some(p) = producer.upgrade() else {
            return;
        };
        p.fail_if_refused();
        if let Some((code, reason)) = p.fatal() {
            let ctx = p.inner.context();
            // From the counters, read together, so that the tally at the end
            // adds up to the figure told now.
            let (sent, acked, failed) = (
                ctx.counters.sent.load(Ordering::Relaxed),
                ctx.counters.acked.load(Ordering::Relaxed),
                ctx.counters.failed.load(Ordering::Relaxed),
            );
            let in_flight = sent.saturating_sub(acked + failed);
            let _ = ctx.events.send(Event::Fatal {
                code,
                reason,
                in_flight,
            });
            break (in_flight, acked, failed);
        }
    };
    if in_flight == 0 {
        // Said all the same: a user asks what became of the records.
        if let Some(p) = producer.upgrade() {
            let _ = p.inner.context().events.send(Event::Notice {
                level: Level::Warn,
                text: "no record was in flight at the fatal error: none is left to settle".into(),
            });
        }
        return;
    }
    loop {
        let Some(p) = producer.upgrade() else {
            return;
        };
        if p.in_flight() <= 0 {
            let ctx = p.inner.context();
            let acked = ctx.counters.acked.load(Ordering::Relaxed) - acked;
            let failed = ctx.counters.failed.load(Ordering::Relaxed) - failed;
            let _ = ctx.events.send(Event::Notice {
                level: Level::Warn,
                text: format!(
                    "the {in_flight} record(s) in flight at the fatal error are settled: {acked} acked, {failed} failed"
                ),
            });
            return;
        }
        drop(p);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
