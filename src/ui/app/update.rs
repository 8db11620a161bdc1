//! The one way the console's state changes: a message and the time it came
//! in, effects out. Nothing here does I/O or reads the clock, so tests can
//! drive it with any time they like.

use std::time::Instant;

use super::{App, Effect, Msg};

pub fn update(app: &mut App, msg: Msg, now: Instant) -> Vec<Effect> {
    // Time never runs back, whatever a caller passes.
    app.now = app.now.max(now);
    match msg {
        Msg::Key(key) => app.key(key),
        Msg::Paste(text) => {
            app.paste(&text);
            Vec::new()
        }
        Msg::Action(action) => app.act(action),
        Msg::Engine(event) => {
            app.event(event);
            Vec::new()
        }
        Msg::FileRead { path, result } => {
            app.rules_read(path, result);
            Vec::new()
        }
        Msg::FileWritten { path, result } => app.rules_written(path, result),
    }
}
