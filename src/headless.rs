//! `kprod produce`: the engine without a screen. Records come from stdin, a
//! file or a template; every engine event goes to stdout as one JSON object,
//! named like kafka-verifiable-producer's where it has the same event.

use std::io::{Read, Write};
use std::process::ExitCode;

use crate::cli::{ProduceArgs, SerializerArg};
use crate::engine::event::TxnState;
use crate::engine::faults::{Scheduled, When};
use crate::engine::record::{parse_headers, Draft, HeaderSyntax};
use crate::engine::requests::Outcome;
use crate::engine::schema::session::Schemas as Session;
use crate::engine::schema::Encoder;
use crate::engine::settings::{shown, SPECS};
use crate::engine::tally::Tally;
use crate::engine::verify::Summary;
use crate::engine::{Command, Engine, EngineConfig, Event, Level};
use crate::lines::Lines;
use crate::output::{Line, Output};

/// At most this many input lines go to the engine in one command.
const FEED_CHUNK: usize = 1024;
/// At most this many events are handled in a row before signals, timed
/// faults and the clock are looked at again.
const DRAIN_MAX: usize = 256;

/// Runs to the end of the input and returns the exit code: 0 when every
/// record was acked and the verifier found nothing lost, 1 otherwise.
pub async fn run(mut config: EngineConfig, args: ProduceArgs) -> ExitCode {
    // `-t payment,order`: every record goes to each topic named, the first
    // one as the record, the others as its copies.
    let named = config.topic.clone();
    let mut also: Vec<String> = named.split(',').map(str::to_string).collect();
    config.topic = also.remove(0);
    let mut seen = std::collections::HashSet::from([config.topic.clone()]);
    also.retain(|t| seen.insert(t.clone()));
    let topics = 1 + also.len() as u64;
    let format = match crate::replay::Input::new(&args.format, &args.property) {
        Ok(crate::replay::Input::Lines(_)) if args.keep_timestamps => {
            eprintln!("kprod: --keep-timestamps: kafka-console-producer's lines carry no timestamp; use --format jsonl or console-consumer");
            return ExitCode::from(2);
        }
        Ok(f) => f,
        Err(e) => {
            eprintln!("kprod: {e}");
            return ExitCode::from(2);
        }
    };
    let keep_timestamps = args.keep_timestamps;
    // A replay sends each record as it was read: the verifier's id header
    // would make the copy differ from the original.
    let replay = !matches!(format, crate::replay::Input::Lines(_));
    let untagged = replay && config.verify;
    if untagged {
        config.verify = false;
    }
    // A framed record carries the schema id of one subject, and the subject
    // names the topic (TopicNameStrategy): copies to other topics would carry
    // an id their subject may not have.
    let framed = |s: &SerializerArg| matches!(s, SerializerArg::Schema { raw: false, .. });
    if !also.is_empty()
        && (framed(&args.serde.key_serializer) || framed(&args.serde.value_serializer))
    {
        eprintln!(
            "kprod: a schema serializer writes the schema id of one topic's subject; name one topic in -t (or use a -raw serializer)"
        );
        return ExitCode::from(2);
    }
    let mut schemas = match Schemas::resolve(&config, &args).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kprod: {e}");
            return ExitCode::from(2);
        }
    };
    // Kept to the end of the run, not only while lines are read.
    let _registry = schemas.session.take();
    let template = match template(&config.topic, &args, &schemas) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kprod: {e}");
            return ExitCode::from(2);
        }
    };
    let source: Box<dyn Read + Send> = match &args.file {
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("kprod: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => Box::new(std::io::stdin()),
    };
    if args.transaction_size.is_some() && config.settings.transactional_id().is_none() {
        eprintln!(
            "kprod: --transaction-size needs a transactional producer: add -X transactional.id=ID"
        );
        return ExitCode::from(2);
    }
    let input = std::io::BufReader::with_capacity(1 << 16, source);
    let verify = config.verify;
    let quiet = args.quiet;
    let topic = config.topic.clone();
    let named_topics = std::iter::once(topic.clone())
        .chain(also.iter().cloned())
        .collect::<Vec<_>>()
        .join(",");
    // In the order the settings pane lists them, then the rest.
    let mut effective = serde_json::Map::new();
    for s in SPECS {
        let value = config.settings.get(s.java).map(|v| shown(s.java, v));
        effective.insert(s.java.into(), value.into());
    }
    for (k, v) in config.settings.extras() {
        effective.insert(k.into(), shown(k, v).into());
    }
    let (engine, events) = Engine::start(config);
    let mut events = engine.inbox(events);
    if let Some(size) = args.transaction_size {
        // The engine counts records: N input records are N per topic, so a
        // record and its copies always share a transaction.
        engine.send(Command::AutoTransactions {
            size: size * topics,
            abort_every: args.abort_every,
        });
    }
    let mut faults = Faults::new(&args.fault);
    let at_start = faults.due(&engine, 0);

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    emit(
        &mut out,
        Output::StartupComplete {
            topic: named_topics,
            settings: effective,
        },
    );
    if untagged {
        emit(
            &mut out,
            Output::Notice {
                level: "info",
                message: "replayed records are sent as they were read: no kprod.id header is added, so they are not read back (the acks are counted)".into(),
            },
        );
    }
    if let Some(message) = schemas.started.take() {
        emit(
            &mut out,
            Output::Notice {
                level: "info",
                message,
            },
        );
    }
    // Faults for the start are made (or refused) before the first record.
    let mut answered = 0;
    // A fault asked for and not made leaves the run short of what it was
    // meant to test: the exit says so.
    let mut faults_missed = false;
    while answered < at_start {
        let Some(event) = events.recv().await else {
            break;
        };
        answered += usize::from(matches!(event, Event::FaultAnswered { .. }));
        faults_missed |= matches!(
            event,
            Event::FaultAnswered {
                refused: Some(_),
                ..
            }
        );
        if let Some(v) = Output::from_event(event) {
            emit(&mut out, v);
        }
    }

    let feeder = engine.clone();
    let (bad_tx, mut bad_rx) = tokio::sync::mpsc::unbounded_channel::<Output>();
    let reader = tokio::task::spawn_blocking(move || -> bool {
        let mut clean = true;
        let mut bad = |v: Output| {
            clean = false;
            let _ = bad_tx.send(v);
        };
        match (args.count, template) {
            (Some(count), Some(draft)) => feeder.send(Command::Burst {
                draft,
                count,
                rate: args.rate,
                also,
            }),
            _ => {
                // Lines go to the engine in chunks: as many as are already
                // read, up to FEED_CHUNK, so a file goes out fast and a line
                // typed at a terminal goes out at once. One chunk is with
                // the engine while the next is read.
                let (taken_tx, taken_rx) = std::sync::mpsc::sync_channel(1);
                let mut outstanding = false;
                let mut feed = |drafts: Vec<Draft>| {
                    if outstanding && taken_rx.recv().is_err() {
                        return;
                    }
                    outstanding = true;
                    feeder.send(Command::Feed {
                        drafts,
                        taken: taken_tx.clone(),
                    });
                };
                let mut chunk = Vec::with_capacity(FEED_CHUNK);
                let mut input = Lines::new(input);
                for number in 1.. {
                    let text = match input.next_line() {
                        Ok(Some(text)) => text,
                        Ok(None) => break,
                        Err(e) => {
                            bad(Output::InputError {
                                line: number,
                                message: e.to_string(),
                            });
                            break;
                        }
                    };
                    match format.parse(text, number).and_then(|l| schemas.encode(l)) {
                        Ok(l) => {
                            let draft = Draft {
                                topic: topic.clone(),
                                key: l.key,
                                value: l.value,
                                key_serializer: args.serde.key_serializer.plain(),
                                value_serializer: args.serde.value_serializer.plain(),
                                headers: l.headers,
                                partition: None,
                                timestamp: l.timestamp.filter(|_| keep_timestamps),
                                key_schema: None,
                                value_schema: None,
                            };
                            for t in &also {
                                chunk.push(Draft {
                                    topic: t.clone(),
                                    ..draft.clone()
                                });
                            }
                            // The record goes first, then its copies.
                            chunk.insert(chunk.len() - also.len(), draft);
                        }
                        // As kafka-console-producer does, the first bad line
                        // ends the input; the lines before it are sent.
                        Err(message) => {
                            bad(Output::InputError {
                                line: number,
                                message,
                            });
                            break;
                        }
                    }
                    if chunk.len() >= FEED_CHUNK || (!input.buffered() && !chunk.is_empty()) {
                        feed(std::mem::replace(
                            &mut chunk,
                            Vec::with_capacity(FEED_CHUNK),
                        ));
                    }
                }
                if !chunk.is_empty() {
                    feed(chunk);
                }
                if outstanding {
                    let _ = taken_rx.recv();
                }
            }
        }
        // Shutdown alone would cut a burst short, as Ctrl-C does in the TUI.
        feeder.send(if verify {
            Command::Verify
        } else {
            Command::Drain
        });
        feeder.send(Command::Shutdown);
        clean
    });

    let mut failed = 0u64;
    let mut fatal = false;
    let mut txn_failed = false;
    // The embedded cluster shows aborted records to read_committed: a
    // report that says so is no failure there.
    let mut embedded = false;
    let mut verdict: Option<Summary> = None;
    let mut tally = Tally::default();
    let mut settled = 0u64;
    let mut signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kprod: cannot watch for signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut signalled: Option<(&str, u8)> = None;
    'run: loop {
        let first = tokio::select! {
            (name, number) = signals.next(), if signalled.is_none() => {
                // As the Java producer's close(timeout): what is in flight
                // gets a bounded time, then every record has a fate.
                emit(&mut out, Output::Signal {
                    signal: name.to_string(),
                    message: format!("{name}: closing; records in flight get {} ms, then fail", CLOSE_TIMEOUT.as_millis()),
                });
                engine.send(Command::Stop);
                engine.send(Command::Close { timeout: CLOSE_TIMEOUT });
                signalled = Some((name, number));
                continue;
            }
            Some(bad) = bad_rx.recv() => {
                emit(&mut out, bad);
                continue;
            }
            _ = faults.next_timer() => {
                faults.due(&engine, settled);
                continue;
            }
            event = events.recv() => match event {
                Some(e) => e,
                None => break 'run,
            },
        };
        // What else is waiting is taken without another select (that cost
        // more than the rest of an event's handling), with the clock read
        // once for all of them.
        let now = now_ms();
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(event) = next.take() {
            match &event {
                Event::Failed { .. } => {
                    failed += 1;
                    settled += 1;
                    faults.due(&engine, settled);
                }
                Event::Acked(_) => {
                    settled += 1;
                    faults.due(&engine, settled);
                }
                Event::Verification(s) if s.complete => verdict = Some(s.clone()),
                Event::Fatal { .. } => fatal = true,
                // A transaction that did not end as asked leaves the run short.
                Event::Transaction(t) if matches!(t.state, TxnState::Failed { .. }) => {
                    txn_failed = true;
                    // The exit code's reason, for a reader of stderr: a
                    // fenced producer can send nothing more.
                    if let TxnState::Failed { error, .. } = &t.state {
                        if t.state.name() == "fenced" {
                            eprintln!(
                                "kprod: transaction {} fenced: another producer with this transactional.id initialised, so this one can send no more ({}: {})",
                                t.number, error.code, error.message
                            );
                        }
                    }
                }
                Event::TxnReady { error: Some(_), .. } => txn_failed = true,
                Event::TxnReadBack(r) if !r.as_promised() && !embedded => txn_failed = true,
                Event::Connected { embedded: e, .. } => embedded = *e,
                Event::FaultAnswered {
                    refused: Some(_), ..
                } => faults_missed = true,
                _ => {}
            }
            if matches!(event, Event::ShutdownComplete { .. }) {
                for never in faults.left() {
                    faults_missed = true;
                    let text = format!("fault never made: {never}");
                    emit(&mut out, Output::notice(Level::Warn, text));
                }
            }
            tally.take(&event, now);
            let done = matches!(event, Event::ShutdownComplete { .. });
            if done {
                if let Some(p) = performance(&tally) {
                    if let Output::Performance { summary, .. } = &p {
                        eprintln!("{summary}");
                    }
                    emit(&mut out, p);
                }
            }
            // --quiet leaves out what happens to every record that went well.
            let routine = match &event {
                Event::Queued { .. } | Event::Acked(_) | Event::Batch(_) => true,
                Event::Request(r) => matches!(r.outcome, Outcome::InFlight | Outcome::Delivered),
                _ => false,
            };
            if !(quiet && routine) {
                if let Some(v) = Output::from_event(event) {
                    emit(&mut out, v);
                }
            }
            if done {
                break 'run;
            }
            taken += 1;
            if taken < DRAIN_MAX {
                next = events.try_recv();
            }
        }
        // Out as soon as nothing else is waiting: a reader at the other end
        // of a pipe sees each event when it happens, not at exit.
        if events.is_empty() {
            let _ = out.flush();
        }
    }
    // After a signal the reader may be waiting on input that never comes:
    // what it read is accounted for, and it is left behind.
    let clean = match signalled {
        Some(_) => false,
        None => reader.await.unwrap_or(false),
    };
    while let Ok(bad) = bad_rx.try_recv() {
        emit(&mut out, bad);
    }
    let _ = out.flush();
    if let Some((_, number)) = signalled {
        // The shell's convention: 128 + the signal's number.
        return ExitCode::from(128 + number);
    }
    let lost = verdict.as_ref().is_some_and(|v| !v.no_loss());
    if failed > 0
        || fatal
        || txn_failed
        || lost
        || faults_missed
        || !clean
        || (verify && verdict.is_none())
    {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// How long records in flight get after a signal, as a Java producer's
/// close(Duration) gives them.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// SIGTERM, SIGINT and SIGHUP, whichever comes first.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal's name and number.
    async fn next(&mut self) -> (&'static str, u8) {
        tokio::select! {
            _ = self.term.recv() => ("SIGTERM", 15),
            _ = self.int.recv() => ("SIGINT", 2),
            _ = self.hup.recv() => ("SIGHUP", 1),
        }
    }
}

/// The run's --fault list: what is still to be made, and when.
struct Faults {
    start: tokio::time::Instant,
    waiting: Vec<Scheduled>,
}

impl Faults {
    fn new(list: &[Scheduled]) -> Faults {
        Faults {
            start: tokio::time::Instant::now(),
            waiting: list.to_vec(),
        }
    }

    /// Makes every fault that is due, in the order given; says how many.
    fn due(&mut self, engine: &Engine, settled: u64) -> usize {
        // Asked after every record: most runs have no fault at all.
        if self.waiting.is_empty() {
            return 0;
        }
        let before = self.waiting.len();
        let elapsed = self.start.elapsed();
        self.waiting.retain(|s| {
            let now = match s.when {
                When::Start => true,
                When::Settled(n) => settled >= n,
                When::After(d) => elapsed >= d,
            };
            if now {
                engine.send(Command::Fault(s.fault.clone()));
            }
            !now
        });
        before - self.waiting.len()
    }

    /// Resolves when the next timed fault is due; never if none is waiting.
    async fn next_timer(&self) {
        let next = self
            .waiting
            .iter()
            .filter_map(|s| match s.when {
                When::After(d) => Some(d),
                _ => None,
            })
            .min();
        // A time past what the clock can count never comes.
        match next.and_then(|d| self.start.checked_add(d)) {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }

    /// What was never made, as the user wrote it.
    fn left(&self) -> Vec<String> {
        self.waiting
            .iter()
            .map(|s| match s.when {
                When::Settled(n) => format!("@{n} {}: fewer records were settled", s.fault),
                _ => format!("{}: the run ended first", s.fault),
            })
            .collect()
    }
}

/// The run's summary as kafka-producer-perf-test prints it, of the records
/// delivered: a failed record has no latency to speak of, and counting it
/// made a failing run look fast.
fn performance(t: &Tally) -> Option<Output> {
    let secs = t.seconds()?;
    let rate = t.records_per_sec();
    let mb = t.mib_per_sec();
    let ms = |us: u64| us as f64 / 1000.0;
    let pct = |q: f64| ms(t.latency_us(q)).round() as u64;
    let avg = t.mean_latency_us() / 1000.0;
    let summary = format!(
        "{} records sent, {rate:.1} records/sec ({mb:.2} MB/sec), {avg:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
        t.acked,
        ms(t.max_latency_us()),
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(0.999)
    );
    Some(Output::Performance {
        records: t.acked,
        failed: t.failed,
        seconds: secs,
        records_per_sec: rate,
        mb_per_sec: mb,
        avg_latency_ms: avg,
        max_latency_ms: ms(t.max_latency_us()),
        p50_ms: ms(t.latency_us(0.5)),
        p95_ms: ms(t.latency_us(0.95)),
        p99_ms: ms(t.latency_us(0.99)),
        p999_ms: ms(t.latency_us(0.999)),
        summary,
    })
}

/// The schema serializers of the key and the value, when asked for.
struct Schemas {
    key: Option<Encoder>,
    value: Option<Encoder>,
    /// The registry kprod serves itself, kept for as long as the run lasts,
    /// and the notice of its start.
    session: Option<Session>,
    started: Option<String>,
}

impl Schemas {
    /// Each side's schema, from the registry or a file, before anything is
    /// sent: a registry that refuses or cannot be reached ends the run here.
    async fn resolve(config: &EngineConfig, args: &ProduceArgs) -> Result<Schemas, String> {
        let mut session = Session::new(
            config.settings.extras(),
            args.serde.schema_registry.as_deref(),
            config.bootstrap.is_none(),
        )
        .map_err(crate::words::error)?;
        let mut started = None;
        let asks = args.serde.asks()?;
        let mut found = [None, None];
        for (i, (flag, ask)) in asks.into_iter().enumerate() {
            let Some(ask) = ask else { continue };
            let (encoder, notice) = session
                .resolve(&ask, &config.topic, i == 0)
                .await
                .map_err(|e| format!("{flag}-schema {}: {}", ask.source, crate::words::error(e)))?;
            started = started.or(notice);
            found[i] = Some(encoder);
        }
        let [key, value] = found;
        Ok(Schemas {
            key,
            value,
            session: Some(session),
            started,
        })
    }

    /// A line's key and value as their schemas write them; a null (no key,
    /// a tombstone) stays null, as the Java serializers leave it.
    fn encode(&self, mut line: crate::lines::Line) -> Result<crate::lines::Line, String> {
        let apply = |encoder: &Option<Encoder>, bytes: &mut Option<Vec<u8>>, what: &str| {
            if let (Some(e), Some(b)) = (encoder, bytes.as_mut()) {
                *b = e.encode(b).map_err(|err| {
                    format!(
                        "{what} does not fit the schema: {}",
                        crate::words::error(err)
                    )
                })?;
            }
            Ok::<(), String>(())
        };
        apply(&self.key, &mut line.key, "the key")?;
        apply(&self.value, &mut line.value, "the value")?;
        Ok(line)
    }
}

/// The record `--count` repeats, if asked for.
fn template(topic: &str, args: &ProduceArgs, schemas: &Schemas) -> Result<Option<Draft>, String> {
    if args.count.is_none() {
        return Ok(None);
    }
    let mut headers = Vec::new();
    for h in &args.header {
        headers.extend(
            // A flag's header needs its value spelt out.
            parse_headers(
                h,
                &HeaderSyntax {
                    bare_name_is_null: false,
                    ..HeaderSyntax::LINES
                },
            )
            .map_err(|e| format!("--header {h}: {}", crate::words::error(e)))?,
        );
    }
    let draft = Draft {
        topic: topic.to_string(),
        key: args.key.as_ref().map(|k| k.as_bytes().to_vec()),
        value: Some(args.value.as_bytes().to_vec()),
        key_serializer: args.serde.key_serializer.plain(),
        value_serializer: args.serde.value_serializer.plain(),
        headers,
        partition: None,
        timestamp: None,
        key_schema: schemas.key.clone(),
        value_schema: schemas.value.clone(),
    };
    draft.filler().map_err(crate::words::error)?;
    Ok(Some(draft))
}

fn emit(out: &mut impl Write, event: Output) {
    let line = Line {
        event,
        timestamp: now_ms(),
    };
    // stdout closed (a pipe into `head`): nothing left to tell.
    if serde_json::to_writer(&mut *out, &line).is_ok() {
        let _ = out.write_all(b"\n");
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
