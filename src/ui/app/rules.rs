//! The rule editor: a partitioner.rules file opened in an editor, checked,
//! written and applied.

use std::path::PathBuf;

use tui_textarea::TextArea;

use super::{App, Effect, Popup};
use crate::engine::partition::{Rules, RULES_EXAMPLE};
use crate::engine::{Command, Level};

impl App {
    /// The rule file named by partitioner.rules (or kprod's own, in its
    /// config folder), asked for; `rules_read` opens it in an editor.
    pub(super) fn open_rules(&mut self) -> Effect {
        let path = self
            .pending
            .rules_file()
            .map_or_else(default_rules_path, PathBuf::from);
        Effect::ReadFile { path }
    }

    /// The rule file read, or why not, in an editor; a new file starts from
    /// an example.
    pub(super) fn rules_read(&mut self, path: PathBuf, result: std::io::Result<String>) {
        let (text, error) = match result {
            Ok(t) => (t, None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (RULES_EXAMPLE.to_string(), None),
            Err(e) => (
                RULES_EXAMPLE.to_string(),
                Some(format!(
                    "cannot read {}: {e}; saving writes it anew",
                    path.display()
                )),
            ),
        };
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut editor = Box::new(TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        }));
        editor.set_cursor_line_style(ratatui::style::Style::default());
        editor.move_cursor(tui_textarea::CursorMove::Bottom);
        editor.move_cursor(tui_textarea::CursorMove::End);
        self.popup = Some(Popup::Rules {
            path,
            editor,
            error,
        });
    }

    /// Checks the rules and asks for the file to be written; a bad rule
    /// keeps the editor open with the line and the reason.
    pub(super) fn save_rules(&mut self) -> Vec<Effect> {
        let Some(Popup::Rules {
            path,
            editor,
            error,
        }) = &mut self.popup
        else {
            return Vec::new();
        };
        let mut text = editor.lines().join("\n");
        text.push('\n');
        if let Err(e) = Rules::parse(&text) {
            *error = Some(format!("not saved: {e}"));
            return Vec::new();
        }
        vec![Effect::WriteFile {
            path: path.clone(),
            text,
        }]
    }

    /// The rule file written, or why not: written, partitioner=rules is
    /// applied with it; not, the editor stays open and says why.
    pub(super) fn rules_written(
        &mut self,
        written: PathBuf,
        result: std::io::Result<()>,
    ) -> Vec<Effect> {
        let Some(Popup::Rules { path, error, .. }) = &mut self.popup else {
            return Vec::new();
        };
        // An answer for a file the editor no longer shows changes nothing.
        if *path != written {
            return Vec::new();
        }
        if let Err(e) = result {
            *error = Some(format!("not saved: cannot write {}: {e}", path.display()));
            return Vec::new();
        }
        let path = path.display().to_string();
        self.popup = None;
        let mut next = self.pending.clone();
        if let Err(e) = next.use_rules(&path).and_then(|_| next.check()) {
            self.note(
                Level::Error,
                format!("rules saved to {path}, not applied: {e}"),
            );
            return Vec::new();
        }
        self.pending = next;
        self.note(
            Level::Info,
            format!("rules saved to {path}; applying partitioner=rules"),
        );
        vec![Effect::Engine(Command::Apply(self.pending.clone()))]
    }
}

/// Where the rule editor keeps rules when partitioner.rules names no file.
pub fn default_rules_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "kprod")
        .map(|d| d.config_dir().join("partition-rules.txt"))
        .unwrap_or_else(|| PathBuf::from("partition-rules.txt"))
}
