//! The terminal front end: one loop over key presses, engine events and a
//! frame tick; the state changes in `App::update`, the screen in `view::draw`.

pub mod action;
pub mod app;
pub mod keymap;
pub mod terminal;
pub mod theme;
pub mod view;

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;

use crate::engine::{Engine, EngineConfig};
use app::App;
use theme::Theme;

/// At most this many frames a second, however fast events arrive.
const FPS: f64 = 30.0;
/// How long engine events may be taken in one go before keys and frames
/// get a turn: a flood of acks never holds a key press up for long.
const EVENT_BUDGET: Duration = Duration::from_millis(4);
/// A key press is drawn at once unless a frame went out this recently.
const KEY_FRAME_GAP: Duration = Duration::from_millis(8);

pub async fn run(
    config: EngineConfig,
    theme: Theme,
    stats: Option<&std::path::Path>,
) -> std::io::Result<()> {
    let mut app = App::new(&config.topic, config.settings.clone());
    let (engine, events) = Engine::start(config);
    let mut events = engine.inbox(events);
    let mut screen = terminal::Screen::enter()?;
    let mut keys = EventStream::new();
    let mut frame = tokio::time::interval(Duration::from_secs_f64(1.0 / FPS));
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut figures = Figures::new();
    let mut last_drawn = Instant::now();
    // When a key press that came too soon after a frame is drawn.
    let mut key_due: Option<tokio::time::Instant> = None;

    while !app.quit {
        // What a key changed is drawn at once, not at the next tick.
        let mut now = false;
        tokio::select! {
            key = keys.next() => match key {
                Some(Ok(TermEvent::Key(k))) => {
                    figures.key.get_or_insert_with(Instant::now);
                    for command in app.on_key(k) {
                        engine.send(command);
                    }
                    dirty = true;
                    // A paste arrives as many keys: not a frame each, but
                    // one as soon as the gap allows.
                    now = last_drawn.elapsed() >= KEY_FRAME_GAP;
                    if !now {
                        key_due.get_or_insert((last_drawn + KEY_FRAME_GAP).into());
                    }
                }
                Some(Ok(TermEvent::Paste(text))) => {
                    figures.key.get_or_insert_with(Instant::now);
                    app.on_paste(&text);
                    dirty = true;
                    now = last_drawn.elapsed() >= KEY_FRAME_GAP;
                    if !now {
                        key_due.get_or_insert((last_drawn + KEY_FRAME_GAP).into());
                    }
                }
                Some(Ok(TermEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => break,
            },
            event = events.recv() => match event {
                Some(e) => {
                    app.on_event(e);
                    // Take what is already waiting, so one frame shows it
                    // all, for as long as the budget allows.
                    let began = Instant::now();
                    'drain: while began.elapsed() < EVENT_BUDGET {
                        for _ in 0..256 {
                            match events.try_recv() {
                                Some(e) => app.on_event(e),
                                None => break 'drain,
                            }
                        }
                    }
                    dirty = true;
                }
                None => break,
            },
            _ = frame.tick() => now = dirty,
            _ = tokio::time::sleep_until(key_due.unwrap_or_else(tokio::time::Instant::now)), if key_due.is_some() => now = dirty,
        }
        if now {
            key_due = None;
            last_drawn = Instant::now();
            screen.terminal.draw(|f| view::draw(f, &app, &theme))?;
            figures.drawn(last_drawn);
            dirty = false;
        }
    }
    drop(screen);
    if let Some(path) = stats {
        std::fs::write(path, figures.to_json(&app).to_string())?;
    }
    Ok(())
}

/// The screen's own figures, for the benchmark: how long frames take to
/// draw, and how long from a key press to the frame that shows it.
struct Figures {
    frame: Histogram<u64>,
    key_to_screen: Histogram<u64>,
    /// When the oldest key press not yet on screen arrived.
    key: Option<Instant>,
}

impl Figures {
    fn new() -> Figures {
        let h = || Histogram::new(3).expect("3 significant figures is valid");
        Figures {
            frame: h(),
            key_to_screen: h(),
            key: None,
        }
    }

    fn drawn(&mut self, began: Instant) {
        let _ = self.frame.record(began.elapsed().as_micros() as u64);
        if let Some(k) = self.key.take() {
            let _ = self.key_to_screen.record(k.elapsed().as_micros() as u64);
        }
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
            let secs = f.active().as_secs_f64();
            serde_json::json!({"records": done, "target": f.target, "seconds": secs,
                "records_per_sec": done as f64 / secs.max(1e-6)})
        });
        serde_json::json!({"frame": ms(&self.frame), "key_to_screen": ms(&self.key_to_screen),
            "burst": burst, "acked": app.totals.acked})
    }
}
