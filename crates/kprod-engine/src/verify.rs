//! The read-back verifier: every record kprod sends carries an id header; a
//! reader per topic consumes what was written since kprod started, and the
//! verifier matches what it reads against the delivery reports to count, per
//! partition, what was acked, read back, missing, duplicated, misplaced and
//! reordered.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;

use crate::connection::Connection;
use crate::event::{Event, Level};
use crate::metadata;
use crate::sync::lock;
pub use crate::verdict::{IssueKind, PartitionCounts, Summary};
use crate::verdict::{TxnCounts, TxnEnd, TxnReport};

/// The header that carries `<run>-<n>`: this kprod run and the record's number.
pub const ID_HEADER: &str = "kprod.id";

/// How long the final verification waits for the readers to reach the end.
const CATCH_UP: Duration = Duration::from_secs(30);
/// How long the transactions' read-back waits for their markers.
const MARKERS_WRITTEN: Duration = Duration::from_secs(10);
/// How often a changed summary is reported while records flow.
const SUMMARY_EVERY: Duration = Duration::from_millis(500);

enum Msg {
    Acked {
        topic: String,
        partition: i32,
        offset: Option<i64>,
        id: u64,
    },
    /// The producer reported record `id` failed.
    Failed { id: u64 },
    /// A reader starts at `offset` of a partition.
    Start {
        topic: String,
        partition: i32,
        offset: i64,
    },
    /// What a reader read of its topic in a row: one message for all
    /// the records one poll brought, not a message and a copy of the
    /// topic's name each.
    Read {
        topic: String,
        records: Vec<ReadBack>,
    },
    /// Where each partition ends now; the final summary comes once the
    /// readers got there.
    Finish {
        ends: HashMap<(String, i32), i64>,
        reply: oneshot::Sender<Summary>,
    },
    /// Counts start from zero; records numbered below `from` are ignored.
    Reset { from: u64 },
    /// A reader with nothing to read is at `offset`: past the records it
    /// read when control records (transaction markers) follow them.
    Position {
        topic: String,
        partition: i32,
        offset: i64,
    },
}

/// One record a reader read.
struct ReadBack {
    partition: i32,
    offset: i64,
    /// `None` for records of other producers or other runs.
    id: Option<u64>,
    /// The record key's hash: reordering is told per key.
    key: u64,
}

/// Most records a reader hands over in one message.
const READ_BATCH: usize = 1024;

/// The verifier's handle: cheap to call from librdkafka's delivery thread.
pub struct Verifier {
    run: String,
    connection: Connection,
    tx: UnboundedSender<Msg>,
    events: UnboundedSender<Event>,
    watched: Mutex<HashSet<String>>,
    stop: Arc<AtomicBool>,
    /// Where each partition's reading started (the transactions' read-back
    /// reads from there again).
    starts: Arc<Mutex<HashMap<(String, i32), i64>>>,
    /// Each record sent in a transaction: its transaction's number.
    in_txn: Mutex<HashMap<u64, u64>>,
    /// How each transaction ended.
    txn_ends: Mutex<BTreeMap<u64, TxnEnd>>,
}

impl Drop for Verifier {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Verifier {
    pub fn start(connection: &Connection, events: UnboundedSender<Event>) -> Arc<Verifier> {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(State::default().run(rx, events.clone()));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Arc::new(Verifier {
            run: format!("{:x}", nanos ^ (std::process::id() as u128) << 64),
            connection: connection.clone(),
            tx,
            events,
            watched: Mutex::new(HashSet::new()),
            stop: Arc::new(AtomicBool::new(false)),
            starts: Arc::default(),
            in_txn: Mutex::default(),
            txn_ends: Mutex::default(),
        })
    }

    /// Record `id` was sent in transaction `number`.
    pub fn in_transaction(&self, id: u64, number: u64) {
        lock(&self.in_txn).insert(id, number);
        lock(&self.txn_ends).entry(number).or_insert(TxnEnd::Open);
    }

    /// Transaction `number` ended so.
    pub fn transaction_ended(&self, number: u64, end: TxnEnd) {
        lock(&self.txn_ends).insert(number, end);
    }

    /// Reads what this run wrote once more, under read_committed and under
    /// read_uncommitted, and counts each transaction's records seen by
    /// both, by the second only (aborted) and by neither (missing). None
    /// when no record was sent in a transaction.
    pub async fn read_transactions(&self) -> Option<TxnReport> {
        let in_txn = lock(&self.in_txn).clone();
        if in_txn.is_empty() {
            return None;
        }
        let ends_told = lock(&self.txn_ends).clone();
        let starts = lock(&self.starts).clone();
        let topics: Vec<String> = lock(&self.watched).iter().cloned().collect();
        let (connection, prefix) = (self.connection.clone(), format!("{}-", self.run));
        let report = tokio::task::spawn_blocking(move || {
            let ends = settled_ends(&connection, &topics);
            let spans: Vec<((String, i32), i64, i64)> = ends
                .iter()
                .map(|(tp, end)| (tp.clone(), starts.get(tp).copied().unwrap_or(0), *end))
                .collect();
            let committed = read_once(&connection, "read_committed", &spans, &prefix);
            let uncommitted = read_once(&connection, "read_uncommitted", &spans, &prefix);
            txn_report(&in_txn, &ends_told, &committed, &uncommitted, &spans)
        })
        .await
        .ok()?;
        let _ = self.events.send(Event::TxnReadBack(report.clone()));
        Some(report)
    }

    /// The header value for record `id`.
    pub fn header(&self, id: u64) -> String {
        format!("{}-{id}", self.run)
    }

    /// Starts reading `topic` from its current end, once; returns when the
    /// reader knows where it starts, so nothing sent after is missed.
    pub async fn watch(&self, topic: &str) {
        {
            let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
            if !watched.insert(topic.to_string()) {
                return;
            }
        }
        let (ready_tx, ready_rx) = oneshot::channel();
        let reader = Reader {
            run: self.run.clone(),
            connection: self.connection.clone(),
            topic: topic.to_string(),
            tx: self.tx.clone(),
            events: self.events.clone(),
            stop: self.stop.clone(),
            starts: self.starts.clone(),
        };
        std::thread::spawn(move || reader.run(ready_tx));
        let _ = ready_rx.await;
    }

    pub fn acked(&self, topic: &str, partition: i32, offset: Option<i64>, id: u64) {
        let _ = self.tx.send(Msg::Acked {
            topic: topic.to_string(),
            partition,
            offset,
            id,
        });
    }

    /// Record `id` was reported failed: if it is read back all the same, it
    /// is counted as failed but written.
    pub fn failed(&self, id: u64) {
        let _ = self.tx.send(Msg::Failed { id });
    }

    /// Waits until the readers reached what is written now, then reports
    /// the final summary (also sent as an event).
    pub async fn finish(&self) -> Summary {
        let topics: Vec<String> = self
            .watched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        let connection = self.connection.clone();
        let ends = tokio::task::spawn_blocking(move || ends(&connection, &topics))
            .await
            .unwrap_or_default();
        let (reply, answer) = oneshot::channel();
        let _ = self.tx.send(Msg::Finish { ends, reply });
        answer.await.unwrap_or_default()
    }

    /// Counts start from zero, and records numbered below `from` are no
    /// longer counted, wherever they are read back.
    pub fn reset(&self, from: u64) {
        let _ = self.tx.send(Msg::Reset { from });
    }
}

/// The end offset of every partition of `topics`, as the brokers say now.
fn ends(connection: &Connection, topics: &[String]) -> HashMap<(String, i32), i64> {
    let Ok(consumer) = consumer(connection) else {
        return HashMap::new();
    };
    let mut wanted = Vec::new();
    for topic in topics {
        if let Ok(md) = metadata::ask(consumer.client(), Some(topic), metadata::TIMEOUT) {
            for t in &md.topics {
                wanted.extend(t.layout.iter().map(|p| (t.name.clone(), p.id)));
            }
        }
    }
    latest(&consumer, &wanted).unwrap_or_default()
}

/// The ends of `topics` once the transactions' markers are written. A
/// commit returns when the coordinator has decided, and it writes the
/// markers after that: until then a partition's last stable offset (what a
/// read_committed ListOffsets answers) is below its high watermark, and a
/// marker read as the end would be missed. Bounded, since another
/// producer's open transaction holds the last stable offset back as long
/// as it stays open.
fn settled_ends(connection: &Connection, topics: &[String]) -> HashMap<(String, i32), i64> {
    let deadline = std::time::Instant::now() + MARKERS_WRITTEN;
    let mut cfg = connection.verifier_config();
    cfg.set("isolation.level", "read_committed");
    let stable: Option<BaseConsumer> = cfg.create().ok();
    loop {
        let ends = ends(connection, topics);
        let Some(stable) = &stable else { return ends };
        let wanted: Vec<(String, i32)> = ends.keys().cloned().collect();
        let lso = latest(stable, &wanted).unwrap_or_default();
        let settled = ends
            .iter()
            .all(|(tp, hw)| lso.get(tp).is_none_or(|l| l >= hw));
        if settled {
            // The two answers are not one snapshot: a marker written
            // between them leaves the high watermark read first behind
            // the stable offset read after, so the later, larger one is
            // the end.
            return ends
                .into_iter()
                .map(|(tp, hw)| {
                    let end = lso.get(&tp).map_or(hw, |l| hw.max(*l));
                    (tp, end)
                })
                .collect();
        }
        if std::time::Instant::now() >= deadline {
            return ends;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The latest offset of each partition, asked in one ListOffsets request
/// per leader rather than one round trip per partition: a topic of
/// hundreds of partitions took minutes partition by partition.
fn latest(
    consumer: &BaseConsumer,
    partitions: &[(String, i32)],
) -> Option<HashMap<(String, i32), i64>> {
    let mut tpl = TopicPartitionList::new();
    for (topic, partition) in partitions {
        // As a ListOffsets timestamp, End (-1) asks for the latest offset.
        tpl.add_partition_offset(topic, *partition, Offset::End)
            .ok()?;
    }
    let answered = consumer.offsets_for_times(tpl, metadata::TIMEOUT).ok()?;
    answered
        .elements()
        .iter()
        .map(|e| match (e.error(), e.offset()) {
            (Ok(()), Offset::Offset(o)) => Some(((e.topic().to_string(), e.partition()), o)),
            _ => None,
        })
        .collect()
}

fn consumer(connection: &Connection) -> rdkafka::error::KafkaResult<BaseConsumer> {
    let mut cfg = connection.verifier_config();
    // A transactional run's aborted records are read too, so that they are
    // not counted missing; the transactions' read-back tells them apart.
    if connection.settings().transactional_id().is_some() {
        cfg.set("isolation.level", "read_uncommitted");
    }
    cfg.create()
}

/// What one reader returned of this run: its records' ids, and per
/// partition the offsets of every record (this run's or not).
struct Read {
    ids: HashSet<u64>,
    offsets: HashMap<(String, i32), Vec<i64>>,
}

/// Reads every span (partition, from, to) once under `isolation`, to its
/// end: a read_committed reader stops at the last stable offset, which is
/// the end once no transaction is open.
fn read_once(
    connection: &Connection,
    isolation: &str,
    spans: &[((String, i32), i64, i64)],
    prefix: &str,
) -> Read {
    let mut read = Read {
        ids: HashSet::new(),
        offsets: HashMap::new(),
    };
    let topics: BTreeSet<&String> = spans.iter().map(|((t, _), ..)| t).collect();
    // One consumer a topic: an end-of-partition event names only the
    // partition's number.
    for topic in topics {
        let mine: Vec<(i32, i64, i64)> = spans
            .iter()
            .filter(|((t, _), from, to)| t == topic && from < to)
            .map(|((_, p), from, to)| (*p, *from, *to))
            .collect();
        read_topic(connection, isolation, topic, &mine, prefix, &mut read);
    }
    read
}

fn read_topic(
    connection: &Connection,
    isolation: &str,
    topic: &str,
    spans: &[(i32, i64, i64)],
    prefix: &str,
    read: &mut Read,
) {
    let mut cfg = connection.verifier_config();
    cfg.set("isolation.level", isolation)
        .set("enable.partition.eof", "true");
    let Ok(consumer) = cfg.create::<BaseConsumer>() else {
        return;
    };
    let mut tpl = TopicPartitionList::new();
    for (partition, from, _) in spans {
        let _ = tpl.add_partition_offset(topic, *partition, Offset::Offset(*from));
    }
    let mut open: HashSet<i32> = spans.iter().map(|s| s.0).collect();
    if open.is_empty() || consumer.assign(&tpl).is_err() {
        return;
    }
    let deadline = std::time::Instant::now() + CATCH_UP;
    while !open.is_empty() && std::time::Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let tp = (topic.to_string(), m.partition());
                read.offsets.entry(tp).or_default().push(m.offset());
                if let Some(id) = record_id(&m, prefix) {
                    read.ids.insert(id);
                }
                let end = spans
                    .iter()
                    .find(|s| s.0 == m.partition())
                    .map_or(0, |s| s.2);
                if m.offset() + 1 >= end {
                    open.remove(&m.partition());
                }
            }
            // At the end a reader of this isolation level can reach.
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                open.remove(&p);
            }
            _ => {}
        }
    }
}

/// This run's number in a record's id header, if it carries one. A
/// user's record may carry a kprod.id header of its own (copied from an
/// earlier run, say): only this run's value names the record. Asked of
/// librdkafka by name: the crate's iterator makes a `&str` of every
/// header's name (panicking on one that is not UTF-8, which another
/// producer may write) and cost more than the rest of the reading.
#[allow(unsafe_code)]
fn record_id(m: &rdkafka::message::BorrowedMessage<'_>, prefix: &str) -> Option<u64> {
    use rdkafka_sys as rdsys;
    let mut headers = std::ptr::null_mut();
    // SAFETY: the message lives for the borrow, and its headers with it;
    // the value is read before either goes.
    unsafe {
        if rdsys::rd_kafka_message_headers(m.ptr(), &mut headers)
            != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
        {
            return None;
        }
        (0..)
            .map_while(|idx| {
                let (mut value, mut size) = (std::ptr::null(), 0);
                let found = rdsys::rd_kafka_header_get(
                    headers,
                    idx,
                    ID_HEADER_C.as_ptr(),
                    &mut value,
                    &mut size,
                );
                (found == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR).then(|| {
                    (!value.is_null())
                        .then(|| std::slice::from_raw_parts(value.cast::<u8>(), size))
                        .and_then(|v| run_number(v, prefix))
                })
            })
            .flatten()
            .next()
    }
}

/// `ID_HEADER` for librdkafka.
const ID_HEADER_C: &std::ffi::CStr = c"kprod.id";

/// The number in an id header's value `<run>-<n>`, if it is this run's.
fn run_number(value: &[u8], prefix: &str) -> Option<u64> {
    let digits = value.strip_prefix(prefix.as_bytes())?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Most marker offsets a report lists (it counts them all).
const MARKERS_LISTED: usize = 32;

fn txn_report(
    in_txn: &HashMap<u64, u64>,
    ends: &BTreeMap<u64, TxnEnd>,
    committed: &Read,
    uncommitted: &Read,
    spans: &[((String, i32), i64, i64)],
) -> TxnReport {
    let mut counts: BTreeMap<u64, TxnCounts> = ends
        .iter()
        .map(|(n, end)| {
            (
                *n,
                TxnCounts {
                    number: *n,
                    end: *end,
                    records: 0,
                    committed: 0,
                    aborted: 0,
                    missing: 0,
                },
            )
        })
        .collect();
    for (id, n) in in_txn {
        let Some(c) = counts.get_mut(n) else { continue };
        c.records += 1;
        if committed.ids.contains(id) {
            c.committed += 1;
        } else if uncommitted.ids.contains(id) {
            c.aborted += 1;
        } else {
            c.missing += 1;
        }
    }
    // An offset in a span that no read_uncommitted reader returned holds a
    // control record: a commit or abort marker.
    let mut markers = 0;
    let mut marker_offsets = Vec::new();
    let mut sorted: Vec<_> = spans.to_vec();
    sorted.sort();
    for ((topic, partition), from, to) in &sorted {
        let seen: HashSet<i64> = uncommitted
            .offsets
            .get(&(topic.clone(), *partition))
            .map(|o| o.iter().copied().collect())
            .unwrap_or_default();
        for o in *from..*to {
            if !seen.contains(&o) {
                markers += 1;
                if marker_offsets.len() < MARKERS_LISTED {
                    marker_offsets.push((topic.clone(), *partition, o));
                }
            }
        }
    }
    TxnReport {
        transactions: counts.into_values().collect(),
        read_committed: committed.ids.len() as u64,
        read_uncommitted: uncommitted.ids.len() as u64,
        markers,
        marker_offsets,
    }
}

/// Reads one topic on its own thread and passes what it reads to the state.
struct Reader {
    run: String,
    connection: Connection,
    topic: String,
    tx: UnboundedSender<Msg>,
    events: UnboundedSender<Event>,
    stop: Arc<AtomicBool>,
    starts: Arc<Mutex<HashMap<(String, i32), i64>>>,
}

impl Reader {
    fn run(self, ready: oneshot::Sender<()>) {
        let consumer = match consumer(&self.connection) {
            Ok(c) => c,
            Err(e) => {
                self.tell(format!("verifier: cannot read '{}' back: {e}", self.topic));
                let _ = ready.send(());
                return;
            }
        };
        let mut ready = Some(ready);
        // The topic may not exist until the first record creates it; then
        // all of it was written by this run, so read it from the start.
        let mut created_later = false;
        let starts = loop {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            match self.starts(&consumer) {
                Some(s) if !s.is_empty() => break s,
                _ => {
                    created_later = true;
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        };
        let starts: Vec<(i32, i64)> = if created_later {
            starts.into_iter().map(|(p, _)| (p, 0)).collect()
        } else {
            starts
        };
        let mut tpl = TopicPartitionList::new();
        for (partition, offset) in &starts {
            lock(&self.starts).insert((self.topic.clone(), *partition), *offset);
            let _ = tpl.add_partition_offset(&self.topic, *partition, Offset::Offset(*offset));
            let _ = self.tx.send(Msg::Start {
                topic: self.topic.clone(),
                partition: *partition,
                offset: *offset,
            });
        }
        if let Err(e) = consumer.assign(&tpl) {
            self.tell(format!("verifier: cannot read '{}' back: {e}", self.topic));
        }
        if let Some(r) = ready.take() {
            let _ = r.send(());
        }
        let prefix = format!("{}-", self.run);
        let mut records = Vec::new();
        while !self.stop.load(Ordering::Relaxed) {
            // The first record waits for the broker; those already fetched
            // follow without waiting, up to a batch.
            let mut wait = Duration::from_millis(100);
            let mut idle = true;
            while records.len() < READ_BATCH {
                match consumer.poll(wait) {
                    Some(Ok(m)) => {
                        records.push(ReadBack {
                            partition: m.partition(),
                            offset: m.offset(),
                            id: record_id(&m, &prefix),
                            // Compared only within this run: any fixed
                            // hash will do.
                            key: foldhash::fast::FixedState::default().hash_one(m.key()),
                        });
                        wait = Duration::ZERO;
                        idle = false;
                    }
                    Some(Err(e)) => {
                        self.tell(format!("verifier: reading '{}': {e}", self.topic));
                        break;
                    }
                    None => break,
                }
            }
            if !records.is_empty() {
                let _ = self.tx.send(Msg::Read {
                    topic: self.topic.clone(),
                    records: std::mem::take(&mut records),
                });
            }
            if idle {
                if let Ok(at) = consumer.position() {
                    for e in at.elements() {
                        if let Offset::Offset(offset) = e.offset() {
                            let _ = self.tx.send(Msg::Position {
                                topic: self.topic.clone(),
                                partition: e.partition(),
                                offset,
                            });
                        }
                    }
                }
            }
        }
    }

    /// Each partition's end offset now: where this run's records will start.
    fn starts(&self, consumer: &BaseConsumer) -> Option<Vec<(i32, i64)>> {
        let md = metadata::ask(consumer.client(), Some(&self.topic), metadata::TIMEOUT).ok()?;
        let t = md.topic(&self.topic)?;
        let wanted: Vec<(String, i32)> = t
            .layout
            .iter()
            .map(|p| (self.topic.clone(), p.id))
            .collect();
        let ends = latest(consumer, &wanted)?;
        let mut starts: Vec<(i32, i64)> = ends.into_iter().map(|((_, p), o)| (p, o)).collect();
        starts.sort_unstable();
        Some(starts)
    }

    fn tell(&self, text: String) {
        let _ = self.events.send(Event::Notice {
            level: Level::Warn,
            text,
        });
    }
}

/// The verifier's maps are looked up for every record acked and read:
/// SipHash there cost more than the lookups' work.
type Fast<K, V> = foldhash::HashMap<K, V>;

/// A topic-partition, as an index into `State::names`: a record's entry
/// then costs a few bytes, not a copy of its topic's name.
type Tp = u32;

/// One record of this run. Kept small: a run may have millions.
#[derive(Default)]
struct Record {
    acked: Option<(Tp, Option<i64>)>,
    /// Where it was first read back.
    first: Option<(Tp, i64)>,
    /// Where further copies were read back (duplicates only).
    more: Vec<(Tp, i64)>,
    missing: bool,
    uncommitted: bool,
    /// The producer reported it failed.
    failed: bool,
}

impl Record {
    fn seen(&self) -> bool {
        self.first.is_some()
    }

    fn seen_at(&self, tp: Tp, offset: i64) -> bool {
        self.first == Some((tp, offset)) || self.more.contains(&(tp, offset))
    }
}

/// Everything the verifier knows; owned by one task.
#[derive(Default)]
struct State {
    names: Vec<(String, i32)>,
    index: Fast<(String, i32), Tp>,
    records: Fast<u64, Record>,
    /// Records acked and read back once where the ack said, one bit each
    /// (ids count up from 0): they leave `records`, and a later copy is
    /// still known for a duplicate.
    settled: Vec<u64>,
    counts: BTreeMap<Tp, PartitionCounts>,
    /// Per partition: acked offsets not yet read back, by offset.
    pending: Fast<Tp, BTreeMap<i64, u64>>,
    /// Per partition: the next offset the reader will read.
    progress: Fast<Tp, i64>,
    /// Per partition and key: the highest record number read so far.
    last_of_key: Fast<(Tp, u64), u64>,
    changed: bool,
    /// Records numbered below it were sent before the last reset.
    from: u64,
}

impl State {
    async fn run(mut self, mut rx: UnboundedReceiver<Msg>, events: UnboundedSender<Event>) {
        let mut tick = tokio::time::interval(SUMMARY_EVERY);
        let mut finishing: Option<(
            HashMap<Tp, i64>,
            oneshot::Sender<Summary>,
            tokio::time::Instant,
        )> = None;
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(Msg::Finish { ends, reply }) => {
                        let ends = ends.into_iter().map(|((t, p), end)| (self.intern(t, p), end)).collect();
                        finishing = Some((ends, reply, tokio::time::Instant::now() + CATCH_UP));
                    }
                    Some(m) => self.take(m, &events),
                    None => return,
                },
                _ = tick.tick() => {
                    if self.changed {
                        self.changed = false;
                        let _ = events.send(Event::Verification(self.summary(false)));
                    }
                }
            }
            if let Some((ends, _, deadline)) = &finishing {
                let caught_up = ends
                    .iter()
                    .all(|(tp, end)| self.progress.get(tp).is_some_and(|p| p >= end));
                if caught_up || tokio::time::Instant::now() >= *deadline {
                    let (ends, reply, _) = finishing.take().expect("checked above");
                    if !caught_up {
                        let _ = events.send(Event::Notice {
                            level: Level::Warn,
                            text: "verifier: the readers did not reach the end in time; records not read yet count as missing".into(),
                        });
                    }
                    self.finish(&ends, &events);
                    let summary = self.summary(true);
                    let _ = events.send(Event::Verification(summary.clone()));
                    let _ = reply.send(summary);
                }
            }
        }
    }

    fn intern(&mut self, topic: String, partition: i32) -> Tp {
        // Asked twice a record (its ack, its read): no copy of the name
        // just to look it up.
        let key = (topic, partition);
        if let Some(tp) = self.index.get(&key) {
            return *tp;
        }
        let tp = self.names.len() as Tp;
        self.names.push(key.clone());
        self.index.insert(key, tp);
        tp
    }

    fn counts(&mut self, tp: &Tp) -> &mut PartitionCounts {
        let (topic, partition) = &self.names[*tp as usize];
        self.counts.entry(*tp).or_insert_with(|| PartitionCounts {
            topic: topic.clone(),
            partition: *partition,
            ..Default::default()
        })
    }

    fn issue(
        &self,
        events: &UnboundedSender<Event>,
        kind: IssueKind,
        tp: &Tp,
        offset: Option<i64>,
        id: u64,
    ) {
        let (topic, partition) = &self.names[*tp as usize];
        let _ = events.send(Event::VerifyIssue {
            kind,
            topic: topic.clone(),
            partition: *partition,
            offset,
            id,
        });
    }

    fn take(&mut self, msg: Msg, events: &UnboundedSender<Event>) {
        self.changed = true;
        match msg {
            Msg::Start {
                topic,
                partition,
                offset,
            } => {
                let tp = self.intern(topic, partition);
                self.progress.insert(tp, offset);
            }
            Msg::Acked { id, .. } | Msg::Failed { id } if id < self.from => {}
            Msg::Acked {
                topic,
                partition,
                offset,
                id,
            } => {
                let tp = self.intern(topic, partition);
                self.counts(&tp).acked += 1;
                let rec = self.records.entry(id).or_default();
                rec.acked = Some((tp, offset));
                let seen_here = offset.is_some_and(|o| rec.seen_at(tp, o));
                let seen_elsewhere = rec.seen() && !seen_here;
                let Some(offset) = offset else { return };
                if seen_here {
                    self.settle(id);
                    return;
                }
                if seen_elsewhere && offset_before_progress(&self.progress, &tp, offset) {
                    self.counts(&tp).misplaced += 1;
                    self.issue(events, IssueKind::Misplaced, &tp, Some(offset), id);
                } else if offset_before_progress(&self.progress, &tp, offset) {
                    self.mark_missing(id, &tp, offset, events);
                } else {
                    self.pending.entry(tp).or_default().insert(offset, id);
                }
            }
            Msg::Read { topic, records } => {
                // A topic's records come from a few partitions: each
                // interned once a batch.
                let mut tps: Vec<(i32, Tp)> = Vec::new();
                for r in records {
                    let tp = match tps.iter().find(|(p, _)| *p == r.partition) {
                        Some((_, tp)) => *tp,
                        None => {
                            let tp = self.intern(topic.clone(), r.partition);
                            tps.push((r.partition, tp));
                            tp
                        }
                    };
                    self.read_one(tp, r, events);
                }
            }
            Msg::Failed { id } => {
                if self.is_settled(id) {
                    return;
                }
                let rec = self.records.entry(id).or_default();
                rec.failed = true;
                if let Some((tp, offset)) = rec.first {
                    self.failed_written(&tp, offset, id, events);
                }
            }
            Msg::Finish { .. } => {}
            Msg::Position {
                topic,
                partition,
                offset,
            } => {
                let tp = self.intern(topic, partition);
                let p = self.progress.entry(tp).or_insert(offset);
                *p = (*p).max(offset);
            }
            Msg::Reset { from } => {
                // Where the readers are is kept: they read on from there.
                *self = State {
                    names: std::mem::take(&mut self.names),
                    index: std::mem::take(&mut self.index),
                    progress: std::mem::take(&mut self.progress),
                    changed: true,
                    from,
                    ..State::default()
                };
            }
        }
    }

    /// A record read back at `tp`, and the acked records the reader has
    /// passed without seeing.
    fn read_one(&mut self, tp: Tp, r: ReadBack, events: &UnboundedSender<Event>) {
        let offset = r.offset;
        self.progress.insert(tp, offset + 1);
        if let Some(id) = r.id.filter(|id| *id >= self.from) {
            self.read(id, &tp, offset, r.key, events);
        }
        let Some(pending) = self.pending.get_mut(&tp) else {
            return;
        };
        // Taken from the front, oldest first: usually none is passed, and
        // a split of the map would cost a new tree every record.
        let mut passed = Vec::new();
        while let Some(entry) = pending.first_entry() {
            if *entry.key() > offset {
                break;
            }
            passed.push(entry.remove_entry());
        }
        for (o, pid) in passed {
            let seen = self.records.get(&pid).is_some_and(Record::seen);
            if seen {
                self.counts(&tp).misplaced += 1;
                self.issue(events, IssueKind::Misplaced, &tp, Some(o), pid);
            } else {
                self.mark_missing(pid, &tp, o, events);
            }
        }
    }

    fn is_settled(&self, id: u64) -> bool {
        self.settled
            .get((id / 64) as usize)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Forgets a record that was acked and read back where the ack said.
    fn settle(&mut self, id: u64) {
        if self
            .records
            .get(&id)
            .is_some_and(|r| r.more.is_empty() && !r.missing && !r.uncommitted)
        {
            self.records.remove(&id);
            let word = (id / 64) as usize;
            if self.settled.len() <= word {
                self.settled.resize(word + 1, 0);
            }
            self.settled[word] |= 1 << (id % 64);
        }
    }

    fn read(&mut self, id: u64, tp: &Tp, offset: i64, key: u64, events: &UnboundedSender<Event>) {
        if self.is_settled(id) {
            self.counts(tp).duplicated += 1;
            self.issue(events, IssueKind::Duplicated, tp, Some(offset), id);
            return;
        }
        let rec = self.records.entry(id).or_default();
        let first = !rec.seen();
        if first {
            rec.first = Some((*tp, offset));
        } else {
            rec.more.push((*tp, offset));
        }
        let was_missing = std::mem::take(&mut rec.missing);
        let was_uncommitted = std::mem::take(&mut rec.uncommitted);
        let acked_at = rec.acked;
        if was_uncommitted {
            if let Some((atp, _)) = &acked_at {
                self.counts(atp).uncommitted -= 1;
            }
        }
        let where_acked =
            matches!(acked_at, Some((atp, Some(aoff))) if atp == *tp && aoff == offset);
        if where_acked {
            if let Some(p) = self.pending.get_mut(tp) {
                p.remove(&offset);
            }
        }
        if !first {
            self.counts(tp).duplicated += 1;
            self.issue(events, IssueKind::Duplicated, tp, Some(offset), id);
            return;
        }
        self.counts(tp).read_back += 1;
        if self.records.get(&id).is_some_and(|r| r.failed) {
            self.failed_written(tp, offset, id, events);
        }
        if was_missing {
            // Declared missing at its acked offset, found elsewhere.
            if let Some((atp, aoff)) = &acked_at {
                let c = self.counts(atp);
                c.missing -= 1;
                c.misplaced += 1;
                self.issue(events, IssueKind::Misplaced, tp, *aoff, id);
            }
        }
        match self.last_of_key.get(&(*tp, key)) {
            Some(last) if *last > id => {
                self.counts(tp).reordered += 1;
                self.issue(events, IssueKind::Reordered, tp, Some(offset), id);
            }
            _ => {
                self.last_of_key.insert((*tp, key), id);
            }
        }
        if where_acked {
            self.settle(id);
        }
    }

    fn failed_written(&mut self, tp: &Tp, offset: i64, id: u64, events: &UnboundedSender<Event>) {
        self.counts(tp).failed_written += 1;
        self.issue(events, IssueKind::FailedButWritten, tp, Some(offset), id);
    }

    fn mark_missing(&mut self, id: u64, tp: &Tp, offset: i64, events: &UnboundedSender<Event>) {
        if let Some(r) = self.records.get_mut(&id) {
            if r.missing {
                return;
            }
            r.missing = true;
        }
        self.counts(tp).missing += 1;
        self.issue(events, IssueKind::Missing, tp, Some(offset), id);
    }

    /// At the end: an acked record never read back is missing, unless it
    /// lies at or above its partition's high watermark (`ends`): then it is
    /// uncommitted, on the leader's log but not readable yet.
    fn finish(&mut self, ends: &HashMap<Tp, i64>, events: &UnboundedSender<Event>) {
        let unseen: Vec<(u64, Tp, Option<i64>, bool)> = self
            .records
            .iter()
            .filter(|(_, r)| !r.seen() && !r.missing)
            .filter_map(|(id, r)| r.acked.map(|(tp, o)| (*id, tp, o, r.uncommitted)))
            .collect();
        for (id, tp, offset, was_uncommitted) in unseen {
            let above = offset.is_some_and(|o| ends.get(&tp).is_some_and(|end| o >= *end));
            let rec = self.records.get_mut(&id).expect("listed above");
            rec.uncommitted = above;
            rec.missing = !above;
            let c = self.counts(&tp);
            match (was_uncommitted, above) {
                (false, true) => c.uncommitted += 1,
                (true, false) => c.uncommitted -= 1,
                _ => {}
            }
            if !above {
                c.missing += 1;
                self.issue(events, IssueKind::Missing, &tp, offset, id);
            }
        }
        self.pending.clear();
    }

    fn summary(&self, complete: bool) -> Summary {
        let mut partitions: Vec<PartitionCounts> = self.counts.values().cloned().collect();
        partitions.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Summary {
            partitions,
            complete,
        }
    }
}

fn offset_before_progress(progress: &Fast<Tp, i64>, tp: &Tp, offset: i64) -> bool {
    progress.get(tp).is_some_and(|p| offset < *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(s: &mut State, ev: &UnboundedSender<Event>, id: u64, offset: i64) {
        s.take(
            Msg::Acked {
                topic: "t".into(),
                partition: 0,
                offset: Some(offset),
                id,
            },
            ev,
        );
    }

    fn read(s: &mut State, ev: &UnboundedSender<Event>, id: Option<u64>, offset: i64, key: u64) {
        s.take(
            Msg::Read {
                topic: "t".into(),
                records: vec![ReadBack {
                    partition: 0,
                    offset,
                    id,
                    key,
                }],
            },
            ev,
        );
    }

    fn issues(rx: &mut UnboundedReceiver<Event>) -> Vec<(IssueKind, u64)> {
        let mut out = Vec::new();
        while let Ok(e) = rx.try_recv() {
            if let Event::VerifyIssue { kind, id, .. } = e {
                out.push((kind, id));
            }
        }
        out
    }

    fn start() -> (State, UnboundedSender<Event>, UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut s = State::default();
        s.take(
            Msg::Start {
                topic: "t".into(),
                partition: 0,
                offset: 0,
            },
            &tx,
        );
        (s, tx, rx)
    }

    #[test]
    fn a_clean_run_counts_everything_read_back() {
        let (mut s, tx, mut rx) = start();
        for id in 0..5 {
            ack(&mut s, &tx, id, id as i64);
        }
        // The reader may see a record before its delivery report arrives.
        read(&mut s, &tx, Some(0), 0, 1);
        for id in 1..5 {
            read(&mut s, &tx, Some(id), id as i64, 1);
        }
        read(&mut s, &tx, None, 5, 9); // another producer's record
        ack(&mut s, &tx, 5, 6);
        read(&mut s, &tx, Some(5), 6, 1);
        assert_eq!(issues(&mut rx), vec![]);
        let t = s.summary(false).total();
        assert_eq!(
            (t.acked, t.read_back, t.missing, t.duplicated, t.misplaced),
            (6, 6, 0, 0, 0)
        );
    }

    #[test]
    fn a_record_read_elsewhere_than_its_ack_said_is_misplaced_not_missing() {
        let (mut s, tx, mut rx) = start();
        ack(&mut s, &tx, 0, 0);
        read(&mut s, &tx, None, 0, 9);
        read(&mut s, &tx, Some(0), 1, 1);
        // Passed unseen at offset 0 (missing), then found at 1.
        assert_eq!(
            issues(&mut rx),
            vec![(IssueKind::Missing, 0), (IssueKind::Misplaced, 0)]
        );
        let t = s.summary(false).total();
        assert_eq!((t.missing, t.misplaced, t.read_back), (0, 1, 1));
        assert!(!s.summary(true).no_loss());
    }

    #[test]
    fn a_lost_ack_retried_is_a_duplicate_and_an_ack_never_written_is_missing() {
        let (mut s, tx, mut rx) = start();
        // Record 0 written at 0, its ack lost, retried and written again at 1.
        ack(&mut s, &tx, 0, 1);
        ack(&mut s, &tx, 1, 2);
        ack(&mut s, &tx, 2, 3);
        read(&mut s, &tx, Some(0), 0, 7);
        read(&mut s, &tx, Some(0), 1, 7);
        read(&mut s, &tx, Some(1), 2, 7);
        // Record 2 acked at 3 but the log moved on without it (truncated).
        read(&mut s, &tx, Some(3), 4, 7);
        ack(&mut s, &tx, 3, 4);
        let found = issues(&mut rx);
        assert_eq!(
            found,
            vec![(IssueKind::Duplicated, 0), (IssueKind::Missing, 2)]
        );
        let t = s.summary(false).total();
        assert_eq!(
            (t.acked, t.read_back, t.duplicated, t.missing),
            (4, 3, 1, 1)
        );
    }

    #[test]
    fn a_copy_of_a_settled_record_is_still_a_duplicate_and_settled_records_are_forgotten() {
        let (mut s, tx, mut rx) = start();
        for id in 0..100 {
            ack(&mut s, &tx, id, id as i64);
            read(&mut s, &tx, Some(id), id as i64, id);
        }
        assert!(s.records.is_empty(), "settled records leave the map");
        read(&mut s, &tx, Some(7), 100, 7);
        assert_eq!(issues(&mut rx), vec![(IssueKind::Duplicated, 7)]);
        s.finish(&HashMap::new(), &tx);
        let t = s.summary(true).total();
        assert_eq!(
            (t.acked, t.read_back, t.duplicated, t.missing),
            (100, 100, 1, 0)
        );
    }

    #[test]
    fn ids_of_one_key_out_of_send_order_are_reordered() {
        let (mut s, tx, mut rx) = start();
        for (id, offset) in [(0, 0), (2, 1), (1, 2), (3, 3)] {
            ack(&mut s, &tx, id, offset);
            read(&mut s, &tx, Some(id), offset, 42);
        }
        // Another key interleaving is no reordering.
        ack(&mut s, &tx, 4, 4);
        read(&mut s, &tx, Some(4), 4, 43);
        assert_eq!(issues(&mut rx), vec![(IssueKind::Reordered, 1)]);
        assert_eq!(s.summary(false).total().reordered, 1);
    }

    #[test]
    fn a_failed_record_read_back_is_failed_but_written_whichever_comes_first() {
        let (mut s, ev, mut rx) = start();
        // Reported failed, then read back.
        s.take(Msg::Failed { id: 0 }, &ev);
        read(&mut s, &ev, Some(0), 0, 1);
        // Read back, then reported failed.
        read(&mut s, &ev, Some(1), 1, 2);
        s.take(Msg::Failed { id: 1 }, &ev);
        // Reported failed and never written.
        s.take(Msg::Failed { id: 2 }, &ev);
        s.finish(&HashMap::new(), &ev);
        let t = s.summary(true).total();
        assert_eq!((t.failed_written, t.read_back, t.missing), (2, 2, 0));
        assert_eq!(
            issues(&mut rx),
            [
                (IssueKind::FailedButWritten, 0),
                (IssueKind::FailedButWritten, 1)
            ]
        );
    }

    #[test]
    fn acked_records_above_the_high_watermark_are_uncommitted_until_read() {
        let (mut s, tx, mut rx) = start();
        ack(&mut s, &tx, 0, 0);
        ack(&mut s, &tx, 1, 1);
        read(&mut s, &tx, Some(0), 0, 1);
        let t0 = s.intern("t".into(), 0);
        let ends = HashMap::from([(t0, 1)]);
        s.finish(&ends, &tx);
        assert_eq!(issues(&mut rx), vec![]);
        let t = s.summary(true).total();
        assert_eq!((t.read_back, t.missing, t.uncommitted), (1, 0, 1));
        // The ISR grows back, the high watermark moves, the reader sees it.
        read(&mut s, &tx, Some(1), 1, 1);
        s.finish(&HashMap::from([(t0, 2)]), &tx);
        let t = s.summary(true).total();
        assert_eq!((t.read_back, t.missing, t.uncommitted), (2, 0, 0));
    }

    #[test]
    fn at_the_end_every_acked_record_never_read_is_missing() {
        let (mut s, tx, mut rx) = start();
        ack(&mut s, &tx, 0, 0);
        s.take(
            Msg::Acked {
                topic: "t".into(),
                partition: 0,
                offset: None, // acks=0: no offset known
                id: 1,
            },
            &tx,
        );
        s.finish(&HashMap::new(), &tx);
        let mut found = issues(&mut rx);
        found.sort_by_key(|(_, id)| *id);
        assert_eq!(
            found,
            vec![(IssueKind::Missing, 0), (IssueKind::Missing, 1)]
        );
        let summary = s.summary(true);
        assert!(!summary.no_loss());
        assert_eq!(summary.partitions[0].topic, "t");
    }

    #[test]
    fn after_a_reset_counts_start_from_zero_and_earlier_records_are_not_counted() {
        let (mut s, tx, mut rx) = start();
        for id in 0..3 {
            ack(&mut s, &tx, id, id as i64);
        }
        read(&mut s, &tx, Some(0), 0, 1);
        s.take(Msg::Reset { from: 3 }, &tx);
        assert_eq!(s.summary(false).total().acked, 0);
        // Records 1 and 2 are read back after the reset: not counted, and
        // the reader passing them finds nothing missing.
        read(&mut s, &tx, Some(1), 1, 1);
        read(&mut s, &tx, Some(2), 2, 1);
        // A copy of record 0 is no duplicate of this lesson's.
        read(&mut s, &tx, Some(0), 3, 1);
        ack(&mut s, &tx, 3, 4);
        read(&mut s, &tx, Some(3), 4, 1);
        s.finish(&HashMap::new(), &tx);
        assert_eq!(issues(&mut rx), vec![]);
        let t = s.summary(true).total();
        assert_eq!(
            (t.acked, t.read_back, t.missing, t.duplicated),
            (1, 1, 0, 0)
        );
    }
}
