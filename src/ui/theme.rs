//! Colours by meaning, read from a theme file: the built-in themes/default.toml,
//! a user file in the config directory, or one given with --theme.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::engine::Level;

const DEFAULT: &str = include_str!("../../themes/default.toml");

/// Every colour the views use. A theme file may set any subset; the rest come
/// from the built-in theme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    text: Color,
    muted: Color,
    border: Color,
    border_focused: Color,
    title: Color,
    title_focused: Color,
    selected_bg: Color,
    selected_fg: Color,
    null: Color,
    queued: Color,
    acked: Color,
    failed: Color,
    info: Color,
    warn: Color,
    error: Color,
    bar: Color,
    bar_text: Color,
    key_hint: Color,
    changed: Color,
}

impl Theme {
    /// The built-in theme, overlaid with the user's config-directory theme
    /// (if any) and then with `path` (if given).
    pub fn load(path: Option<&Path>) -> Result<Theme, String> {
        let mut table: toml::Table = DEFAULT
            .parse()
            .map_err(|e| format!("built-in theme: {e}"))?;
        let user = directories::ProjectDirs::from("", "", "kprod")
            .map(|d| d.config_dir().join("theme.toml"))
            .filter(|p| p.exists());
        for file in user.as_deref().into_iter().chain(path) {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read theme {}: {e}", file.display()))?;
            let overlay: toml::Table = text
                .parse()
                .map_err(|e| format!("theme {}: {e}", file.display()))?;
            check(&overlay, &table).map_err(|e| format!("theme {}: {e}", file.display()))?;
            table.extend(overlay);
        }
        Theme::deserialize(toml::Value::Table(table)).map_err(|e| format!("built-in theme: {e}"))
    }

    pub fn built_in() -> Theme {
        Theme::load(None).expect("the built-in theme parses")
    }

    pub fn text(&self) -> Style {
        Style::new().fg(self.text)
    }
    pub fn muted(&self) -> Style {
        Style::new().fg(self.muted)
    }
    pub fn border(&self, focused: bool) -> Style {
        Style::new().fg(if focused {
            self.border_focused
        } else {
            self.border
        })
    }
    pub fn title(&self, focused: bool) -> Style {
        let s = Style::new().fg(if focused {
            self.title_focused
        } else {
            self.title
        });
        if focused {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }
    pub fn selected(&self) -> Style {
        Style::new().bg(self.selected_bg).fg(self.selected_fg)
    }
    pub fn null(&self) -> Style {
        Style::new().fg(self.null).add_modifier(Modifier::ITALIC)
    }
    pub fn queued(&self) -> Style {
        Style::new().fg(self.queued)
    }
    pub fn acked(&self) -> Style {
        Style::new().fg(self.acked)
    }
    pub fn failed(&self) -> Style {
        Style::new().fg(self.failed)
    }
    pub fn level(&self, level: Level) -> Style {
        Style::new().fg(match level {
            Level::Info => self.info,
            Level::Warn => self.warn,
            Level::Error => self.error,
        })
    }
    pub fn bar(&self) -> Style {
        Style::new().fg(self.bar)
    }
    pub fn bar_text(&self) -> Style {
        Style::new().fg(self.bar_text).bg(self.bar)
    }
    pub fn key_hint(&self) -> Style {
        Style::new().fg(self.key_hint).add_modifier(Modifier::BOLD)
    }
    pub fn changed(&self) -> Style {
        Style::new().fg(self.changed).add_modifier(Modifier::BOLD)
    }
}

/// The colour names a theme may use, as the user would write them (case,
/// spaces, dashes and underscores do not matter, "bright" is "light").
const NAMES: &str = "black, red, green, yellow, blue, magenta, cyan, gray, dark-gray, \
light-red, light-green, light-yellow, light-blue, light-magenta, light-cyan, white, reset";

/// Refuses an overlay that sets a key the built-in theme lacks or a value
/// that is not a colour, in words that name the key, the value and what
/// would do. The built-in theme sets every key, so its keys are the list.
fn check(overlay: &toml::Table, built_in: &toml::Table) -> Result<(), String> {
    for (key, value) in overlay {
        if !built_in.contains_key(key) {
            let keys: Vec<&str> = built_in.keys().map(String::as_str).collect();
            return Err(format!(
                "unknown key `{key}`; a theme sets {}",
                keys.join(", ")
            ));
        }
        let colour = value.as_str().and_then(|s| s.parse::<Color>().ok());
        if colour.is_none() {
            return Err(format!(
                "`{key}` = {value} is not a colour; write a name ({NAMES}), \
                 \"#rrggbb\" or a 256-colour index \"0\" to \"255\", in quotes"
            ));
        }
    }
    Ok(())
}
