//! The engine: everything that talks to Kafka. Front ends send it `Command`s
//! and read `Event`s; it never knows whether a terminal is watching.

pub mod batches;
pub mod cluster;
pub mod compare;
pub mod faults;
pub mod pace;
pub mod partition;
pub mod producer;
pub mod proxy;
pub mod record;
pub mod requests;
pub mod serde;
pub mod settings;
pub mod stats;
pub mod template;
pub mod verify;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use cluster::Embedded;
use producer::{Counters, Producer};
use record::Draft;
use settings::Settings;
use verify::Verifier;

/// How the engine connects.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// `None` starts the embedded cluster.
    pub bootstrap: Option<String>,
    /// The topic the user starts on (created on the embedded cluster).
    pub topic: String,
    pub settings: Settings,
    /// Tag every record with an id header and read the topic back.
    pub verify: bool,
    /// Send through kprod's fault-injecting proxy (a real cluster only: the
    /// embedded one makes its faults itself).
    pub proxy: bool,
}

/// What a front end asks of the engine.
#[derive(Debug, Clone)]
pub enum Command {
    /// Send one record.
    Send(Draft),
    /// Send these records in order, then say so on `taken`. A reader waits
    /// for that before it sends more, so a large input never piles up in
    /// the command queue, and one wake-up carries many records.
    Feed {
        drafts: Vec<Draft>,
        taken: std::sync::mpsc::SyncSender<()>,
    },
    /// Send `count` copies with their generators filled in (`{seq}` is
    /// 0..count); at most `rate` records a second when given.
    Burst {
        draft: Draft,
        count: u64,
        rate: Option<f64>,
    },
    /// Send the same burst under each variant, one after the other, each
    /// by a producer of its own; a `Compared` event for each.
    Compare {
        draft: Draft,
        plan: compare::Plan,
    },
    /// Make the network misbehave (see faults.rs).
    Fault(faults::Fault),
    /// Hold every running burst where it is; `Resume` goes on from there,
    /// keeping its rate.
    Pause,
    Resume,
    /// End every running burst after the record being sent.
    Stop,
    /// Rebuild the producer with these settings once nothing is in flight.
    Apply(Settings),
    /// Ask the cluster for its topics again.
    RefreshTopics,
    CreateTopic(NewTopic),
    /// Send every burst to its end and wait until each record was acked or
    /// failed.
    Drain,
    /// Drain, read back to the end and report the final verification.
    Verify,
    /// Deliver or fail what is in flight, then stop.
    Shutdown,
}

/// When the broker says a record was written (CreateTime: the producer's
/// stamp kept; LogAppendTime: the broker's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    CreateTime(i64),
    LogAppendTime(i64),
}

/// A delivery report for a record the broker accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub id: u64,
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub partition: i32,
    /// `None` with acks=0: the broker never says.
    pub offset: Option<i64>,
    pub timestamp: Option<Stamp>,
    /// The CreateTime the producer gave the record.
    pub created: i64,
    pub latency: Duration,
}

/// A topic as the cluster describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: i32,
    /// Leader, replicas and in-sync replicas of each partition.
    pub layout: Vec<PartitionInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub id: i32,
    /// -1 when the partition has no leader.
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

/// What the cluster said it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// Broker ids that answered in the metadata.
    pub brokers: Vec<i32>,
    pub topics: Vec<TopicInfo>,
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    pub partitions: i32,
    pub replication: i32,
    pub min_insync_replicas: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// What the engine reports, in the order it happens.
#[derive(Debug, Clone)]
pub enum Event {
    Connected {
        bootstrap: String,
        embedded: bool,
        /// Where kprod's proxy listens, when the producer goes through it.
        proxy: Option<String>,
        /// Records carry the id header and are read back.
        verify: bool,
    },
    Topics(ClusterInfo),
    Queued {
        id: u64,
        topic: String,
        partition: Option<i32>,
        key_len: Option<usize>,
        value_len: Option<usize>,
    },
    Acked(Ack),
    /// A batch was delivered; sent before the Acked of its last record.
    Batch(batches::Batch),
    /// What librdkafka's statistics say a topic's producer sent since its
    /// report before (every statistics.interval.ms).
    Stats {
        topic: String,
        sent: stats::Sent,
    },
    /// A produce request went out, or came to an end (answered, refused or
    /// timed out): the same request told again with its outcome.
    Request(requests::Request),
    Failed {
        id: u64,
        topic: String,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
        partition: Option<i32>,
        code: String,
        message: String,
        latency: Duration,
    },
    /// The producer was rebuilt; `changes` says what changed.
    Applied {
        settings: Settings,
        changes: Vec<String>,
    },
    Notice {
        level: Level,
        text: String,
    },
    /// The verifier's counts so far (or final, when `complete`).
    Verification(verify::Summary),
    /// One record the verifier found wrong, as soon as it is found.
    VerifyIssue {
        kind: verify::IssueKind,
        topic: String,
        partition: i32,
        offset: Option<i64>,
        id: u64,
    },
    /// One variant of a comparison is done (`index` of `of`, from 0).
    Compared {
        index: usize,
        of: usize,
        outcome: Result<compare::Outcome, String>,
    },
    /// A fault was made or refused; its notices came before.
    FaultAnswered,
    ShutdownComplete {
        sent: u64,
        acked: u64,
        failed: u64,
    },
}

/// Locks state shared with librdkafka's threads. A thread that panicked
/// while holding it left counts, not broken invariants: go on with them.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A front end's side of the event stream. Under a flood of records it
/// waits a moment before it looks again and then takes what gathered, so
/// the engine is not made to wake it for every record (that waking cost
/// half of `kprod produce`'s throughput).
pub struct Inbox {
    rx: UnboundedReceiver<Event>,
    /// Events taken since the stream was last found empty.
    streak: u32,
    /// Where the records' events taken are counted, for the engine to keep
    /// pace with (Counters::keep_pace).
    counters: Arc<Counters>,
}

/// Events in a row that make a flood. A batch's delivery report brings
/// one event a record, so at 1 KiB records a flood comes in runs of about
/// 15: a larger figure left the front end woken for every batch.
const FLOOD: u32 = 16;
/// How long a flooded front end lets events gather.
const GATHER: Duration = Duration::from_millis(1);

impl Inbox {
    /// The next event; None once the engine is gone. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Event> {
        if self.rx.is_empty() {
            if self.streak >= FLOOD {
                tokio::time::sleep(GATHER).await;
            }
            self.streak = 0;
        }
        let event = self.rx.recv().await;
        self.streak += 1;
        self.taken(event.as_ref());
        event
    }

    /// An event already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Event> {
        let event = self.rx.try_recv().ok();
        self.streak += u32::from(event.is_some());
        self.taken(event.as_ref());
        event
    }

    fn taken(&self, event: Option<&Event>) {
        if let Some(Event::Queued { .. } | Event::Acked(_) | Event::Failed { .. }) = event {
            self.counters.taken.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }
}

/// The front ends' handle on a running engine.
#[derive(Clone)]
pub struct Engine {
    commands: UnboundedSender<Command>,
    faults: UnboundedSender<faults::Fault>,
    counters: Arc<Counters>,
}

impl Engine {
    /// Starts the engine on the current tokio runtime.
    pub fn start(config: EngineConfig) -> (Engine, UnboundedReceiver<Event>) {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (faults, fault_rx) = mpsc::unbounded_channel();
        let (events, event_rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        tokio::spawn(run(config, command_rx, fault_rx, events, counters.clone()));
        (
            Engine {
                commands,
                faults,
                counters,
            },
            event_rx,
        )
    }

    /// The engine's events for a front end that takes them as they come:
    /// from now on, records wait for it when it falls far behind, so a
    /// screen that cannot keep up slows the producer instead of piling
    /// events up in memory.
    pub fn inbox(&self, rx: UnboundedReceiver<Event>) -> Inbox {
        self.counters.watched.store(true, Ordering::Relaxed);
        Inbox {
            rx,
            streak: 0,
            counters: self.counters.clone(),
        }
    }

    pub fn send(&self, command: Command) {
        // A closed channel means the engine already stopped; nothing to tell.
        let _ = match command {
            // A fault lands at once, even while the engine waits for records
            // to drain.
            Command::Fault(f) => self.faults.send(f).map_err(drop),
            c => self.commands.send(c).map_err(drop),
        };
    }
}

/// How long metadata requests may take before the user is told.
const METADATA_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the topic list is read again, so a broker that comes up (or a
/// topic that appears) is noticed without the user asking.
const METADATA_REFRESH: Duration = Duration::from_secs(3);

async fn run(
    config: EngineConfig,
    mut commands: UnboundedReceiver<Command>,
    fault_rx: UnboundedReceiver<faults::Fault>,
    events: UnboundedSender<Event>,
    counters: Arc<Counters>,
) {
    let notice = |level, text: String| {
        let _ = events.send(Event::Notice { level, text });
    };
    // Declared before the producer so it is dropped after it.
    let mut embedded: Option<Arc<Embedded>> = None;
    let bootstrap = match &config.bootstrap {
        Some(servers) => servers.clone(),
        None => match Embedded::start(&config.topic) {
            Ok(cluster) => {
                let servers = cluster.bootstrap_servers();
                embedded = Some(Arc::new(cluster));
                servers
            }
            Err(e) => {
                notice(Level::Error, e);
                String::new()
            }
        },
    };
    // Declared before the producer so it is dropped after it.
    let mut proxy: Option<Arc<proxy::Proxy>> = None;
    // Why faults cannot be made, when they cannot.
    let mut no_faults = match (&embedded, &config.bootstrap) {
        (None, None) => "the embedded cluster did not start".to_string(),
        _ => proxy::NOT_RUNNING.to_string(),
    };
    if config.proxy && config.bootstrap.is_some() {
        let started = match proxy::not_plaintext(&config.settings) {
            true => Err(proxy::NOT_PLAINTEXT.to_string()),
            false => proxy::Proxy::start(&bootstrap, events.clone()).await,
        };
        match started {
            Ok(p) => proxy = Some(Arc::new(p)),
            Err(e) => {
                notice(
                    Level::Error,
                    format!(
                        "{e}: the producer goes straight to the cluster, and faults cannot be made"
                    ),
                );
                no_faults = format!("kprod's proxy did not start: {e}");
            }
        }
    }
    // Where the producer connects; everything else talks to the cluster.
    let through = proxy
        .as_ref()
        .map_or_else(|| bootstrap.clone(), |p| p.bootstrap_servers());
    let _ = events.send(Event::Connected {
        bootstrap: bootstrap.clone(),
        embedded: config.bootstrap.is_none(),
        proxy: proxy.as_ref().map(|p| p.bootstrap_servers()),
        verify: config.verify,
    });
    if config.bootstrap.is_none() {
        notice(Level::Warn, cluster::EMBEDDED_TIMESTAMP_NOTE.into());
    }

    let (settings_tx, settings_rx) = tokio::sync::watch::channel(config.settings.clone());
    tokio::spawn(faults::serve(
        fault_rx,
        faults::Makers {
            embedded: embedded.clone(),
            proxy: proxy.clone(),
            bootstrap: bootstrap.clone(),
            no_faults,
        },
        settings_rx,
        events.clone(),
    ));
    let verifier = config
        .verify
        .then(|| Verifier::start(&bootstrap, events.clone()));
    let build = |settings: &Settings| {
        Producer::build(
            settings,
            &through,
            events.clone(),
            counters.clone(),
            verifier.clone(),
        )
    };
    let mut settings = config.settings;
    let mut producer = match build(&settings) {
        Ok(p) => Some(Arc::new(p)),
        Err(e) => {
            notice(Level::Error, e);
            None
        }
    };
    let reachable = Arc::new(Reachable::default());
    let mut refresh = tokio::time::interval(METADATA_REFRESH);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut bursts: Vec<JoinHandle<()>> = Vec::new();
    let flow = Arc::new(FlowControl::default());

    loop {
        let command = tokio::select! {
            command = commands.recv() => match command {
                Some(c) => c,
                None => break,
            },
            _ = refresh.tick() => {
                if let Some(p) = &producer {
                    refresh_topics(p.clone(), &bootstrap, reachable.clone(), events.clone());
                }
                continue;
            }
        };
        bursts.retain(|b| !b.is_finished());
        match command {
            Command::Send(draft) => match &producer {
                Some(p) => p.enqueue(&draft).await,
                None => notice(
                    Level::Error,
                    "no producer: fix the settings and apply them".into(),
                ),
            },
            Command::Feed { drafts, taken } => {
                match &producer {
                    Some(p) => {
                        for draft in &drafts {
                            p.enqueue(draft).await;
                            tokio::task::consume_budget().await;
                        }
                    }
                    None => notice(
                        Level::Error,
                        format!(
                            "no producer: {} records not sent; fix the settings",
                            drafts.len()
                        ),
                    ),
                }
                let _ = taken.try_send(());
            }
            // Engine::send gives faults to the fault loop.
            Command::Fault(_) => {}
            Command::Pause => flow.state.store(PAUSED, Ordering::Relaxed),
            Command::Resume => flow.state.store(RUNNING, Ordering::Relaxed),
            Command::Stop => flow.state.store(STOPPED, Ordering::Relaxed),
            Command::Burst { draft, count, rate } => match &producer {
                Some(p) => {
                    let p = p.clone();
                    if bursts.is_empty() {
                        flow.state.store(RUNNING, Ordering::Relaxed);
                    }
                    let flow = flow.clone();
                    bursts.push(tokio::spawn(async move {
                        // The rate counts from when records can flow.
                        p.ready(&draft.topic).await;
                        let mut start = tokio::time::Instant::now();
                        let filler = match draft.filler() {
                            Ok(f) => f,
                            Err(e) => {
                                let _ = p.events().send(Event::Notice {
                                    level: Level::Error,
                                    text: format!("burst not sent: {e}"),
                                });
                                return;
                            }
                        };
                        for seq in 0..count {
                            match flow.state.load(Ordering::Relaxed) {
                                STOPPED => break,
                                PAUSED => {
                                    // The time paused does not count against the rate.
                                    let held = tokio::time::Instant::now();
                                    while flow.state.load(Ordering::Relaxed) == PAUSED {
                                        tokio::time::sleep(Duration::from_millis(10)).await;
                                    }
                                    if flow.state.load(Ordering::Relaxed) == STOPPED {
                                        break;
                                    }
                                    start += held.elapsed();
                                }
                                _ => {}
                            }
                            if let Some(r) = rate {
                                pace(start, seq, r).await;
                            }
                            p.enqueue(&filler.fill(&draft, seq)).await;
                            // An enqueue that never waits never yields: give
                            // the front end's task its turn on this thread.
                            tokio::task::consume_budget().await;
                        }
                    }));
                }
                None => notice(
                    Level::Error,
                    "no producer: fix the settings and apply them".into(),
                ),
            },
            Command::Compare { draft, plan } => {
                finish(&mut bursts, producer.as_deref(), &events, &flow).await;
                let (bootstrap, events) = (through.clone(), events.clone());
                bursts.push(tokio::spawn(async move {
                    let (count, of) = (plan.count, plan.variants.len());
                    for (index, variant) in plan.variants.iter().enumerate() {
                        let _ = events.send(Event::Notice {
                            level: Level::Info,
                            text: format!(
                                "compare {}/{of}: {count} records with {}",
                                index + 1,
                                variant.label
                            ),
                        });
                        let outcome =
                            compare::run(&bootstrap, variant, &draft, count, plan.rate).await;
                        let _ = events.send(Event::Compared { index, of, outcome });
                    }
                }));
            }
            Command::Apply(next) => {
                if let Err(e) = next.check() {
                    notice(Level::Error, format!("not applied: {e}"));
                    continue;
                }
                if proxy.is_some() && proxy::not_plaintext(&next) {
                    notice(
                        Level::Error,
                        format!("not applied: {}", proxy::NOT_PLAINTEXT),
                    );
                    continue;
                }
                finish(&mut bursts, producer.as_deref(), &events, &flow).await;
                match build(&next) {
                    Ok(p) => {
                        let changes = next.changes_from(&settings);
                        producer = Some(Arc::new(p));
                        settings = next;
                        settings_tx.send_replace(settings.clone());
                        let _ = events.send(Event::Applied {
                            settings: settings.clone(),
                            changes,
                        });
                    }
                    Err(e) => notice(
                        Level::Error,
                        format!("not applied, previous settings kept: {e}"),
                    ),
                }
            }
            Command::CreateTopic(topic) => {
                let outcome = match &embedded {
                    Some(cluster) => cluster.create(&topic),
                    None => create_topic(&bootstrap, &topic).await,
                };
                match outcome {
                    Ok(()) => notice(
                        Level::Info,
                        format!(
                            "created topic '{}': {} partitions, replication factor {}{}",
                            topic.name,
                            topic.partitions,
                            topic.replication,
                            topic
                                .min_insync_replicas
                                .map(|m| format!(", min.insync.replicas={m}"))
                                .unwrap_or_default()
                        ),
                    ),
                    Err(e) => notice(
                        Level::Error,
                        format!("topic '{}' not created: {e}", topic.name),
                    ),
                }
                if let Some(p) = &producer {
                    reachable.retell();
                    refresh_topics(p.clone(), &bootstrap, reachable.clone(), events.clone());
                }
            }
            Command::RefreshTopics => {
                if let Some(p) = &producer {
                    reachable.retell();
                    refresh_topics(p.clone(), &bootstrap, reachable.clone(), events.clone());
                }
            }
            Command::Drain => finish(&mut bursts, producer.as_deref(), &events, &flow).await,
            Command::Verify => {
                finish(&mut bursts, producer.as_deref(), &events, &flow).await;
                match &verifier {
                    Some(v) => {
                        v.finish().await;
                    }
                    None => notice(
                        Level::Warn,
                        "verification is off (no id header): nothing to verify".into(),
                    ),
                }
            }
            Command::Shutdown => {
                for b in bursts.drain(..) {
                    b.abort();
                }
                if let Some(p) = &producer {
                    drain(p, &events).await;
                }
                break;
            }
        }
    }
    drop(producer);
    let _ = events.send(Event::ShutdownComplete {
        sent: counters.sent.load(Ordering::Relaxed),
        acked: counters.acked.load(Ordering::Relaxed),
        failed: counters.failed.load(Ordering::Relaxed),
    });
}

const RUNNING: u8 = 0;
const PAUSED: u8 = 1;
const STOPPED: u8 = 2;

/// Whether bursts go on, wait, or end: set by Pause, Resume and Stop, read
/// before every record.
#[derive(Default)]
struct FlowControl {
    state: std::sync::atomic::AtomicU8,
}

/// Waits until record `seq` of a run paced at `rate` records a second and
/// begun at `start` is due: seq/rate seconds in. A millisecond is the
/// clock's grain, so it waits only when ahead by more.
pub(crate) async fn pace(start: tokio::time::Instant, seq: u64, rate: f64) {
    let due = start + Duration::from_secs_f64(seq as f64 / rate);
    if due > tokio::time::Instant::now() + Duration::from_millis(1) {
        tokio::time::sleep_until(due).await;
    }
}

/// Lets every burst enqueue its last record, then waits for the reports. A
/// paused burst is resumed: waiting on it would wait for ever.
async fn finish(
    bursts: &mut Vec<JoinHandle<()>>,
    producer: Option<&Producer>,
    events: &UnboundedSender<Event>,
    flow: &FlowControl,
) {
    if flow.state.load(Ordering::Relaxed) == PAUSED && bursts.iter().any(|b| !b.is_finished()) {
        flow.state.store(RUNNING, Ordering::Relaxed);
        let _ = events.send(Event::Notice {
            level: Level::Info,
            text: "the paused burst goes on: it must end before that".into(),
        });
    }
    for b in bursts.drain(..) {
        let _ = b.await;
    }
    if let Some(p) = producer {
        drain(p, events).await;
    }
}

/// Waits until every record in flight was delivered or reported failed;
/// delivery.timeout.ms bounds how long that takes.
async fn drain(producer: &Producer, events: &UnboundedSender<Event>) {
    let waiting = producer.in_flight();
    if waiting > 0 {
        let _ = events.send(Event::Notice {
            level: Level::Info,
            text: format!("waiting for {waiting} record(s) in flight to be delivered or fail"),
        });
    }
    while producer.in_flight() > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether the last topic request was answered, so a failure is told once
/// rather than every refresh.
#[derive(Default)]
struct Reachable {
    /// 0: not asked yet, 1: answered, 2: failed and told.
    state: std::sync::atomic::AtomicU8,
}

impl Reachable {
    /// The user asked: tell the outcome even if it is the same as before.
    fn retell(&self) {
        self.state.store(0, Ordering::Relaxed);
    }
}

/// Fetches the cluster's topics off the async threads; the answer (or why
/// there is none, once) arrives as an event.
fn refresh_topics(
    producer: Arc<Producer>,
    bootstrap: &str,
    reachable: Arc<Reachable>,
    events: UnboundedSender<Event>,
) {
    let bootstrap = bootstrap.to_string();
    tokio::task::spawn_blocking(move || {
        match producer.client().fetch_metadata(None, METADATA_TIMEOUT) {
            Ok(md) => {
                if reachable.state.swap(1, Ordering::Relaxed) == 2 {
                    let _ = events.send(Event::Notice {
                        level: Level::Info,
                        text: format!("the cluster at {bootstrap} answers again"),
                    });
                }
                let _ = events.send(Event::Topics(cluster_info(&md)));
            }
            Err(e) => {
                if reachable.state.swap(2, Ordering::Relaxed) != 2 {
                    let why = match e.rdkafka_error_code() {
                        Some(code) => code.to_string(),
                        None => e.to_string(),
                    };
                    let _ = events.send(Event::Notice {
                    level: Level::Error,
                    text: format!(
                        "cannot read the cluster's topics at {bootstrap}: {why}. Is the broker up and -b right? kprod keeps trying."
                    ),
                });
                }
            }
        }
    });
}

/// Creates a topic on a real cluster with the admin API.
async fn create_topic(bootstrap: &str, topic: &NewTopic) -> Result<(), String> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic as AdminTopic, TopicReplication};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| e.to_string())?;
    let min_isr = topic.min_insync_replicas.map(|m| m.to_string());
    let mut new = AdminTopic::new(
        &topic.name,
        topic.partitions,
        TopicReplication::Fixed(topic.replication),
    );
    if let Some(m) = &min_isr {
        new = new.set("min.insync.replicas", m);
    }
    let options = AdminOptions::new()
        .operation_timeout(Some(METADATA_TIMEOUT))
        .request_timeout(Some(METADATA_TIMEOUT));
    let results = admin
        .create_topics([&new], &options)
        .await
        .map_err(|e| e.to_string())?;
    for r in results {
        if let Err((_, code)) = r {
            return Err(format!(
                "{} ({code})",
                producer::upper_snake(&format!("{code:?}"))
            ));
        }
    }
    Ok(())
}

/// Topics, partitions and brokers from a metadata answer, sorted.
fn cluster_info(md: &rdkafka::metadata::Metadata) -> ClusterInfo {
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
    let mut brokers: Vec<i32> = md.brokers().iter().map(|b| b.id()).collect();
    brokers.sort();
    ClusterInfo { brokers, topics }
}
