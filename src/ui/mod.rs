//! The terminal front end: one loop over key presses, engine events and a
//! frame tick. The state changes in `app::update`, which returns effects
//! that the runner here performs; the screen is drawn by `view::draw`.

pub mod action;
pub mod app;
pub mod file;
pub mod keymap;
pub mod terminal;
pub mod theme;
pub mod view;

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use hdrhistogram::Histogram;

use crossterm::event::{Event as TermEvent, EventStream, KeyEvent};
use futures::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::time::Instant;

use crate::engine::{Command, Engine, EngineConfig, Event, Inbox};
use action::Action;
use app::{App, Effect, Msg};
use theme::Theme;

/// At most this many frames a second, however fast events arrive.
const FPS: f64 = 30.0;
/// How long engine events may be taken in one go before keys and frames
/// get a turn: a flood of acks never holds a key press up for long.
const EVENT_BUDGET: Duration = Duration::from_millis(4);
/// A key press is drawn at once unless a frame went out this recently.
pub const KEY_FRAME_GAP: Duration = Duration::from_millis(8);

/// How long records in flight get after a signal, as a Java producer's
/// close(Duration) gives them.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Makes the engine's configuration for a profile picked in the console,
/// with the command line's layers over it as at start; may ask for the
/// profile's secrets on the terminal.
pub type Reconnect<'a> = &'a dyn Fn(&str) -> Result<(EngineConfig, crate::cli::Origins), String>;

/// Runs the console until the user quits or a signal ends it; the signal's
/// number, if one did. A profile picked in the console closes the engine
/// and starts another with the configuration `reconnect` makes.
pub async fn run(
    config: EngineConfig,
    mut theme: Theme,
    stats: Option<&std::path::Path>,
    origins: crate::cli::Origins,
    serde: &crate::cli::SerdeArgs,
    reconnect: Reconnect<'_>,
) -> std::io::Result<Option<i32>> {
    // `-t payment,order`: records go to every topic named, the first the
    // one the panes show.
    let mut config = config;
    let named: Vec<String> = config.topic.split(',').map(str::to_string).collect();
    config.topic = named[0].clone();
    let also: Vec<String> = named[1..]
        .iter()
        .filter(|t| **t != config.topic)
        .cloned()
        .collect();
    let mut app = App::new(&config.topic, config.settings.clone());
    app.also = also.clone();
    app.origins = origins;
    app.themes = theme::names();
    // The composer starts with the serializers the command line gave.
    app.key.serializer = serde.key_serializer.plain();
    app.value.serializer = serde.value_serializer.plain();
    let asks = serde.asks().unwrap_or_default();
    let embedded = config.bootstrap.is_none();
    let (engine, events) = Engine::start(config);
    for (i, (_, ask)) in asks.into_iter().enumerate() {
        if let Some(ask) = ask {
            engine.send(app.ask_schema(i == 0, ask));
        }
    }
    // The embedded cluster has only the topic it started with; a real
    // cluster creates a topic on its first record, or has it.
    if embedded {
        for name in also {
            engine.send(crate::engine::Command::CreateTopic(
                crate::engine::NewTopic {
                    name,
                    partitions: crate::engine::cluster::EMBEDDED_PARTITIONS,
                    replication: 3,
                    min_insync_replicas: None,
                },
            ));
        }
    }
    // One journal for the whole run, across profile switches.
    let (journal, history_error) = match crate::journal::Journal::start(crate::history::dir()) {
        Ok((j, e)) => (Some(j), e),
        Err(e) => (
            None,
            Some(format!(
                "no export and no history this run: the temporary directory refused the journal ({e})"
            )),
        ),
    };
    if let Some(text) = history_error {
        settle(
            &mut app,
            Msg::Engine(Event::Notice {
                level: crate::engine::Level::Warn,
                text,
            }),
            &mut |c| engine.send(c),
        );
    }
    let mut events = Journaled {
        inner: engine.inbox(events),
        journal,
    };
    settle(&mut app, Msg::ProfilesRead(profiles_on_disk()), &mut |c| {
        engine.send(c)
    });
    // The engine the signals close: the one running now.
    let current = std::sync::Arc::new(std::sync::Mutex::new(engine));
    // SIGTERM, SIGHUP (the terminal closed) and a SIGINT from outside (the
    // screen reads Ctrl-C as a key) close the engine in bounded time; its
    // ShutdownComplete then ends the loop, and the screen is restored.
    let signalled = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (current, signalled) = (current.clone(), signalled.clone());
        let mut term = signal(SignalKind::terminate())?;
        let mut hup = signal(SignalKind::hangup())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::spawn(async move {
            let number = tokio::select! {
                _ = term.recv() => 15,
                _ = hup.recv() => 1,
                _ = int.recv() => 2,
            };
            signalled.store(number, std::sync::atomic::Ordering::Relaxed);
            lock(&current).send(Command::Close {
                timeout: CLOSE_TIMEOUT,
            });
        });
    }
    let mut screen = terminal::Screen::enter()?;
    // Tests prove that a panic in any task, with the screen up, still ends
    // kprod with the terminal restored and a non-zero exit; release builds
    // have no such door.
    #[cfg(debug_assertions)]
    if std::env::var_os("KPROD_TEST_PANIC_IN_TASK").is_some() {
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            panic!("a panic asked for by KPROD_TEST_PANIC_IN_TASK");
        });
    }
    let figures = loop {
        let engine = lock(&current).clone();
        let mut figures = run_loop(
            &mut screen.terminal,
            EventStream::new(),
            &mut events,
            |c| engine.send(c),
            &mut app,
            &mut theme,
            |_| terminal::suspend(),
        )
        .await?;
        let Some(name) = figures.switch.take() else {
            break figures;
        };
        // A secret the profile asks for is typed with the screen put away.
        let asks = app.profiles.get(&name).is_some_and(|p| {
            p.secrets
                .values()
                .any(|s| matches!(s, crate::profile::Secret::Ask(_)))
        });
        let made = match asks {
            true => terminal::outside(|| reconnect(&name))?,
            false => reconnect(&name),
        };
        screen.terminal.clear()?;
        let (config, origins) = match made {
            Ok(made) => made,
            Err(why) => {
                settle(&mut app, Msg::ProfileSwitched(why), &mut |c| engine.send(c));
                continue;
            }
        };
        // The old connection ends first: its records in flight get their
        // bounded time, as at quit.
        engine.send(Command::Close {
            timeout: CLOSE_TIMEOUT,
        });
        let _ = tokio::time::timeout(CLOSE_TIMEOUT * 2, async {
            while let Some(e) = events.recv().await {
                if matches!(e, Event::ShutdownComplete { .. }) {
                    break;
                }
            }
        })
        .await;
        let mut next = App::new(&config.topic, config.settings.clone());
        next.origins = origins;
        next.themes = std::mem::take(&mut app.themes);
        next.profiles = std::mem::take(&mut app.profiles);
        next.log = std::mem::replace(&mut app.log, next.log);
        next.key.serializer = app.key.serializer;
        next.value.serializer = app.value.serializer;
        // The schemas are found again: the new connection may have another
        // registry.
        let asks = [
            app.key.schema.take().map(|s| s.ask),
            app.value.schema.take().map(|s| s.ask),
        ];
        app = next;
        let (engine, fresh) = Engine::start(config);
        for (i, ask) in asks.into_iter().enumerate() {
            if let Some(ask) = ask {
                engine.send(app.ask_schema(i == 0, ask));
            }
        }
        events.inner = engine.inbox(fresh);
        *lock(&current) = engine;
    };
    drop(screen);
    if let Some(path) = stats {
        std::fs::write(path, figures.to_json(&app).to_string())?;
    }
    let signal = signalled.load(std::sync::atomic::Ordering::Relaxed);
    if signal != 0 {
        eprintln!(
            "kprod: closed by signal {signal}: sent {}, acked {}, failed {}",
            app.totals.sent, app.totals.acked, app.totals.failed
        );
    }
    Ok((signal != 0).then_some(signal))
}

/// The profiles in profiles.toml, for the picker, or why they cannot be
/// read.
fn profiles_on_disk() -> Result<std::collections::BTreeMap<String, crate::profile::Profile>, String>
{
    match crate::profile::default_path() {
        Some(path) => crate::profile::load(&path).map_err(|e| e.to_string()),
        None => Ok(Default::default()),
    }
}

/// The engine in the mutex, whether or not a holder panicked.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Effect::SaveProfile, done: the profile written into profiles.toml in
/// place of `replacing`, and every profile the file then holds.
fn save_profile(
    name: String,
    profile: crate::profile::Profile,
    replacing: Option<String>,
) -> Result<
    (
        String,
        std::collections::BTreeMap<String, crate::profile::Profile>,
    ),
    String,
> {
    let path = crate::profile::default_path().ok_or("no config directory to keep profiles in")?;
    let mut all = crate::profile::load(&path).map_err(|e| e.to_string())?;
    if let Some(old) = replacing.filter(|old| *old != name) {
        all.remove(&old);
    }
    all.insert(name.clone(), profile);
    crate::profile::save(&path, &all).map_err(|e| e.to_string())?;
    Ok((name, all))
}

/// Where the loop takes engine events from: the engine's inbox, or in tests
/// any channel.
pub trait Events {
    /// The next event; None once the engine is gone. Must be cancel-safe.
    fn recv(&mut self) -> impl Future<Output = Option<Event>>;
    /// An event already waiting, if any.
    fn try_recv(&mut self) -> Option<Event>;
    /// Every event so far written to `to` as `kprod produce` prints them,
    /// `summary` last; None where the events are not kept.
    fn export(
        &mut self,
        _to: &std::path::Path,
        _summary: Option<&crate::engine::verify::Summary>,
    ) -> Option<std::io::Result<u64>> {
        None
    }
}

/// An event source whose events are also kept in a journal, for export.
pub struct Journaled<E> {
    inner: E,
    journal: Option<crate::journal::Journal>,
}

impl<E: Events> Events for Journaled<E> {
    async fn recv(&mut self) -> Option<Event> {
        if let Some(text) = self.journal.as_ref().and_then(|j| j.history_failure()) {
            return Some(Event::Notice {
                level: crate::engine::Level::Warn,
                text,
            });
        }
        let e = self.inner.recv().await;
        if let (Some(j), Some(e)) = (&self.journal, &e) {
            j.record(e);
        }
        e
    }
    fn try_recv(&mut self) -> Option<Event> {
        let e = self.inner.try_recv();
        if let (Some(j), Some(e)) = (&self.journal, &e) {
            j.record(e);
        }
        e
    }
    fn export(
        &mut self,
        to: &std::path::Path,
        summary: Option<&crate::engine::verify::Summary>,
    ) -> Option<std::io::Result<u64>> {
        Some(match &self.journal {
            Some(j) => j.export(to, summary),
            None => Err(std::io::Error::other(
                "no journal: it could not be made in the temporary directory at start",
            )),
        })
    }
}

impl Events for Inbox {
    async fn recv(&mut self) -> Option<Event> {
        Inbox::recv(self).await
    }
    fn try_recv(&mut self) -> Option<Event> {
        Inbox::try_recv(self)
    }
}

impl Events for tokio::sync::mpsc::UnboundedReceiver<Event> {
    async fn recv(&mut self) -> Option<Event> {
        tokio::sync::mpsc::UnboundedReceiver::recv(self).await
    }
    fn try_recv(&mut self) -> Option<Event> {
        tokio::sync::mpsc::UnboundedReceiver::try_recv(self).ok()
    }
}

/// The console's main loop over any terminal event stream, engine event
/// source and backend, until the app quits or either source ends. Time is
/// tokio's, so under a paused clock it runs as fast as the test can go.
pub async fn run_loop<B, K, E>(
    terminal: &mut Terminal<B>,
    mut keys: K,
    events: &mut E,
    mut send: impl FnMut(Command),
    app: &mut App,
    theme: &mut Theme,
    mut suspend: impl FnMut(&mut Terminal<B>) -> std::io::Result<()>,
) -> std::io::Result<Figures>
where
    B: Backend,
    K: Stream<Item = std::io::Result<TermEvent>> + Unpin,
    E: Events,
{
    let mut frame = tokio::time::interval(Duration::from_secs_f64(1.0 / FPS));
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut figures = Figures::new();
    let mut last_drawn = Instant::now();
    // When a key press that came too soon after a frame is drawn.
    let mut key_due: Option<Instant> = None;
    // Messages `update` asked to be given back later, and when; and a
    // suspension asked for.
    let mut timers: Vec<Later> = Vec::new();

    while !app.quit {
        // What a key changed is drawn at once, not at the next tick.
        let mut now = false;
        tokio::select! {
            key = keys.next() => {
                let msg = match key {
                    Some(Ok(TermEvent::Key(k))) => Some(Msg::Key(k)),
                    Some(Ok(TermEvent::Paste(text))) => Some(Msg::Paste(text)),
                    Some(Ok(TermEvent::Resize(..))) => {
                        dirty = true;
                        None
                    }
                    Some(Ok(_)) => None,
                    Some(Err(e)) => return Err(e),
                    None => break,
                };
                if let Some(msg) = msg {
                    figures.key.get_or_insert_with(Instant::now);
                    timers.extend(settle(app, msg, &mut send));
                    dirty = true;
                    // A paste arrives as many keys: not a frame each, but
                    // one as soon as the gap allows.
                    now = last_drawn.elapsed() >= KEY_FRAME_GAP;
                    if !now {
                        key_due.get_or_insert(last_drawn + KEY_FRAME_GAP);
                    }
                }
            }
            event = events.recv() => match event {
                Some(e) => {
                    timers.extend(settle(app, Msg::Engine(e), &mut send));
                    // Take what is already waiting, so one frame shows it
                    // all, for as long as the budget allows.
                    let began = Instant::now();
                    'drain: while began.elapsed() < EVENT_BUDGET {
                        for _ in 0..256 {
                            match events.try_recv() {
                                Some(e) => timers.extend(settle(app, Msg::Engine(e), &mut send)),
                                None => break 'drain,
                            }
                        }
                    }
                    dirty = true;
                }
                None => break,
            },
            _ = tokio::time::sleep_until(first_due(&timers)), if !timers.is_empty() => {
                let at = Instant::now();
                let (due, later): (Vec<_>, Vec<_>) =
                    timers.drain(..).partition(|l| matches!(l, Later::Timer(t, _) if *t <= at));
                timers = later;
                for l in due {
                    if let Later::Timer(_, msg) = l {
                        timers.extend(settle(app, *msg, &mut send));
                    }
                }
                dirty = true;
            }
            _ = frame.tick() => now = dirty,
            _ = tokio::time::sleep_until(key_due.unwrap_or_else(Instant::now)), if key_due.is_some() => now = dirty,
        }
        if let Some(i) = timers.iter().position(|l| matches!(l, Later::Theme(_))) {
            if let Later::Theme(name) = timers.remove(i) {
                // Read as --theme reads it: a built-in, the user's, a file.
                let answer = match Theme::choose(Some(&name)) {
                    Ok(t) => {
                        *theme = t;
                        Ok(name)
                    }
                    Err(e) => Err(e),
                };
                timers.extend(settle(app, Msg::ThemeChosen(answer), &mut send));
                now = true;
            }
        }
        if let Some(i) = timers.iter().position(|l| matches!(l, Later::Switch(_))) {
            if let Later::Switch(name) = timers.remove(i) {
                // The runner closes this engine and starts the next.
                figures.switch = Some(name);
                return Ok(figures);
            }
        }
        if let Some(i) = timers.iter().position(|l| matches!(l, Later::Export(_))) {
            if let Later::Export(path) = timers.remove(i) {
                let result = events.export(&path, app.verification.as_ref());
                timers.extend(settle(app, Msg::Exported { path, result }, &mut send));
                now = true;
            }
        }
        if let Some(i) = timers.iter().position(|l| matches!(l, Later::Suspend)) {
            timers.remove(i);
            suspend(terminal)?;
            // The shell drew over the screen: every cell is drawn anew.
            terminal.clear()?;
            now = true;
        }
        if now {
            key_due = None;
            last_drawn = Instant::now();
            terminal.draw(|f| view::draw(f, app, theme))?;
            figures.drawn(last_drawn);
            dirty = false;
        }
    }
    Ok(figures)
}

/// What `settle` leaves for the loop: a message for later, or a
/// suspension, which needs the terminal.
pub enum Later {
    Timer(Instant, Box<Msg>),
    Suspend,
    /// Draw with another theme, which the loop holds.
    Theme(String),
    /// Connect with this profile: the loop ends for the runner to do it.
    Switch(String),
    /// Write the run's events here; the loop holds them.
    Export(std::path::PathBuf),
}

/// The earliest time a timer is due.
fn first_due(timers: &[Later]) -> Instant {
    timers
        .iter()
        .filter_map(|l| match l {
            Later::Timer(at, _) => Some(*at),
            Later::Suspend | Later::Theme(_) | Later::Switch(_) | Later::Export(_) => None,
        })
        .min()
        .unwrap_or_else(Instant::now)
}

/// Runs a message through `update` at the present time and performs the
/// effects it returns, feeding their answers back, until none is left.
/// Engine commands go to `send`; the timers asked for are handed back, for
/// the caller to wait on.
pub fn settle(app: &mut App, msg: Msg, send: &mut impl FnMut(Command)) -> Vec<Later> {
    let now = Instant::now().into_std();
    let mut queue = VecDeque::from([msg]);
    let mut timers = Vec::new();
    while let Some(msg) = queue.pop_front() {
        for effect in app::update(app, msg, now) {
            match effect {
                Effect::Timer { at, msg } => {
                    timers.push(Later::Timer(Instant::from_std(at), Box::new(msg)))
                }
                Effect::Suspend => timers.push(Later::Suspend),
                Effect::Theme(name) => timers.push(Later::Theme(name)),
                Effect::SwitchProfile(name) => timers.push(Later::Switch(name)),
                Effect::Export(path) => timers.push(Later::Export(path)),
                Effect::SaveProfile {
                    name,
                    profile,
                    replacing,
                } => queue.push_back(Msg::ProfileSaved(save_profile(name, profile, replacing))),
                Effect::Engine(c) => send(c),
                Effect::ReadHistory(dir) => {
                    queue.push_back(Msg::HistoryRead(crate::history::read(&dir)));
                }
                Effect::ReadRecords(spec) => {
                    let result = crate::recordfile::read(&spec);
                    queue.push_back(Msg::RecordsRead { spec, result });
                }
                Effect::ListTemplates => {
                    let dir = crate::templates::dir();
                    queue.push_back(Msg::TemplatesListed(crate::templates::list(dir.as_deref())));
                }
                Effect::ReadFile { path } => {
                    let result = std::fs::read_to_string(&path);
                    queue.push_back(Msg::FileRead { path, result });
                }
                Effect::WriteFile { path, text } => {
                    let result = path
                        .parent()
                        .map_or(Ok(()), std::fs::create_dir_all)
                        .and_then(|_| std::fs::write(&path, &text));
                    queue.push_back(Msg::FileWritten { path, result });
                }
                Effect::ReadBytes { field, path } => {
                    let result = file::read_file(&path);
                    queue.push_back(Msg::BytesRead {
                        field,
                        path,
                        result,
                    });
                }
            }
        }
    }
    timers
}

/// The console driven a message at a time, the runner's effects done at
/// once and the engine's commands handed back: for callers that hold the
/// engine themselves, as tests do. Timers are left unset: such a caller
/// has no loop to wait on them.
impl App {
    pub fn handle(&mut self, msg: Msg) -> Vec<Command> {
        let mut commands = Vec::new();
        let _ = settle(self, msg, &mut |c| commands.push(c));
        commands
    }

    /// A key press from the terminal.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        self.handle(Msg::Key(key))
    }

    /// Text the terminal says was pasted (bracketed paste): it goes whole
    /// into the field, prompt or editor that typed keys would go to, in one
    /// step rather than a key press a character.
    pub fn on_paste(&mut self, text: &str) {
        // Pasting sends nothing: it only edits.
        let _ = self.handle(Msg::Paste(text.to_string()));
    }

    /// An engine event.
    pub fn on_event(&mut self, event: Event) {
        let _ = self.handle(Msg::Engine(event));
    }

    /// Everything an action does to the state, and the commands it sends.
    pub fn update(&mut self, action: Action) -> Vec<Command> {
        self.handle(Msg::Action(action))
    }
}

/// The screen's own figures, for the benchmark: how long frames take to
/// draw, and how long from a key press to the frame that shows it.
pub struct Figures {
    frame: Histogram<u64>,
    key_to_screen: Histogram<u64>,
    /// When the oldest key press not yet on screen arrived.
    key: Option<Instant>,
    /// The profile the user switched to, when that ended the loop.
    pub switch: Option<String>,
}

impl Figures {
    fn new() -> Figures {
        let h = || Histogram::new(3).expect("3 significant figures is valid");
        Figures {
            frame: h(),
            key_to_screen: h(),
            key: None,
            switch: None,
        }
    }

    fn drawn(&mut self, began: Instant) {
        let _ = self.frame.record(began.elapsed().as_micros() as u64);
        if let Some(k) = self.key.take() {
            let _ = self.key_to_screen.record(k.elapsed().as_micros() as u64);
        }
    }

    /// Frames drawn.
    pub fn frames(&self) -> u64 {
        self.frame.len()
    }

    /// Frames that showed key presses, and the longest a key press waited
    /// for one, in microseconds (the low end of the histogram's bucket).
    pub fn key_frames(&self) -> (u64, u64) {
        let h = &self.key_to_screen;
        (h.len(), h.lowest_equivalent(h.max()))
    }

    fn to_json(&self, app: &App) -> serde_json::Value {
        let ms = |h: &Histogram<u64>| {
            serde_json::json!({
                "count": h.len(),
                "p50_ms": h.value_at_quantile(0.5) as f64 / 1000.0,
                "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0,
                "max_ms": h.max() as f64 / 1000.0,
            })
        };
        let burst = app.flow.as_ref().map(|f| {
            let done = f.done(&app.totals);
            let secs = f.active(Instant::now().into_std()).as_secs_f64();
            serde_json::json!({"records": done, "target": f.target, "seconds": secs,
                "records_per_sec": done as f64 / secs.max(1e-6)})
        });
        serde_json::json!({"frame": ms(&self.frame), "key_to_screen": ms(&self.key_to_screen),
            "burst": burst, "acked": app.totals.acked})
    }
}
