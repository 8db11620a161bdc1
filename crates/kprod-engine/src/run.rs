//! The engine's main loop: it takes front ends' commands, builds and rebuilds
//! the producer, runs bursts and comparisons, makes faults beside it, and
//! tells everything as events.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use thiserror::Error;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use tokio::sync::watch;

use crate::burst::{self, Flow, State};
use crate::cluster::{self, ClusterError, Embedded};
use crate::connection::{ClientError, Connection};
use crate::event::{Command, EngineConfig, Event, Level, NewTopic, TopicConfigs, TxnError};
use crate::faults::{Fault, FaultError, Injector};
use crate::metadata;
use crate::producer::{self, upper_snake, Counters, Producer};
use crate::proxy;
use crate::schema::registry;
use crate::schema::session::Schemas;
use crate::settings::Settings;
use crate::transaction::Auto;
use crate::verify::Verifier;

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
    faults: UnboundedSender<Fault>,
    /// A close asked for (its timeout): it cuts into a drain or a
    /// verification under way, which could otherwise take minutes.
    close: Arc<tokio::sync::watch::Sender<Option<Duration>>>,
    counters: Arc<Counters>,
}

impl Engine {
    /// Starts the engine on the current tokio runtime.
    pub fn start(config: EngineConfig) -> (Engine, UnboundedReceiver<Event>) {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (faults, fault_rx) = mpsc::unbounded_channel();
        let (events, event_rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        counters.tell(config.records);
        let (close, close_rx) = tokio::sync::watch::channel(None);
        tokio::spawn(run(
            config,
            command_rx,
            fault_rx,
            close_rx,
            events,
            counters.clone(),
        ));
        (
            Engine {
                commands,
                faults,
                close: Arc::new(close),
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
            // So does a close.
            Command::Close { timeout } => {
                self.close.send_replace(Some(timeout));
                Ok(())
            }
            c => self.commands.send(c).map_err(drop),
        };
    }
}

/// How long metadata requests may take before the user is told.
const METADATA_TIMEOUT: Duration = metadata::TIMEOUT;
/// How often the topic list is read again, so a broker that comes up (or a
/// topic that appears) is noticed without the user asking.
const METADATA_REFRESH: Duration = Duration::from_secs(3);

async fn run(
    config: EngineConfig,
    mut commands: UnboundedReceiver<Command>,
    fault_rx: UnboundedReceiver<Fault>,
    mut close_rx: tokio::sync::watch::Receiver<Option<Duration>>,
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
                notice(Level::Error, e.to_string());
                String::new()
            }
        },
    };
    let connection = Connection::new(&bootstrap, &config.settings);
    // Declared before the producer so it is dropped after it.
    let mut proxy: Option<Arc<proxy::Proxy>> = None;
    // Why faults cannot be made, when they cannot.
    let mut no_faults = match (&embedded, &config.bootstrap) {
        (None, None) => FaultError::NoCluster,
        _ => FaultError::ProxyNotRunning,
    };
    if config.proxy && config.bootstrap.is_some() {
        let started = match proxy::refusal(&config.settings) {
            Some(e) => Err(e),
            None => proxy::Proxy::start(&connection, events.clone()).await,
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
                no_faults = FaultError::ProxyDidNotStart(e);
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
        if config.settings.transactional_id().is_some() {
            notice(Level::Warn, cluster::EMBEDDED_TXN_NOTE.into());
        }
    }

    let (settings_tx, settings_rx) = watch::channel(config.settings.clone());
    let maker: Result<Arc<dyn Injector>, FaultError> = match (&embedded, &proxy) {
        (Some(cluster), _) => Ok(cluster.clone()),
        (None, Some(p)) => Ok(p.clone()),
        (None, None) => Err(no_faults),
    };
    tokio::spawn(serve_faults(fault_rx, maker, settings_rx, events.clone()));
    let verifier = config
        .verify
        .then(|| Verifier::start(&connection, events.clone()));
    let producing = connection.to(&through);
    let build = |settings: &Settings| {
        let p = Arc::new(Producer::build(
            &producing.with_settings(settings),
            events.clone(),
            counters.clone(),
            verifier.clone(),
        )?);
        tokio::spawn(producer::watch_fatal(Arc::downgrade(&p)));
        Ok::<_, ClientError>(p)
    };
    let mut settings = config.settings;
    let mut producer = match build(&settings) {
        Ok(p) => Some(p),
        Err(e) => {
            notice(Level::Error, e.to_string());
            None
        }
    };
    if let Some(p) = &producer {
        p.init_transactions().await;
    }
    // The second producer of a fencing, kept alive as another instance of
    // the application would be.
    let mut fencer: Option<Fencer> = None;
    let reachable = Arc::new(Reachable::default());
    let mut refresh = tokio::time::interval(METADATA_REFRESH);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut bursts: Vec<JoinHandle<()>> = Vec::new();
    let flow = Arc::new(Flow::default());
    // The schema registry, once a schema serializer is asked for, with the
    // settings it was made from.
    type Shared = Arc<tokio::sync::Mutex<Schemas>>;
    let mut schemas: Option<(registry::Config, Shared)> = None;

    loop {
        let command = tokio::select! {
            timeout = closing(&mut close_rx) => Command::Close { timeout },
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
                Some(p) => {
                    if !p.enqueue(&draft).await {
                        notice(Level::Error, dead(p, 1));
                    }
                }
                None => notice(
                    Level::Error,
                    "no producer: fix the settings and apply them".into(),
                ),
            },
            Command::Feed { drafts, taken } => {
                match &producer {
                    Some(p) => {
                        for (i, draft) in drafts.iter().enumerate() {
                            if !p.enqueue(draft).await {
                                notice(Level::Error, dead(p, drafts.len() - i));
                                break;
                            }
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
            Command::Pause => flow.set(State::Paused),
            Command::Resume => flow.set(State::Running),
            Command::Stop => flow.set(State::Stopped),
            Command::Burst {
                draft,
                count,
                rate,
                also,
            } => match &producer {
                Some(p) if p.fatal().is_some() => notice(
                    Level::Error,
                    format!("burst not started: {}", dead(p, count as usize * (1 + also.len()))),
                ),
                // Two bursts at once would share one Pause and Stop, and
                // their figures would mix.
                Some(_) if !bursts.is_empty() => notice(
                    Level::Warn,
                    format!(
                        "burst of {count} not started: a burst is still running; stop it or let it end first"
                    ),
                ),
                Some(p) => {
                    flow.set(State::Running);
                    bursts.push(tokio::spawn(burst::run(
                        p.clone(),
                        draft,
                        also,
                        count,
                        rate,
                        flow.clone(),
                    )));
                }
                None => notice(
                    Level::Error,
                    "no producer: fix the settings and apply them".into(),
                ),
            },
            Command::Compare { draft, plan } => {
                finish(&mut bursts, producer.as_deref(), &events, &flow).await;
                let (producing, events) = (producing.clone(), events.clone());
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
                            burst::compare(&producing, variant, &draft, count, plan.rate).await;
                        let _ = events.send(Event::Compared { index, of, outcome });
                    }
                }));
            }
            Command::Apply(_) | Command::Rebuild => {
                let next = match command {
                    Command::Apply(next) => next,
                    _ => settings.clone(),
                };
                if let Err(e) = next.check() {
                    notice(Level::Error, format!("not applied: {e}"));
                    continue;
                }
                if let Some(e) = proxy.as_ref().and_then(|_| proxy::refusal(&next)) {
                    notice(Level::Error, format!("not applied: {e}"));
                    continue;
                }
                finish(&mut bursts, producer.as_deref(), &events, &flow).await;
                if let Some(p) = &producer {
                    p.end_open().await;
                }
                // The old producer goes before the new one registers the
                // same transactional.id, and so does a fencer.
                drop(producer.take());
                fencer = None;
                match build(&next) {
                    Ok(p) => {
                        p.init_transactions().await;
                        let changes = next.changes_from(&settings);
                        producer = Some(p);
                        settings = next;
                        settings_tx.send_replace(settings.clone());
                        let _ = events.send(Event::Applied {
                            settings: settings.clone(),
                            changes,
                        });
                    }
                    Err(e) => {
                        notice(
                            Level::Error,
                            format!("not applied, previous settings kept: {e}"),
                        );
                        producer = build(&settings).ok();
                        if let Some(p) = &producer {
                            p.init_transactions().await;
                        }
                    }
                }
            }
            Command::Begin => match &producer {
                Some(p) => {
                    p.begin().await;
                }
                None => notice(Level::Error, "no producer: fix the settings and apply them".into()),
            },
            Command::Commit | Command::Abort => {
                let abort = matches!(command, Command::Abort);
                // A commit takes the running burst's records with it; an
                // abort stops the burst first.
                if abort {
                    stop_bursts(&mut bursts, &flow).await;
                } else {
                    finish(&mut bursts, None, &events, &flow).await;
                }
                match &producer {
                    Some(p) => {
                        p.end(abort).await;
                    }
                    None => notice(Level::Error, "no producer: fix the settings and apply them".into()),
                }
            }
            Command::AutoTransactions { size, abort_every } => match &producer {
                Some(p) if size > 0 => {
                    if !p.auto_transactions(Auto { size, abort_every }) {
                        notice(Level::Error, "transactions of a size were asked for, but the producer is not transactional: set transactional.id".into());
                    }
                }
                _ => notice(Level::Error, "no transactions of a size: the size must be at least 1 and a producer there".into()),
            },
            Command::ReadTransactions => match &verifier {
                Some(v) => {
                    let v = v.clone();
                    tokio::spawn(async move { v.read_transactions().await });
                }
                None => notice(
                    Level::Warn,
                    "verification is off (no id header): nothing to read back".into(),
                ),
            },
            Command::ResolveSchema { topic, is_key, ask } => {
                // The registry the settings name now; made again when they
                // name another, kept (with what it registered) while not.
                let wanted = registry::Config::from_settings(settings.extras());
                let same = matches!((&wanted, &schemas), (Ok(w), Some((c, _))) if w == c);
                if !same {
                    let made = wanted.and_then(|c| {
                        Schemas::new(settings.extras(), None, embedded.is_some())
                            .map(|s| (c, Arc::new(tokio::sync::Mutex::new(s))))
                    });
                    match made {
                        Ok(m) => schemas = Some(m),
                        Err(e) => {
                            let _ = events.send(Event::SchemaResolved { is_key, ask, result: Err(e), registry: None });
                            continue;
                        }
                    }
                }
                if let Some((_, s)) = &schemas {
                    let (s, events) = (s.clone(), events.clone());
                    // A registry far away must not hold the other commands.
                    tokio::spawn(async move {
                        let mut s = s.lock().await;
                        let result = s.resolve(&ask, &topic, is_key).await;
                        let result = match result {
                            Ok((encoder, started)) => {
                                if let Some(text) = started {
                                    let _ = events.send(Event::Notice { level: Level::Info, text });
                                }
                                Ok(encoder)
                            }
                            Err(e) => Err(e),
                        };
                        let registry = s.registry().map(|(u, e)| (u.to_string(), e));
                        let _ = events.send(Event::SchemaResolved { is_key, ask, result, registry });
                    });
                }
            }
            Command::Fence => match &producer {
                Some(p) if p.transactional() => {
                    fencer = None;
                    let conn = producing.with_settings(&settings);
                    match fence(conn).await {
                        Ok(f) => {
                            let id = settings.transactional_id().unwrap_or_default();
                            match &embedded {
                                Some(cluster) => {
                                    cluster.fence_next_commit();
                                    notice(Level::Warn, format!("a second producer with transactional.id={id} initialised. {}", cluster::EMBEDDED_NO_FENCING));
                                }
                                None => notice(Level::Warn, format!("a second producer with transactional.id={id} initialised: the coordinator bumped the id's epoch, so this producer is fenced; its next send or commit fails with a fatal error")),
                            }
                            fencer = Some(f);
                        }
                        Err(e) => notice(Level::Error, format!("the second producer could not initialise: {}: {}", e.code, e.message)),
                    }
                }
                _ => notice(Level::Warn, "nothing to fence: the producer is not transactional (set transactional.id)".into()),
            },
            Command::CreateTopic(topic) => {
                let outcome = match &embedded {
                    Some(cluster) => cluster.create(&topic).map_err(CreateTopicError::Embedded),
                    None => create_topic(&connection, &topic).await,
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
                // The settings a topic view shows, from the brokers; the
                // embedded cluster keeps none.
                if embedded.is_none() {
                    let (connection, events) = (connection.clone(), events.clone());
                    tokio::spawn(async move {
                        if let Ok(configs) = topic_configs(&connection).await {
                            let _ = events.send(Event::TopicConfigs(configs));
                        }
                    });
                }
            }
            Command::Drain | Command::Verify => {
                let verify = matches!(command, Command::Verify);
                let done = async {
                    finish(&mut bursts, producer.as_deref(), &events, &flow).await;
                    if let Some(p) = &producer {
                        p.end_open().await;
                        drain(p, &events).await;
                    }
                    if !verify {
                        return;
                    }
                    match &verifier {
                        Some(v) => {
                            v.finish().await;
                            v.read_transactions().await;
                        }
                        None => notice(
                            Level::Warn,
                            "verification is off (no id header): nothing to verify".into(),
                        ),
                    }
                };
                let cut = tokio::select! {
                    _ = done => None,
                    timeout = closing(&mut close_rx) => Some(timeout),
                };
                if let Some(timeout) = cut {
                    stop_bursts(&mut bursts, &flow).await;
                    if let Some(p) = &producer {
                        close(p, timeout, &events).await;
                    }
                    break;
                }
            }
            Command::Close { timeout } => {
                stop_bursts(&mut bursts, &flow).await;
                if let Some(p) = &producer {
                    close(p, timeout, &events).await;
                }
                break;
            }
            Command::Shutdown => {
                stop_bursts(&mut bursts, &flow).await;
                if let Some(p) = &producer {
                    p.end_open().await;
                    drain(p, &events).await;
                }
                break;
            }
            Command::Reset { from } => {
                if let Some(v) = &verifier {
                    v.reset(from);
                }
            }
        }
    }
    drop(producer);
    drop(fencer);
    let _ = events.send(Event::ShutdownComplete {
        sent: counters.sent.load(Ordering::Relaxed),
        acked: counters.acked.load(Ordering::Relaxed),
        failed: counters.failed.load(Ordering::Relaxed),
    });
}

/// A second producer with the same transactional.id, initialised.
type Fencer = Arc<rdkafka::producer::BaseProducer>;

/// Starts a producer with the same settings (and so the same
/// transactional.id) and initialises it, which fences the other.
async fn fence(connection: Connection) -> Result<Fencer, TxnError> {
    tokio::task::spawn_blocking(move || {
        use rdkafka::producer::Producer as _;
        let mut cfg = connection.producer_config();
        cfg.set("log_level", "0");
        let p: rdkafka::producer::BaseProducer =
            cfg.create().map_err(|e| producer::classify(&e))?;
        let timeout = connection.settings().transaction_timeout_ms();
        p.init_transactions(Duration::from_millis(u64::from(timeout)))
            .map_err(|e| producer::classify(&e))?;
        Ok(Arc::new(p))
    })
    .await
    .unwrap_or_else(|e| {
        Err(TxnError {
            kind: crate::event::TxnErrorKind::Refused,
            code: "ERROR".into(),
            message: e.to_string(),
        })
    })
}

/// Why records were not sent: the producer's fatal error, and the way out.
fn dead(producer: &Producer, unsent: usize) -> String {
    let (code, reason) = producer.fatal().unwrap_or_default();
    format!(
        "{unsent} record(s) not sent: the producer stopped at a fatal error ({code}: {reason}); rebuild it first"
    )
}

/// Lets every burst enqueue its last record, then waits for the reports. A
/// paused burst is resumed: waiting on it would wait for ever.
async fn finish(
    bursts: &mut Vec<JoinHandle<()>>,
    producer: Option<&Producer>,
    events: &UnboundedSender<Event>,
    flow: &Flow,
) {
    if flow.get() == State::Paused && bursts.iter().any(|b| !b.is_finished()) {
        flow.set(State::Running);
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
    let waiting = producer.records_in_flight();
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

/// Stops every burst after the record it is sending: a burst aborted
/// between counting a record sent and handing it to librdkafka left a
/// record with no fate. One that does not stop in a second is aborted.
async fn stop_bursts(bursts: &mut Vec<JoinHandle<()>>, flow: &Flow) {
    flow.set(State::Stopped);
    for mut b in bursts.drain(..) {
        if tokio::time::timeout(Duration::from_secs(1), &mut b)
            .await
            .is_err()
        {
            b.abort();
        }
    }
}

/// Waits for a close to be asked for; its timeout.
async fn closing(rx: &mut tokio::sync::watch::Receiver<Option<Duration>>) -> Duration {
    loop {
        if let Some(timeout) = *rx.borrow_and_update() {
            return timeout;
        }
        if rx.changed().await.is_err() {
            // The engine's handle is gone: no close can come any more.
            std::future::pending::<()>().await;
        }
    }
}

/// Gives the records in flight `timeout` to be delivered, then fails the
/// rest and waits for their reports, which librdkafka gives at once.
async fn close(producer: &Producer, timeout: Duration, events: &UnboundedSender<Event>) {
    let waiting = producer.records_in_flight();
    if waiting > 0 {
        let _ = events.send(Event::Notice {
            level: Level::Info,
            text: format!(
                "closing: {waiting} record(s) in flight get {} ms to be delivered; the rest then fail",
                timeout.as_millis()
            ),
        });
    }
    let until = tokio::time::Instant::now() + timeout;
    while producer.in_flight() > 0 && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if producer.in_flight() > 0 {
        producer.purge();
        // Purged records are reported on librdkafka's next poll.
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        while producer.in_flight() > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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
        match metadata::ask(producer.client(), None, METADATA_TIMEOUT) {
            Ok(md) => {
                if reachable.state.swap(1, Ordering::Relaxed) == 2 {
                    let _ = events.send(Event::Notice {
                        level: Level::Info,
                        text: format!("the cluster at {bootstrap} answers again"),
                    });
                }
                let _ = events.send(Event::Topics(md.info()));
            }
            Err(why) => {
                if reachable.state.swap(2, Ordering::Relaxed) != 2 {
                    let _ = events.send(Event::Notice {
                    level: Level::Error,
                    text: format!(
                        "cannot read the cluster's topics at {bootstrap}: {why}. Is the broker up and its address right? kprod keeps trying."
                    ),
                });
                }
            }
        }
    });
}

/// Why a topic was not created.
#[derive(Debug, Clone, Error)]
pub enum CreateTopicError {
    #[error(transparent)]
    Embedded(#[from] ClusterError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{0}")]
    Admin(#[source] KafkaError),
    /// The cluster's answer, under Kafka's name for it.
    #[error("{} ({code})", upper_snake(&format!("{code:?}")))]
    Refused { code: RDKafkaErrorCode },
}

/// The topic settings a topic view shows (message.timestamp.type,
/// min.insync.replicas, ...) of every topic, by topic: one DescribeConfigs.
async fn topic_configs(connection: &Connection) -> Result<TopicConfigs, String> {
    use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
    let admin: Arc<AdminClient<rdkafka::client::DefaultClientContext>> = Arc::new(
        connection
            .admin_config()
            .create()
            .map_err(|e| e.to_string())?,
    );
    let names: Vec<String> = {
        let admin = admin.clone();
        tokio::task::spawn_blocking(move || {
            metadata::ask(admin.inner(), None, METADATA_TIMEOUT)
                .map(|md| md.topics.into_iter().map(|t| t.name).collect())
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?
    };
    let wanted: Vec<ResourceSpecifier> =
        names.iter().map(|n| ResourceSpecifier::Topic(n)).collect();
    let options = AdminOptions::new().request_timeout(Some(METADATA_TIMEOUT));
    let answers = admin
        .describe_configs(&wanted, &options)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = TopicConfigs::new();
    for (name, answer) in names.iter().zip(answers) {
        if let Ok(resource) = answer {
            let shown = resource
                .entries
                .into_iter()
                .filter(|e| SHOWN_CONFIGS.contains(&e.name.as_str()))
                .filter_map(|e| Some((e.name, e.value?)))
                .collect();
            out.insert(name.clone(), shown);
        }
    }
    Ok(out)
}

/// The topic settings the topic view shows.
const SHOWN_CONFIGS: &[&str] = &[
    "message.timestamp.type",
    "min.insync.replicas",
    "cleanup.policy",
    "compression.type",
];

/// Creates a topic on a real cluster with the admin API.
async fn create_topic(connection: &Connection, topic: &NewTopic) -> Result<(), CreateTopicError> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic as AdminTopic, TopicReplication};
    let admin: AdminClient<rdkafka::client::DefaultClientContext> =
        connection.admin_config().create().map_err(|source| {
            CreateTopicError::Client(ClientError::Create {
                client: "admin client",
                source,
            })
        })?;
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
        .map_err(CreateTopicError::Admin)?;
    for r in results {
        if let Err((_, code)) = r {
            return Err(CreateTopicError::Refused { code });
        }
    }
    Ok(())
}

/// Makes faults as they come, beside the engine's command loop, so that a
/// fault lands at once even while that loop waits for records to drain.
/// `maker` is what carries them out, or why none can.
async fn serve_faults(
    mut faults: UnboundedReceiver<Fault>,
    maker: Result<Arc<dyn Injector>, FaultError>,
    settings: watch::Receiver<Settings>,
    events: UnboundedSender<Event>,
) {
    let notice = |level, text: String| {
        let _ = events.send(Event::Notice { level, text });
    };
    while let Some(fault) = faults.recv().await {
        let settings = settings.borrow().clone();
        let made = match &maker {
            Ok(m) => m.inject(&fault, &settings).await,
            Err(why) => Err(why.clone()),
        };
        let refused = match made {
            Ok(note) => {
                notice(Level::Warn, format!("fault: {fault}{note}"));
                if let Some(caveat) = maker
                    .as_ref()
                    .ok()
                    .and_then(|m| m.caveat(&fault, &settings))
                {
                    notice(Level::Warn, caveat.into());
                }
                None
            }
            // The front end words it: it knows how to get past it.
            Err(e) => Some(e),
        };
        let _ = events.send(Event::FaultAnswered { fault, refused });
    }
}
