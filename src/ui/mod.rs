//! The terminal front end: one loop over key presses, engine events and a
//! frame tick; the state changes in `App::update`, the screen in `view::draw`.

pub mod action;
pub mod app;
pub mod keymap;
pub mod terminal;
pub mod theme;
pub mod view;

use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;

use crate::engine::{Engine, EngineConfig};
use app::App;
use theme::Theme;

/// At most this many frames a second, however fast events arrive.
const FPS: f64 = 30.0;
/// Engine events taken in one go before keys get a turn.
const MAX_EVENTS_PER_WAKE: usize = 50_000;

pub async fn run(config: EngineConfig, theme: Theme) -> std::io::Result<()> {
    let mut app = App::new(&config.topic, config.settings.clone());
    let (engine, mut events) = Engine::start(config);
    let mut screen = terminal::Screen::enter()?;
    let mut keys = EventStream::new();
    let mut frame = tokio::time::interval(Duration::from_secs_f64(1.0 / FPS));
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;

    while !app.quit {
        tokio::select! {
            key = keys.next() => match key {
                Some(Ok(TermEvent::Key(k))) => {
                    for command in app.on_key(k) {
                        engine.send(command);
                    }
                    dirty = true;
                }
                Some(Ok(TermEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => break,
            },
            event = events.recv() => match event {
                Some(e) => {
                    app.on_event(e);
                    // Take everything already waiting: one frame shows it all.
                    // Bounded, so a flood of events cannot starve the keys.
                    for _ in 0..MAX_EVENTS_PER_WAKE {
                        match events.try_recv() {
                            Ok(e) => app.on_event(e),
                            Err(_) => break,
                        }
                    }
                    dirty = true;
                }
                None => break,
            },
            _ = frame.tick() => {
                if dirty {
                    screen.terminal.draw(|f| view::draw(f, &app, &theme))?;
                    dirty = false;
                }
            }
        }
    }
    Ok(())
}
