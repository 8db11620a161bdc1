//! The console as a user sees it, without a real terminal: key presses go
//! through the keymap and App::update, commands to a real engine, and the
//! screen is drawn on ratatui's TestBackend.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kprod::engine::settings::Settings;
use kprod::engine::{Engine, Event};
use kprod::ui::app::App;
use kprod::ui::theme::Theme;
use kprod::ui::view;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::UnboundedReceiver;

/// The console as a user sees it, without a real terminal.
pub struct Console {
    pub app: App,
    pub engine: Engine,
    pub events: UnboundedReceiver<Event>,
    pub terminal: Terminal<TestBackend>,
    pub theme: Theme,
}

impl Console {
    pub async fn start(width: u16, height: u16) -> Console {
        Console::start_with(width, height, Settings::default()).await
    }

    pub async fn start_with(width: u16, height: u16, settings: Settings) -> Console {
        let (engine, events) = super::embedded("demo", settings.clone());
        Console::attach(width, height, "demo", settings, engine, events).await
    }

    /// The console on an engine already started (a real cluster, say).
    pub async fn attach(
        width: u16,
        height: u16,
        topic: &str,
        settings: Settings,
        engine: Engine,
        events: UnboundedReceiver<Event>,
    ) -> Console {
        let mut c = Console {
            app: App::new(topic, settings),
            engine,
            events,
            terminal: Terminal::new(TestBackend::new(width, height)).unwrap(),
            theme: Theme::built_in(),
        };
        c.pump_until(|e| matches!(e, Event::Topics(_))).await;
        c
    }

    pub fn key(&mut self, code: KeyCode, mods: KeyModifiers) {
        for command in self.app.on_key(KeyEvent::new(code, mods)) {
            self.engine.send(command);
        }
    }

    pub fn press(&mut self, code: KeyCode) {
        self.key(code, KeyModifiers::NONE);
    }

    pub fn ctrl(&mut self, c: char) {
        self.key(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Feeds engine events to the app until one matches.
    pub async fn pump_until(&mut self, done: impl FnMut(&Event) -> bool) {
        for e in super::events_until(&mut self.events, done).await {
            self.app.on_event(e);
        }
    }

    /// Feeds engine events to the app until `n` more records were acked.
    pub async fn pump_acked(&mut self, n: usize) {
        let mut acked = 0;
        self.pump_until(|e| {
            acked += matches!(e, Event::Acked(_)) as usize;
            acked == n
        })
        .await;
    }

    /// Starts a burst the way a user does (Ctrl-R, its size, Enter) and
    /// feeds events until `acked` of its records were acked.
    pub async fn burst(&mut self, size: &str, acked: usize) {
        self.ctrl('r');
        self.type_text(size);
        self.press(KeyCode::Enter);
        self.pump_acked(acked).await;
    }

    /// Feeds engine events to the app for a while, whatever they are.
    pub async fn pump_for(&mut self, time: std::time::Duration) {
        let until = tokio::time::Instant::now() + time;
        while let Ok(Some(e)) = tokio::time::timeout_at(until, self.events.recv()).await {
            self.app.on_event(e);
        }
    }

    /// Makes a fault the way a user does: Ctrl-F, the fault, Enter.
    pub fn fault(&mut self, fault: &str) {
        self.ctrl('f');
        self.type_text(fault);
        self.press(KeyCode::Enter);
    }

    /// The newest line of the event log.
    pub fn last_log(&self) -> &str {
        self.app.log.lines.back().map_or("", |l| l.text.as_str())
    }

    pub fn screen(&mut self) -> String {
        let (app, theme) = (&self.app, &self.theme);
        self.terminal.draw(|f| view::draw(f, app, theme)).unwrap();
        let buf = self.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }
}
