//! kprod's fault-injecting proxy for real clusters: it stands between the
//! producer and the brokers, passes every request and response through
//! unchanged except the broker addresses in responses (so that every
//! connection the producer opens comes back through it), and on demand takes
//! a broker down, slows it, loses acks or fails produce requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::alter_partition_reassignments_request::{
    ReassignablePartition, ReassignableTopic,
};
use kafka_protocol::messages::elect_leaders_request::TopicPartitions;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ApiKey, BrokerId,
    ElectLeadersRequest, ElectLeadersResponse, FindCoordinatorResponse, MetadataResponse,
    ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::connection::Connection;
use crate::event::{Event, Level};
use crate::faults::{Fault, FaultError, Injector, ProxyError};
use crate::metadata;
use crate::settings::Settings;
use crate::sync::lock;

/// The largest frame the proxy takes: far above what a producer sends
/// (message.max.bytes tops at 1 GB but no one sends that through a console).
const MAX_FRAME: usize = 256 << 20;
/// How long a leader move may take, all requests included.
const LEADER_MOVE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection to a broker may take before the client is cut off.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running proxy; it stops listening when dropped (connections end as the
/// producer closes them).
pub struct Proxy {
    shared: Arc<Shared>,
    bootstrap: SocketAddr,
    accept: JoinHandle<()>,
    /// True once the cluster's brokers were asked for at the start.
    learnt: watch::Receiver<bool>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for node in lock(&self.shared.nodes).values() {
            if let Some(accept) = lock(&node.accept).take() {
                accept.abort();
            }
        }
    }
}

struct Shared {
    /// The cluster's own bootstrap servers.
    upstream: Vec<String>,
    /// How the proxy's own clients reach the cluster.
    connection: Connection,
    /// Every broker the cluster has told the producer about, by node id.
    nodes: Mutex<HashMap<i32, Arc<Node>>>,
    plan: Mutex<Plan>,
    events: mpsc::UnboundedSender<Event>,
}

/// One broker as the proxy stands in for it.
struct Node {
    id: i32,
    /// Where the producer is told the broker is.
    local: SocketAddr,
    /// Where the broker really is.
    upstream: Mutex<String>,
    /// Down: connections are cut and new ones closed at once.
    down: watch::Sender<bool>,
    /// Added to every response from this broker.
    slow_ms: AtomicU64,
    /// Taking connections; none while the broker is down, so that the
    /// producer's connections are refused as a stopped broker's are.
    accept: Mutex<Option<JoinHandle<()>>>,
    /// The broker did not answer the last connection made for it.
    unreachable: std::sync::atomic::AtomicBool,
}

/// Faults that wait for produce requests.
#[derive(Default)]
struct Plan {
    /// Drop this many acks from each broker, by broker id: responses to
    /// produce requests the broker appended in full.
    lose: HashMap<i32, u32>,
    /// Answer this many produce requests with `fail_code` instead of
    /// forwarding them.
    fail: u32,
    fail_code: i16,
}

/// A request waiting for its response on one connection.
struct Pending {
    api: ApiKey,
    version: i16,
}

impl Proxy {
    /// Listens on loopback for the cluster `connection` reaches (its
    /// host:port list).
    pub async fn start(
        connection: &Connection,
        events: mpsc::UnboundedSender<Event>,
    ) -> Result<Proxy, ProxyError> {
        let bootstrap = connection.bootstrap();
        let upstream: Vec<String> = bootstrap
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if upstream.is_empty() {
            return Err(ProxyError::NoBootstrap);
        }
        let listen = |e| ProxyError::Listen(Arc::new(e));
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(listen)?;
        let local = listener.local_addr().map_err(listen)?;
        let shared = Arc::new(Shared {
            upstream,
            connection: connection.clone(),
            nodes: Mutex::new(HashMap::new()),
            plan: Mutex::new(Plan::default()),
            events,
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone(), None));
        // Learn the brokers now, so a fault can name one before the producer
        // has asked; an unreachable cluster is learnt later, as it answers.
        let (learnt_tx, learnt) = watch::channel(false);
        let side = connection.clone();
        let learner = shared.clone();
        tokio::spawn(async move {
            let brokers = tokio::task::spawn_blocking(move || brokers(&side))
                .await
                .unwrap_or_default();
            for (id, host, port) in brokers {
                if let Err(e) = learner.route(id, &host, port).await {
                    learner.notice(
                        Level::Error,
                        format!("proxy: cannot listen for broker {id}: {e}"),
                    );
                }
            }
            learnt_tx.send_replace(true);
            // Its own login is tried now, so that a leader move does not
            // find out late that it cannot log in.
            if SideLogin::of(&learner.connection).is_ok_and(|l| l.is_some()) {
                match side_connection(&learner).await {
                    Ok(_) => learner.notice(
                        Level::Info,
                        format!(
                            "proxy: passes {} through; its own requests (leader moves) log in to the cluster as the producer does",
                            learner.connection.security_protocol()
                        ),
                    ),
                    Err(e) => learner.notice(Level::Warn, format!("proxy: {e}")),
                }
            } else if let Err(e) = SideLogin::of(&learner.connection) {
                learner.notice(Level::Warn, format!("proxy: {e}"));
            }
        });
        Ok(Proxy {
            shared,
            bootstrap: local,
            accept,
            learnt,
        })
    }

    /// The address the producer is given instead of the cluster's.
    pub fn bootstrap_servers(&self) -> String {
        self.bootstrap.to_string()
    }

    /// Carries a fault out; says what a user should know about it.
    pub async fn inject(&self, fault: &Fault) -> Result<String, FaultError> {
        // A fault named at the start waits until the brokers are known.
        let _ = self.learnt.clone().wait_for(|l| *l).await;
        let node = |id: i32| -> Result<Arc<Node>, FaultError> {
            let nodes = lock(&self.shared.nodes);
            nodes.get(&id).cloned().ok_or_else(|| {
                let mut known: Vec<_> = nodes.keys().copied().collect();
                known.sort();
                match known.is_empty() {
                    true => FaultError::BrokerNotKnownYet(id),
                    false => FaultError::NoBroker { id, known },
                }
            })
        };
        match fault {
            Fault::Down(b) => {
                let n = node(*b)?;
                n.down.send_replace(true);
                if let Some(accept) = lock(&n.accept).take() {
                    accept.abort();
                }
                Ok(" (kprod's proxy cuts its connections and refuses new ones)".into())
            }
            Fault::Up(b) => {
                let n = node(*b)?;
                self.listen_again(&n).await?;
                n.down.send_replace(false);
                Ok(String::new())
            }
            Fault::Slow { broker, ms } => {
                node(*broker)?
                    .slow_ms
                    .store(u64::from(*ms), Ordering::Relaxed);
                Ok(" (added by kprod's proxy to each response)".into())
            }
            Fault::LoseAcks { broker, count } => {
                let ids: Vec<i32> = match broker {
                    Some(b) => vec![node(*b)?.id],
                    None => lock(&self.shared.nodes).keys().copied().collect(),
                };
                if ids.is_empty() {
                    return Err(FaultError::NoBrokersYet);
                }
                let mut plan = lock(&self.shared.plan);
                for id in ids {
                    plan.lose.insert(id, *count);
                }
                Ok(" (kprod's proxy drops the broker's answer to each of the next produce requests it appends; refusals, such as NOT_LEADER_OR_FOLLOWER, still reach the producer)".into())
            }
            Fault::Fail { count, error } => {
                let mut plan = lock(&self.shared.plan);
                plan.fail = *count;
                plan.fail_code = error.code;
                Ok(" (kprod's proxy answers instead of the broker)".into())
            }
            Fault::Leader {
                topic,
                partition,
                broker,
            } => tokio::time::timeout(
                LEADER_MOVE_TIMEOUT,
                self.move_leader(topic, *partition, *broker),
            )
            .await
            .unwrap_or(Err(FaultError::Timeout(LEADER_MOVE_TIMEOUT))),
            Fault::Clear => {
                let pending = {
                    let mut plan = lock(&self.shared.plan);
                    let pending = (plan.lose.values().sum::<u32>(), plan.fail);
                    *plan = Plan::default();
                    pending
                };
                let nodes: Vec<Arc<Node>> = lock(&self.shared.nodes).values().cloned().collect();
                for n in nodes {
                    self.listen_again(&n).await?;
                    n.down.send_replace(false);
                    n.slow_ms.store(0, Ordering::Relaxed);
                }
                Ok(match pending {
                    (0, 0) => String::new(),
                    (lose, fail) => format!(
                        " ({lose} lost ack(s) and {fail} failure(s) still waiting were cancelled)"
                    ),
                })
            }
        }
    }
}

impl Proxy {
    /// Takes connections for a broker that was down, on the port the
    /// producer knows.
    async fn listen_again(&self, node: &Arc<Node>) -> Result<(), FaultError> {
        if lock(&node.accept).is_some() {
            return Ok(());
        }
        // The old listener closes as its task ends, which may take a moment.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(node.local).await {
                Ok(l) => break l,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => {
                    return Err(FaultError::Relisten {
                        addr: node.local,
                        source: Arc::new(e),
                    })
                }
            }
        };
        let task = tokio::spawn(accept_loop(listener, self.shared.clone(), Some(node.id)));
        *lock(&node.accept) = Some(task);
        Ok(())
    }

    /// Makes `broker` lead the partition as an operator would: the replica
    /// list reordered to put it first (AlterPartitionReassignments; the same
    /// replicas, so no data moves), then a preferred leader election.
    async fn move_leader(
        &self,
        topic: &str,
        partition: i32,
        broker: i32,
    ) -> Result<String, FaultError> {
        let side = self.shared.connection.clone();
        let name = topic.to_string();
        let (leader, replicas) =
            tokio::task::spawn_blocking(move || layout(&side, &name, partition))
                .await
                .map_err(task)??;
        if !replicas.contains(&broker) {
            return Err(FaultError::NotAReplica {
                broker,
                topic: topic.into(),
                partition,
                replicas,
            });
        }
        if leader == broker {
            return Ok(format!(
                " (broker {broker} already leads {topic}-{partition})"
            ));
        }
        let mut order = vec![broker];
        order.extend(replicas.iter().copied().filter(|r| *r != broker));
        let mut conn = side_connection(&self.shared).await?;
        let name = TopicName(StrBytes::from_string(topic.to_string()));
        let reassign = AlterPartitionReassignmentsRequest::default()
            .with_timeout_ms(10_000)
            .with_topics(vec![ReassignableTopic::default()
                .with_name(name.clone())
                .with_partitions(vec![ReassignablePartition::default()
                    .with_partition_index(partition)
                    .with_replicas(Some(
                        order.iter().map(|b| BrokerId(*b)).collect(),
                    ))])]);
        let answer: AlterPartitionReassignmentsResponse = call(
            &mut conn,
            ApiKey::AlterPartitionReassignments,
            0,
            1,
            &reassign,
        )
        .await?;
        let code = answer
            .responses
            .iter()
            .flat_map(|t| &t.partitions)
            .map(|p| p.error_code)
            .find(|c| *c != 0)
            .unwrap_or(answer.error_code);
        refused("reordering the replicas", code)?;
        let elect = ElectLeadersRequest::default()
            .with_election_type(0)
            .with_timeout_ms(10_000)
            .with_topic_partitions(Some(vec![TopicPartitions::default()
                .with_topic(name)
                .with_partitions(vec![partition])]));
        // The new order takes a moment to reach the controller's view.
        for attempt in 2.. {
            let answer: ElectLeadersResponse =
                call(&mut conn, ApiKey::ElectLeaders, 2, attempt, &elect).await?;
            let code = answer
                .replica_election_results
                .iter()
                .flat_map(|t| &t.partition_result)
                .map(|p| p.error_code)
                .find(|c| *c != 0)
                .unwrap_or(answer.error_code);
            // ELECTION_NOT_NEEDED: it leads already.
            if code == 0 || code == 84 {
                break;
            }
            if attempt > 20 {
                refused("the leader election", code)?;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        // Told only once the cluster's metadata says so.
        let (servers, name) = (self.shared.connection.clone(), topic.to_string());
        for _ in 0..40 {
            let (s, n) = (servers.clone(), name.clone());
            let now = tokio::task::spawn_blocking(move || layout(&s, &n, partition))
                .await
                .map_err(task)??;
            if now.0 == broker {
                return Ok(format!(
                    " (replicas reordered to {} and a preferred leader election held, as kafka-reassign-partitions.sh and kafka-leader-election.sh do; the producer finds the new leader when the old one refuses it)",
                    order.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(FaultError::NotLeaderYet {
            broker,
            topic: topic.into(),
            partition,
        })
    }
}

/// The protocol library's errors carry only their words.
fn wire(e: impl std::fmt::Display) -> FaultError {
    FaultError::Wire(e.to_string())
}

fn task(e: tokio::task::JoinError) -> FaultError {
    FaultError::Task(Arc::new(e))
}

fn io(e: std::io::Error) -> FaultError {
    FaultError::Io(Arc::new(e))
}

/// An error code from the cluster as an error, named.
fn refused(what: &'static str, code: i16) -> Result<(), FaultError> {
    match ResponseError::try_from_code(code) {
        None => Ok(()),
        Some(error) => Err(FaultError::Refused { what, error }),
    }
}

/// A connection of the proxy's own to the cluster (the first bootstrap
/// server that answers), logged in as the producer is on SASL_PLAINTEXT.
async fn side_connection(shared: &Shared) -> Result<TcpStream, FaultError> {
    let mut conn = connect(shared, None)
        .await
        .ok_or(FaultError::NoBrokerAnswers)?;
    if let Some(login) = SideLogin::of(&shared.connection)? {
        login.run(&mut conn).await?;
    }
    Ok(conn)
}

/// How the proxy's own requests log in: the connection's SASL mechanism
/// and credentials (sasl.username and sasl.password, from -X, a profile
/// or a Java sasl.jaas.config), as librdkafka would use them.
struct SideLogin {
    mechanism: String,
    username: String,
    password: String,
}

impl std::fmt::Debug for SideLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        write!(f, "{} as {}", self.mechanism, self.username)
    }
}

impl SideLogin {
    /// None when the connection has no SASL (PLAINTEXT).
    fn of(connection: &Connection) -> Result<Option<SideLogin>, FaultError> {
        if !connection.security_protocol().starts_with("SASL_") {
            return Ok(None);
        }
        let property = |name: &str| connection.property(name).map(str::trim);
        // librdkafka takes both spellings; GSSAPI is its default, and the
        // Java client's.
        let mechanism = property("sasl.mechanism")
            .or_else(|| property("sasl.mechanisms"))
            .unwrap_or("GSSAPI")
            .to_ascii_uppercase();
        if !matches!(
            mechanism.as_str(),
            "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512"
        ) {
            return Err(FaultError::Login(format!(
                "sasl.mechanism {mechanism}: the proxy logs in with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 only; the faults that need no request of its own (down, up, slow, lose-acks, fail) still work"
            )));
        }
        let (Some(username), Some(password)) = (
            property("sasl.username"),
            connection.property("sasl.password"),
        ) else {
            return Err(FaultError::Login(format!(
                "{mechanism} needs sasl.username and sasl.password (or a sasl.jaas.config with username and password)"
            )));
        };
        Ok(Some(SideLogin {
            mechanism,
            username: username.to_string(),
            password: password.to_string(),
        }))
    }

    /// SaslHandshake, then SaslAuthenticate until the mechanism is done;
    /// rsasl does the mechanism's side (SCRAM's proofs and the server's
    /// signature check).
    async fn run(&self, conn: &mut TcpStream) -> Result<(), FaultError> {
        use rsasl::prelude::{Mechname, SASLClient, SASLConfig};
        let failed =
            |e: &dyn std::fmt::Display| FaultError::Login(format!("{}: {e}", self.mechanism));
        let handshake: SaslHandshakeResponse = call(
            conn,
            ApiKey::SaslHandshake,
            1,
            0,
            &SaslHandshakeRequest::default()
                .with_mechanism(StrBytes::from_string(self.mechanism.clone())),
        )
        .await?;
        if handshake.error_code != 0 {
            let offered: Vec<&str> = handshake.mechanisms.iter().map(|m| m.as_str()).collect();
            return Err(FaultError::Login(format!(
                "the cluster does not take {} on this listener (it takes {}): check sasl.mechanism",
                self.mechanism,
                offered.join(", ")
            )));
        }
        let config =
            SASLConfig::with_credentials(None, self.username.clone(), self.password.clone())
                .map_err(|e| failed(&e))?;
        let name = Mechname::parse(self.mechanism.as_bytes()).map_err(|e| failed(&e))?;
        let mut session = SASLClient::new(config)
            .start_suggested(&[name])
            .map_err(|e| failed(&e))?;
        let mut input: Option<Vec<u8>> = None;
        for corr in 1.. {
            let mut out = Vec::new();
            let state = session
                .step(input.as_deref(), &mut out)
                .map_err(|e| failed(&e))?;
            if state.has_sent_message() {
                let answer: SaslAuthenticateResponse = call(
                    conn,
                    ApiKey::SaslAuthenticate,
                    2,
                    corr,
                    &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(out)),
                )
                .await?;
                if answer.error_code != 0 {
                    let why = answer
                        .error_message
                        .as_ref()
                        .map_or_else(|| format!("error {}", answer.error_code), |m| m.to_string());
                    return Err(FaultError::Login(format!(
                        "the cluster refused {} as {}: {why}; check sasl.username and sasl.password (or sasl.jaas.config)",
                        self.mechanism, self.username
                    )));
                }
                input = Some(answer.auth_bytes.to_vec());
            }
            if state.is_finished() {
                break;
            }
        }
        Ok(())
    }
}

/// One request to the cluster on `conn`, and its response.
async fn call<Q: Encodable, A: Decodable>(
    conn: &mut TcpStream,
    api: ApiKey,
    version: i16,
    corr: i32,
    request: &Q,
) -> Result<A, FaultError> {
    let header = RequestHeader::default()
        .with_request_api_key(api as i16)
        .with_request_api_version(version)
        .with_correlation_id(corr)
        .with_client_id(Some(StrBytes::from_static_str("kprod")));
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    header
        .encode(&mut buf, api.request_header_version(version))
        .map_err(wire)?;
    request.encode(&mut buf, version).map_err(wire)?;
    let size = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    conn.write_all(&buf).await.map_err(io)?;
    let frame = read_frame(conn)
        .await
        .map_err(io)?
        .ok_or(FaultError::Closed)?;
    let mut body = frame.slice(4..);
    ResponseHeader::decode(&mut body, api.response_header_version(version)).map_err(wire)?;
    A::decode(&mut body, version).map_err(wire)
}

/// The partition's leader and replicas, by the cluster's metadata.
fn layout(
    connection: &Connection,
    topic: &str,
    partition: i32,
) -> Result<(i32, Vec<i32>), FaultError> {
    let md = metadata::query(connection).map_err(|e| FaultError::Metadata(e.to_string()))?;
    let t = md
        .topic(topic)
        .ok_or_else(|| FaultError::NoTopic(topic.into()))?;
    let p = t
        .layout
        .iter()
        .find(|p| p.id == partition)
        .ok_or_else(|| FaultError::NoPartition {
            topic: topic.into(),
            partition,
            partitions: t.layout.len(),
        })?;
    Ok((p.leader, p.replicas.clone()))
}

impl Shared {
    fn notice(&self, level: Level, text: String) {
        let _ = self.events.send(Event::Notice { level, text });
    }

    /// Where the producer should find broker `id`, which the cluster says is
    /// at host:port: a listener of the proxy's own, made on first sight.
    async fn route(
        self: &Arc<Self>,
        id: i32,
        host: &str,
        port: i32,
    ) -> std::io::Result<SocketAddr> {
        let upstream = match host.contains(':') {
            true => format!("[{host}]:{port}"),
            false => format!("{host}:{port}"),
        };
        if let Some(node) = lock(&self.nodes).get(&id) {
            *lock(&node.upstream) = upstream;
            return Ok(node.local);
        }
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let local = listener.local_addr()?;
        let mut nodes = lock(&self.nodes);
        // Another connection may have made it meanwhile.
        if let Some(node) = nodes.get(&id) {
            return Ok(node.local);
        }
        let (down, _) = watch::channel(false);
        let node = Arc::new(Node {
            id,
            local,
            upstream: Mutex::new(upstream),
            down,
            slow_ms: AtomicU64::new(0),
            // It finds the node by id once this lock is let go.
            accept: Mutex::new(Some(tokio::spawn(accept_loop(
                listener,
                self.clone(),
                Some(id),
            )))),
            unreachable: Default::default(),
        });
        nodes.insert(id, node);
        Ok(local)
    }

    fn node(&self, id: i32) -> Option<Arc<Node>> {
        lock(&self.nodes).get(&id).cloned()
    }

    /// What to do with a request, and what its response needs.
    fn on_request(&self, node: Option<i32>, frame: &Bytes) -> (Option<(i32, Pending)>, Then) {
        let mut body = frame.slice(4..);
        let Some(header) = request_header(&mut body) else {
            return (None, Then::Forward);
        };
        let Ok(api) = ApiKey::try_from(header.request_api_key) else {
            return (None, Then::Forward);
        };
        let version = header.request_api_version;
        let corr = header.correlation_id;
        let pending = Some((corr, Pending { api, version }));
        if api != ApiKey::Produce {
            return (pending, Then::Forward);
        }
        let Ok(request) = ProduceRequest::decode(&mut body, version) else {
            self.notice(
                Level::Error,
                format!(
                    "proxy: cannot read a produce request (v{version}); passed on without faults"
                ),
            );
            return (pending, Then::Forward);
        };
        let at = broker_name(node);
        let parts = partitions(&request);
        let mut plan = lock(&self.plan);
        if plan.fail > 0 {
            plan.fail -= 1;
            let code = plan.fail_code;
            drop(plan);
            if request.acks == 0 {
                self.notice(
                    Level::Warn,
                    format!("proxy: dropped a produce request to {at} ({parts}): with acks=0 the producer never hears of it and counts its records as sent"),
                );
                return (None, Then::Drop);
            }
            self.notice(
                Level::Warn,
                format!("proxy: answered a produce request to {at} ({parts}) with error {code} in the broker's place"),
            );
            return (None, Then::Answer(failure(&header, &request, code)));
        }
        if request.acks == 0 {
            return (None, Then::Forward);
        }
        (pending, Then::Forward)
    }

    /// Whether this response from broker `node` is an ack the fault loses:
    /// the answer to a produce request the broker appended in full. It is
    /// chosen by the answer, not the request, because losing a refusal
    /// (NOT_LEADER_OR_FOLLOWER while a new topic's leaders settle) is not
    /// a lost ack: the producer would go on sending that partition's later
    /// batches on the stalled connection, the broker, which takes any first
    /// sequence from a producer it has no state for, would append them, and
    /// the refused batch could then never be written
    /// (OUT_OF_ORDER_SEQUENCE_NUMBER, fatal for librdkafka).
    fn loses(&self, node: Option<i32>, p: &Pending, frame: &Bytes) -> bool {
        let Some(id) = node else {
            return false;
        };
        if p.api != ApiKey::Produce || lock(&self.plan).lose.get(&id).is_none_or(|n| *n == 0) {
            return false;
        }
        let mut body = frame.slice(4..);
        let header_version = ApiKey::Produce.response_header_version(p.version);
        if ResponseHeader::decode(&mut body, header_version).is_err() {
            return false;
        }
        let Ok(response) = ProduceResponse::decode(&mut body, p.version) else {
            return false;
        };
        let answers: Vec<_> = response
            .responses
            .iter()
            .flat_map(|t| t.partition_responses.iter().map(move |r| (t, r)))
            .collect();
        if answers.is_empty() || answers.iter().any(|(_, r)| r.error_code != 0) {
            return false;
        }
        let parts: Vec<String> = answers
            .iter()
            .map(|(t, r)| format!("{}-{}", t.name.0.as_str(), r.index))
            .collect();
        {
            let mut plan = lock(&self.plan);
            match plan.lose.get_mut(&id) {
                Some(left) if *left > 0 => *left -= 1,
                _ => return false,
            }
        }
        self.notice(
            Level::Warn,
            format!("proxy: broker {id} appended a produce request ({}) and its response will be dropped: the connection stalls with every later response held behind the lost one, as TCP holds them, until the producer gives up (request.timeout.ms) and closes it; the producer cannot tell whether it was written", parts.join(", ")),
        );
        true
    }

    /// The response to pass on (changed or not), or none; `p` is the
    /// request it answers, when the proxy saw it. Err: a response naming
    /// brokers could not be rewritten, and the connection must end.
    async fn on_response(
        self: &Arc<Self>,
        p: Option<Pending>,
        frame: Bytes,
    ) -> Result<Option<Bytes>, ()> {
        let Some(p) = p else {
            return Ok(Some(frame));
        };
        match p.api {
            ApiKey::Metadata | ApiKey::FindCoordinator | ApiKey::Produce => {}
            _ => return Ok(Some(frame)),
        }
        match self.readdress(&p, frame.clone()).await {
            Ok(Some(changed)) => Ok(Some(changed)),
            Ok(None) => Ok(Some(frame)),
            Err(e) => {
                self.notice(
                    Level::Error,
                    format!("proxy: cannot rewrite a {:?} response (v{}): {e}; the connection is closed so that the producer does not go past the proxy", p.api, p.version),
                );
                Err(())
            }
        }
    }

    /// The response with every broker address pointing at the proxy, or
    /// `None` when it names no broker.
    async fn readdress(
        self: &Arc<Self>,
        p: &Pending,
        frame: Bytes,
    ) -> Result<Option<Bytes>, RewriteError> {
        let header_version = p.api.response_header_version(p.version);
        let mut body = frame.slice(4..);
        let header =
            ResponseHeader::decode(&mut body, header_version).map_err(RewriteError::wire)?;
        let local = |addr: SocketAddr| {
            (
                StrBytes::from_string(addr.ip().to_string()),
                i32::from(addr.port()),
            )
        };
        let route = |id: i32, host: StrBytes, port: i32| {
            let shared = self.clone();
            async move {
                shared
                    .route(id, host.as_str(), port)
                    .await
                    .map(local)
                    .map_err(|e| RewriteError::Listen {
                        id,
                        source: Arc::new(e),
                    })
            }
        };
        let encoded = match p.api {
            ApiKey::Metadata => {
                let mut m =
                    MetadataResponse::decode(&mut body, p.version).map_err(RewriteError::wire)?;
                for b in &mut m.brokers {
                    (b.host, b.port) = route(b.node_id.0, b.host.clone(), b.port).await?;
                }
                encode(&header, header_version, &m, p.version)?
            }
            ApiKey::FindCoordinator => {
                let mut m = FindCoordinatorResponse::decode(&mut body, p.version)
                    .map_err(RewriteError::wire)?;
                if m.node_id.0 >= 0 && !m.host.is_empty() {
                    (m.host, m.port) = route(m.node_id.0, m.host.clone(), m.port).await?;
                }
                for c in &mut m.coordinators {
                    if c.node_id.0 >= 0 {
                        (c.host, c.port) = route(c.node_id.0, c.host.clone(), c.port).await?;
                    }
                }
                encode(&header, header_version, &m, p.version)?
            }
            ApiKey::Produce if p.version >= 10 => {
                let mut m =
                    ProduceResponse::decode(&mut body, p.version).map_err(RewriteError::wire)?;
                if m.node_endpoints.is_empty() {
                    return Ok(None);
                }
                for n in &mut m.node_endpoints {
                    (n.host, n.port) = route(n.node_id.0, n.host.clone(), n.port).await?;
                }
                encode(&header, header_version, &m, p.version)?
            }
            _ => return Ok(None),
        };
        Ok(Some(encoded))
    }
}

/// Why a response naming brokers could not be pointed at the proxy.
#[derive(Debug, Error)]
enum RewriteError {
    /// The protocol library's words: its errors carry no more.
    #[error("{0}")]
    Wire(String),
    #[error("cannot listen for broker {id}: {source}")]
    Listen {
        id: i32,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("response too large")]
    TooLarge,
}

impl RewriteError {
    fn wire(e: impl std::fmt::Display) -> RewriteError {
        RewriteError::Wire(e.to_string())
    }
}

/// What becomes of a request.
enum Then {
    Forward,
    /// Not forwarded; this goes back to the producer instead.
    Answer(Bytes),
    /// Not forwarded, not answered.
    Drop,
}

/// The cluster's brokers as its metadata names them (id, host, port); none
/// if it does not answer within a few seconds.
fn brokers(connection: &Connection) -> Vec<(i32, String, i32)> {
    metadata::query(connection).map_or_else(
        |_| Vec::new(),
        |md| {
            md.brokers
                .into_iter()
                .map(|b| (b.id, b.host, b.port))
                .collect()
        },
    )
}

fn request_header(body: &mut Bytes) -> Option<RequestHeader> {
    if body.len() < 4 {
        return None;
    }
    let api = ApiKey::try_from((&body[0..2]).get_i16()).ok()?;
    let version = (&body[2..4]).get_i16();
    RequestHeader::decode(body, api.request_header_version(version)).ok()
}

fn broker_name(node: Option<i32>) -> String {
    match node {
        Some(id) => format!("broker {id}"),
        None => "the bootstrap broker".into(),
    }
}

/// "topic-0, topic-3" for the partitions a produce request carries.
fn partitions(request: &ProduceRequest) -> String {
    let mut out = Vec::new();
    for t in &request.topic_data {
        for p in &t.partition_data {
            out.push(format!("{}-{}", t.name.0.as_str(), p.index));
        }
    }
    out.join(", ")
}

/// A produce response failing every partition of `request` with `code`.
fn failure(header: &RequestHeader, request: &ProduceRequest, code: i16) -> Bytes {
    let response = ProduceResponse::default().with_responses(
        request
            .topic_data
            .iter()
            .map(|t| {
                TopicProduceResponse::default()
                    .with_name(t.name.clone())
                    .with_topic_id(t.topic_id)
                    .with_partition_responses(
                        t.partition_data
                            .iter()
                            .map(|p| {
                                PartitionProduceResponse::default()
                                    .with_index(p.index)
                                    .with_error_code(code)
                                    .with_base_offset(-1)
                            })
                            .collect(),
                    )
            })
            .collect(),
    );
    let version = header.request_api_version;
    let header_version = ApiKey::Produce.response_header_version(version);
    let header = ResponseHeader::default().with_correlation_id(header.correlation_id);
    // Everything here fits every produce version the broker took.
    encode(&header, header_version, &response, version).unwrap_or_default()
}

/// A response frame: size, header, body.
fn encode<M: Encodable>(
    header: &ResponseHeader,
    header_version: i16,
    message: &M,
    version: i16,
) -> Result<Bytes, RewriteError> {
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    header
        .encode(&mut buf, header_version)
        .map_err(RewriteError::wire)?;
    message
        .encode(&mut buf, version)
        .map_err(RewriteError::wire)?;
    let size = i32::try_from(buf.len() - 4).map_err(|_| RewriteError::TooLarge)?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf.freeze())
}

/// One length-prefixed frame, prefix included; `None` at a clean end.
async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<Option<Bytes>> {
    let mut size = [0u8; 4];
    match r.read_exact(&mut size).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = i32::from_be_bytes(size);
    let n = usize::try_from(n)
        .ok()
        .filter(|n| *n <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad frame size"))?;
    let mut buf = BytesMut::zeroed(4 + n);
    buf[..4].copy_from_slice(&size);
    r.read_exact(&mut buf[4..]).await?;
    Ok(Some(buf.freeze()))
}

/// Takes connections for the bootstrap servers (`node` None) or one broker.
/// Boxed: a connection can name a new broker, which starts a loop of its own.
fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    node: Option<i32>,
) -> futures::future::BoxFuture<'static, ()> {
    Box::pin(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                // Out of file descriptors, say: try again shortly.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let node = node.and_then(|id| shared.node(id));
            if node.as_ref().is_some_and(|n| *n.down.borrow()) {
                // A broker that is down: the connection ends at once.
                drop(client);
                continue;
            }
            tokio::spawn(serve(shared.clone(), node, client));
        }
    })
}

/// Where a connection goes: the node's broker, or the first bootstrap
/// server that answers.
async fn connect(shared: &Shared, node: Option<&Node>) -> Option<TcpStream> {
    let targets = match node {
        Some(n) => vec![lock(&n.upstream).clone()],
        None => shared.upstream.clone(),
    };
    for target in targets {
        if let Ok(Ok(s)) = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&target)).await
        {
            return Some(s);
        }
    }
    None
}

/// Carries one producer connection to its broker and back until either side
/// closes it or its broker is taken down.
async fn serve(shared: Arc<Shared>, node: Option<Arc<Node>>, client: TcpStream) {
    let Some(server) = connect(&shared, node.as_deref()).await else {
        // Said once until it answers again: librdkafka only sees a closed
        // connection, which it blames on its own settings.
        let first = node
            .as_ref()
            .is_none_or(|n| !n.unreachable.swap(true, Ordering::Relaxed));
        if first {
            let who = match &node {
                Some(n) => format!("broker {} at {} does not answer", n.id, lock(&n.upstream)),
                None => format!(
                    "no bootstrap server answers ({})",
                    shared.upstream.join(",")
                ),
            };
            shared.notice(
                Level::Error,
                format!("proxy: {who}: the producer's connection through the proxy is closed"),
            );
        }
        return;
    };
    if let Some(n) = &node {
        n.unreachable.store(false, Ordering::Relaxed);
    }
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, mut client_write) = client.into_split();
    let (server_read, mut server_write) = server.into_split();
    let mut client_read = BufReader::with_capacity(64 << 10, client_read);
    let mut server_read = BufReader::with_capacity(64 << 10, server_read);
    let pending: Mutex<HashMap<i32, Pending>> = Mutex::new(HashMap::new());
    // A lost ack stalls the connection as a lost segment stalls TCP: the
    // broker goes on reading requests and answering them, and nothing it
    // says after the lost response reaches the producer, until the producer
    // gives up on the connection and closes it. Dropping the one response
    // and passing later ones would answer out of order, which no network
    // can do.
    let stalled: Mutex<Option<Instant>> = Mutex::new(None);
    let held = AtomicU64::new(0);
    // Frames for the producer, each not before its time.
    let (to_client, mut for_client) = mpsc::unbounded_channel::<(Instant, Bytes)>();
    let id = node.as_ref().map(|n| n.id);

    // True when the producer closed its side (or it broke), false when the
    // broker would take no more.
    let upward = async {
        while let Ok(Some(frame)) = read_frame(&mut client_read).await {
            let (waits, then) = shared.on_request(id, &frame);
            if let Some((corr, p)) = waits {
                lock(&pending).insert(corr, p);
            }
            match then {
                Then::Forward => {
                    if server_write.write_all(&frame).await.is_err() {
                        return false;
                    }
                }
                // Behind a lost ack this answer would never arrive either.
                Then::Answer(_) if lock(&stalled).is_some() => {
                    held.fetch_add(1, Ordering::Relaxed);
                }
                Then::Answer(reply) => {
                    let _ = to_client.send((Instant::now(), reply));
                }
                Then::Drop => {}
            }
        }
        true
    };
    let downward = async {
        while let Ok(Some(frame)) = read_frame(&mut server_read).await {
            if lock(&stalled).is_some() {
                held.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let due = Instant::now()
                + Duration::from_millis(
                    node.as_ref()
                        .map_or(0, |n| n.slow_ms.load(Ordering::Relaxed)),
                );
            let corr = frame.get(4..8).map(|mut c| c.get_i32());
            let p = corr.and_then(|c| lock(&pending).remove(&c));
            // The broker has appended and answered; the answer is lost.
            if p.as_ref().is_some_and(|p| shared.loses(id, p, &frame)) {
                *lock(&stalled) = Some(Instant::now());
                continue;
            }
            match shared.on_response(p, frame).await {
                Ok(Some(out)) => {
                    let _ = to_client.send((due, out));
                }
                Ok(None) => {}
                // Passed on unchanged, it would lead the producer past the
                // proxy: the connection ends and is made again through it.
                Err(()) => break,
            }
        }
        // The broker is done: what it said goes out first (an empty frame
        // ends the writer), and the connection ends with the writer.
        let _ = to_client.send((Instant::now(), Bytes::new()));
        std::future::pending::<()>().await
    };
    let writer = async {
        while let Some((due, frame)) = for_client.recv().await {
            if frame.is_empty() {
                break;
            }
            tokio::time::sleep_until(due).await;
            if client_write.write_all(&frame).await.is_err() {
                break;
            }
        }
    };
    let taken_down = async {
        match &node {
            Some(n) => {
                let mut down = n.down.subscribe();
                let _ = down.wait_for(|d| *d).await;
            }
            None => std::future::pending().await,
        }
    };
    let producer_closed = tokio::select! {
        closed = upward => closed,
        _ = downward => false,
        _ = writer => false,
        _ = taken_down => false,
    };
    let since = *lock(&stalled);
    if let (Some(since), true) = (since, producer_closed) {
        let held = match held.load(Ordering::Relaxed) {
            0 => "no later response was held behind it".to_string(),
            n => format!("the {n} later response(s) held behind it never reached the producer"),
        };
        shared.notice(
            Level::Info,
            format!(
                "proxy: the producer gave up on its connection to {} {:.1} s after the lost ack and closed it; {held}",
                broker_name(id),
                since.elapsed().as_secs_f64()
            ),
        );
    }
}

impl Injector for Proxy {
    fn inject<'a>(
        &'a self,
        fault: &'a Fault,
        _settings: &'a Settings,
    ) -> futures::future::BoxFuture<'a, Result<String, FaultError>> {
        Box::pin(Proxy::inject(self, fault))
    }
}

/// Why the proxy cannot stand between a producer with these settings and
/// its cluster, if it cannot: it passes PLAINTEXT and SASL_PLAINTEXT
/// through, and cannot read TLS.
pub fn refusal(settings: &Settings) -> Option<ProxyError> {
    let protocol = settings.security_protocol().to_ascii_uppercase();
    matches!(protocol.as_str(), "SSL" | "SASL_SSL").then_some(ProxyError::Tls { protocol })
}
