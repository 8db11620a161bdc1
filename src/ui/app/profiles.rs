//! Connection profiles in the console: a picker that switches to one (the
//! runner rebuilds the connection) and an editor that makes or changes one
//! as `name = value` lines, saved by the runner through profile.rs with
//! every secret kept as a reference (`env:VARIABLE` or `prompt`).

use std::collections::BTreeMap;

use tui_textarea::TextArea;

use super::{App, Effect, Popup};
use crate::engine::settings::{is_secret, Settings};
use crate::engine::Level;
use crate::profile::{Ask, Profile, Secret};

/// The editor's fields other than settings, for its help line and errors.
pub const PROFILE_FORM: &str = "name = NAME · bootstrap = HOST:PORT · topic = TOPIC · properties = FILE · any setting = value · a secret = env:VARIABLE or prompt";

impl App {
    /// The profile picker over `App::profiles`.
    pub(super) fn open_profiles(&mut self) {
        self.popup = Some(Popup::Profiles { selected: 0 });
    }

    /// The profile under the picker's cursor, by name.
    fn picked(&self) -> Option<String> {
        let Some(Popup::Profiles { selected }) = &self.popup else {
            return None;
        };
        self.profiles.keys().nth(*selected).cloned()
    }

    /// Enter in the picker: the runner switches to the profile.
    pub(super) fn switch_profile(&mut self) -> Vec<Effect> {
        let Some(name) = self.picked() else {
            return Vec::new();
        };
        self.popup = None;
        self.note(
            Level::Info,
            format!("profile '{name}': closing this connection and connecting with it"),
        );
        vec![Effect::SwitchProfile(name)]
    }

    /// The editor, on the picked profile (`edit`) or on a new one.
    pub(super) fn edit_profile(&mut self, edit: bool) {
        let (was, text) = match self.picked().filter(|_| edit) {
            Some(name) => {
                let text = form(&name, &self.profiles[&name]);
                (Some(name), text)
            }
            None => (None, NEW_FORM.to_string()),
        };
        let mut editor = Box::new(TextArea::new(text.lines().map(str::to_string).collect()));
        editor.set_cursor_line_style(ratatui::style::Style::default());
        self.popup = Some(Popup::ProfileEditor {
            was,
            editor,
            error: None,
        });
    }

    /// Ctrl-S in the editor: the form read back into a profile, which the
    /// runner writes; a bad line keeps the editor open and says why.
    pub(super) fn save_profile(&mut self) -> Vec<Effect> {
        let Some(Popup::ProfileEditor { was, editor, error }) = &mut self.popup else {
            return Vec::new();
        };
        match parse_form(&editor.lines().join("\n")) {
            Ok((name, profile)) => vec![Effect::SaveProfile {
                name,
                profile,
                replacing: was.clone(),
            }],
            Err(e) => {
                *error = Some(format!("not saved: {e}"));
                Vec::new()
            }
        }
    }

    /// The runner's answer to `Effect::SaveProfile`: every profile as the
    /// file now holds them, or why it was not written.
    pub(super) fn profile_saved(
        &mut self,
        result: Result<(String, BTreeMap<String, Profile>), String>,
    ) {
        match result {
            Ok((name, all)) => {
                self.profiles = all;
                let selected = self.profiles.keys().position(|n| *n == name).unwrap_or(0);
                self.popup = Some(Popup::Profiles { selected });
                self.note(
                    Level::Info,
                    format!("profile '{name}' saved (its secrets as references only); Enter switches to it"),
                );
            }
            Err(e) => match &mut self.popup {
                Some(Popup::ProfileEditor { error, .. }) => {
                    *error = Some(format!("not saved: {e}"))
                }
                _ => self.note(Level::Error, format!("profile not saved: {e}")),
            },
        }
    }
}

/// What a new profile starts from.
const NEW_FORM: &str = "name = \nbootstrap = \ntopic = \nsecurity.protocol = PLAINTEXT\n";

/// A profile as the editor shows it: its fields, its settings, then its
/// secrets as references.
pub fn form(name: &str, p: &Profile) -> String {
    let mut out = format!("name = {name}\n");
    for (key, value) in [
        ("bootstrap", p.bootstrap.clone()),
        ("topic", p.topic.clone()),
        (
            "properties",
            p.properties.as_ref().map(|f| f.display().to_string()),
        ),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("{key} = {v}\n"));
        }
    }
    for (k, v) in &p.settings {
        out.push_str(&format!("{k} = {v}\n"));
    }
    for (k, from) in &p.secrets {
        let from = match from {
            Secret::Env { env } => format!("env:{env}"),
            Secret::Ask(Ask::Prompt) => "prompt".into(),
        };
        out.push_str(&format!("{k} = {from}\n"));
    }
    out
}

/// The editor's text as a profile and its name. Every setting is checked
/// as the settings pane checks it; a secret must be a reference, so a
/// profile saved from here never holds one.
pub fn parse_form(text: &str) -> Result<(String, Profile), String> {
    let mut name = None;
    let mut p = Profile::default();
    let mut check = Settings::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |why: String| format!("line {}: {why}", n + 1);
        let Some((key, value)) = line.split_once('=') else {
            return Err(at(format!("'{line}' is not name = value")));
        };
        let (key, value) = (key.trim(), value.trim());
        let given = || (!value.is_empty()).then(|| value.to_string());
        match key {
            "name" => name = given(),
            "bootstrap" => p.bootstrap = given(),
            "topic" => {
                if let Some(t) = given() {
                    crate::engine::topic::validate(&t)
                        .map_err(|e| at(format!("topic: {}", crate::words::error(e))))?;
                    p.topic = Some(t);
                }
            }
            "properties" => p.properties = given().map(Into::into),
            _ if is_secret(key) => {
                let from = match value.strip_prefix("env:") {
                    Some(var) if !var.trim().is_empty() => Secret::Env {
                        env: var.trim().to_string(),
                    },
                    _ if value == "prompt" => Secret::Ask(Ask::Prompt),
                    // Never echoed: it may be the secret itself.
                    _ => {
                        return Err(at(format!(
                            "{key} is a secret and is not kept in the file: write {key} = env:VARIABLE or {key} = prompt"
                        )))
                    }
                };
                p.secrets.insert(key.to_string(), from);
            }
            _ => {
                check
                    .set(key, value)
                    .map_err(|e| at(crate::words::error(e)))?;
                p.settings.insert(key.to_string(), value.to_string());
            }
        }
    }
    let name = name.ok_or("the profile needs a name: name = NAME")?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "name '{name}': letters, digits, - and _ only (it is what --profile takes)"
        ));
    }
    Ok((name, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_reads_back_into_the_profile_it_shows() {
        let text = "name = staging\nbootstrap = b:9093\ntopic = orders\nsecurity.protocol = SASL_SSL\nsasl.mechanism = SCRAM-SHA-512\nsasl.username = qa\nacks = all\nsasl.password = env:STAGING_PW\nssl.key.password = prompt\n";
        let (name, p) = parse_form(text).unwrap();
        assert_eq!(name, "staging");
        assert_eq!(p.bootstrap.as_deref(), Some("b:9093"));
        assert_eq!(p.settings["sasl.mechanism"], "SCRAM-SHA-512");
        assert_eq!(
            p.secrets["sasl.password"],
            Secret::Env {
                env: "STAGING_PW".into()
            }
        );
        assert_eq!(parse_form(&form(&name, &p)).unwrap(), (name, p));
    }

    #[test]
    fn a_secret_value_a_bad_setting_or_no_name_is_refused_with_the_line() {
        let e = parse_form("name = x\nsasl.password = hunter2\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("env:VARIABLE"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = parse_form("name = x\nacks = most\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("acks"), "{e}");
        assert!(parse_form("bootstrap = b:1\n")
            .unwrap_err()
            .contains("name"));
        assert!(parse_form("name = a b\n").unwrap_err().contains("letters"));
    }
}
