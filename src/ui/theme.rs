//! Colours by meaning, from a theme: one of the built-in themes (default,
//! light, high-contrast), the user's theme.toml in the config directory laid
//! over the default, or a file or a user theme named with --theme. NO_COLOR
//! turns every colour off and leaves emphasis to bold and reverse video.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::engine::Level;

const DEFAULT: &str = include_str!("../../themes/default.toml");

/// The themes inside the binary, by the name --theme takes.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", DEFAULT),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Every colour the views use. A theme file may set any subset; the rest come
/// from the built-in theme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    background: Color,
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
    /// NO_COLOR: every colour is the terminal's own, and what colour would
    /// set apart is set apart by reverse video.
    #[serde(skip)]
    mono: bool,
}

impl Theme {
    /// The built-in theme, overlaid with the user's config-directory theme
    /// (if any) and then with `path` (if given).
    pub fn load(path: Option<&Path>) -> Result<Theme, String> {
        let user = config_dir()
            .map(|d| d.join("theme.toml"))
            .filter(|p| p.exists());
        let files: Vec<&Path> = user.as_deref().into_iter().chain(path).collect();
        Theme::layered(DEFAULT, &files)
    }

    /// What --theme names: a built-in theme as it is, a file, or a theme
    /// of the user's in the config directory's themes/ (NAME.toml); either
    /// of the last two is laid over the default. Without a choice, the
    /// default with the user's theme.toml. NO_COLOR (set and not empty)
    /// then takes every colour away.
    pub fn choose(choice: Option<&str>) -> Result<Theme, String> {
        let theme = match choice {
            None => Theme::load(None)?,
            Some(name) => match BUILT_IN.iter().find(|(n, _)| *n == name) {
                Some((_, text)) => Theme::layered(text, &[])?,
                None => {
                    let file = Path::new(name);
                    let user = config_dir().map(|d| d.join("themes").join(format!("{name}.toml")));
                    match user.filter(|p| !file.exists() && p.exists()) {
                        Some(user) => Theme::layered(DEFAULT, &[&user])?,
                        None if file.exists() => Theme::layered(DEFAULT, &[file])?,
                        None => return Err(unknown_theme(name)),
                    }
                }
            },
        };
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ok(if no_color {
            theme.without_colour()
        } else {
            theme
        })
    }

    /// The same theme with every colour the terminal's own.
    pub fn without_colour(self) -> Theme {
        let r = Color::Reset;
        Theme {
            background: r,
            text: r,
            muted: r,
            border: r,
            border_focused: r,
            title: r,
            title_focused: r,
            selected_bg: r,
            selected_fg: r,
            null: r,
            queued: r,
            acked: r,
            failed: r,
            info: r,
            warn: r,
            error: r,
            bar: r,
            bar_text: r,
            key_hint: r,
            changed: r,
            mono: true,
        }
    }

    /// `base` (a built-in theme's text), with each file laid over it.
    fn layered(base: &str, files: &[&Path]) -> Result<Theme, String> {
        let mut table: toml::Table = base.parse().map_err(|e| format!("built-in theme: {e}"))?;
        for &file in files {
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

    /// The whole screen's text and background, painted before anything
    /// else so that a theme with a background of its own has it everywhere.
    pub fn base(&self) -> Style {
        Style::new().fg(self.text).bg(self.background)
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
        self.reversed(Style::new().bg(self.selected_bg).fg(self.selected_fg))
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
        self.reversed(Style::new().fg(self.bar_text).bg(self.bar))
    }

    /// Without colours, a coloured background becomes reverse video.
    fn reversed(&self, style: Style) -> Style {
        match self.mono {
            true => style.add_modifier(Modifier::REVERSED),
            false => style,
        }
    }
    pub fn key_hint(&self) -> Style {
        Style::new().fg(self.key_hint).add_modifier(Modifier::BOLD)
    }
    pub fn changed(&self) -> Style {
        Style::new().fg(self.changed).add_modifier(Modifier::BOLD)
    }
}

fn config_dir() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("", "", "kprod").map(|d| d.config_dir().to_path_buf())
}

/// The themes there are by name: the built-in ones, then the user's in the
/// config directory's themes/.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
    names.extend(user_themes());
    names
}

fn user_themes() -> Vec<String> {
    let mut user: Vec<String> = config_dir()
        .map(|d| d.join("themes"))
        .and_then(|d| std::fs::read_dir(d).ok())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".toml").map(str::to_string))
        .collect();
    user.sort();
    user
}

/// Names the themes there are, for a --theme that is none of them.
fn unknown_theme(name: &str) -> String {
    let built_in: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
    let dir = config_dir().map(|d| d.join("themes"));
    let user = user_themes();
    let mine = match (user.is_empty(), dir) {
        (false, Some(d)) => format!("; yours in {}: {}", d.display(), user.join(", ")),
        (true, Some(d)) => format!("; a theme of your own goes in {}/NAME.toml", d.display()),
        _ => String::new(),
    };
    format!(
        "no theme or theme file '{name}': built in are {}{mine}",
        built_in.join(", ")
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A colour as xterm's default palette shows it; the terminal's own
    /// colours (reset) as a dark terminal's: light grey on black.
    fn rgb(c: Color, background: bool) -> (u8, u8, u8) {
        let indexed = |i: u8| -> (u8, u8, u8) {
            const BASE: [(u8, u8, u8); 16] = [
                (0, 0, 0),
                (205, 0, 0),
                (0, 205, 0),
                (205, 205, 0),
                (0, 0, 238),
                (205, 0, 205),
                (0, 205, 205),
                (229, 229, 229),
                (127, 127, 127),
                (255, 0, 0),
                (0, 255, 0),
                (255, 255, 0),
                (92, 92, 255),
                (255, 0, 255),
                (0, 255, 255),
                (255, 255, 255),
            ];
            match i {
                0..=15 => BASE[i as usize],
                16..=231 => {
                    let i = i - 16;
                    let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
                    (level(i / 36), level(i / 6 % 6), level(i % 6))
                }
                _ => {
                    let v = 8 + (i - 232) * 10;
                    (v, v, v)
                }
            }
        };
        match c {
            Color::Reset if background => (0, 0, 0),
            Color::Reset => (229, 229, 229),
            Color::Rgb(r, g, b) => (r, g, b),
            Color::Indexed(i) => indexed(i),
            Color::Black => indexed(0),
            Color::Red => indexed(1),
            Color::Green => indexed(2),
            Color::Yellow => indexed(3),
            Color::Blue => indexed(4),
            Color::Magenta => indexed(5),
            Color::Cyan => indexed(6),
            Color::Gray => indexed(7),
            Color::DarkGray => indexed(8),
            Color::LightRed => indexed(9),
            Color::LightGreen => indexed(10),
            Color::LightYellow => indexed(11),
            Color::LightBlue => indexed(12),
            Color::LightMagenta => indexed(13),
            Color::LightCyan => indexed(14),
            Color::White => indexed(15),
        }
    }

    /// WCAG's contrast ratio, 1 (none) to 21 (black on white).
    fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
        let lum = |(r, g, b): (u8, u8, u8)| {
            let ch = |v: u8| {
                let v = v as f64 / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)
        };
        let (hi, lo) = {
            let (x, y) = (lum(a), lum(b));
            if x > y {
                (x, y)
            } else {
                (y, x)
            }
        };
        (hi + 0.05) / (lo + 0.05)
    }

    #[test]
    fn every_built_in_theme_is_readable() {
        // WCAG AA: 4.5 for text, 3 for what only frames it.
        for (name, text) in BUILT_IN {
            let t = Theme::layered(text, &[]).unwrap();
            let bg = rgb(t.background, true);
            let mut pairs = vec![
                ("border", t.border, t.background, 3.0),
                ("border_focused", t.border_focused, t.background, 3.0),
                ("bar", t.bar, t.background, 3.0),
                (
                    "selected_fg on selected_bg",
                    t.selected_fg,
                    t.selected_bg,
                    4.5,
                ),
                ("bar_text on bar", t.bar_text, t.bar, 4.5),
            ];
            for (role, fg) in [
                ("text", t.text),
                ("muted", t.muted),
                ("title", t.title),
                ("title_focused", t.title_focused),
                ("null", t.null),
                ("queued", t.queued),
                ("acked", t.acked),
                ("failed", t.failed),
                ("info", t.info),
                ("warn", t.warn),
                ("error", t.error),
                ("key_hint", t.key_hint),
                ("changed", t.changed),
            ] {
                pairs.push((role, fg, t.background, 4.5));
            }
            for (role, fg, on, floor) in pairs {
                let on_rgb = if on == t.background {
                    bg
                } else {
                    rgb(on, true)
                };
                let ratio = contrast(rgb(fg, false), on_rgb);
                assert!(
                    ratio >= floor,
                    "theme {name}: {role} {fg:?} on {on:?} has contrast {ratio:.2}, under {floor}"
                );
                assert!(
                    fg != on || fg == Color::Reset,
                    "theme {name}: {role} in its own background"
                );
            }
        }
    }

    #[test]
    fn built_in_themes_set_every_colour_the_default_has() {
        let keys = |text: &str| -> Vec<String> {
            let mut k: Vec<String> = text
                .parse::<toml::Table>()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            k.sort();
            k
        };
        for (name, text) in BUILT_IN {
            assert_eq!(keys(text), keys(DEFAULT), "theme {name}");
        }
    }

    #[test]
    fn without_colour_every_colour_is_the_terminals_and_selection_is_reverse_video() {
        let t = Theme::layered(BUILT_IN[1].1, &[]).unwrap().without_colour();
        assert_eq!(t.base(), Style::new().fg(Color::Reset).bg(Color::Reset));
        assert!(t.selected().add_modifier.contains(Modifier::REVERSED));
        assert_eq!(t.acked().fg, Some(Color::Reset));
    }

    #[test]
    fn a_theme_name_that_is_nothing_says_what_there_is() {
        let e = Theme::choose(Some("no-such-theme-anywhere")).unwrap_err();
        assert!(
            e.contains("built in are default, light, high-contrast"),
            "{e}"
        );
        assert!(Theme::choose(Some("light")).is_ok());
    }
}
