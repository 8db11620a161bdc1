//! The composer's record saved as a template (F9, by name) and loaded back
//! from the template picker (F10): the files are read and written by the
//! runner, as effects.

use tui_textarea::TextArea;

use super::{App, Effect, Popup};
use crate::engine::serde::Serializer;
use crate::engine::{Command, Level};
use crate::templates::{self, RecordTemplate, Side};

impl App {
    /// The record as composed, as a template.
    pub fn to_template(&self) -> RecordTemplate {
        let side = |f: &super::Field| Side {
            text: f.typed().map(|b| String::from_utf8_lossy(&b).into_owned()),
            serializer: (f.schema.is_none() && f.serializer != Serializer::String)
                .then(|| f.serializer.name().to_string()),
            schema: f.schema.as_ref().map(|s| super::ask_text(&s.ask)),
        };
        let text = |t: &TextArea| t.lines().join("\n");
        let headers = text(&self.headers);
        RecordTemplate {
            topic: Some(self.topic.clone()),
            partition: self.parsed_partition().ok().flatten(),
            timestamp: Some(text(&self.timestamp)).filter(|t| !t.trim().is_empty()),
            headers: Some(headers).filter(|h| !h.trim().is_empty()),
            key: side(&self.key),
            value: side(&self.value),
        }
    }

    /// F9's name accepted: the template written where templates live.
    pub(super) fn save_template(&mut self, name: &str) -> Vec<Effect> {
        let Some(dir) = templates::dir() else {
            self.note(
                Level::Error,
                "no config directory to keep templates in".into(),
            );
            return Vec::new();
        };
        match templates::to_text(&self.to_template()) {
            Ok(text) => vec![Effect::WriteFile {
                path: templates::path(&dir, name),
                text,
            }],
            Err(e) => {
                self.note(Level::Error, format!("template not saved: {e}"));
                Vec::new()
            }
        }
    }

    /// The runner's answer to a template written.
    pub(super) fn template_written(
        &mut self,
        path: std::path::PathBuf,
        result: std::io::Result<()>,
    ) {
        match result {
            Ok(()) => self.note(
                Level::Info,
                format!(
                    "template saved to {} (F10 lists the templates)",
                    path.display()
                ),
            ),
            Err(e) => self.note(
                Level::Error,
                format!("template not saved to {}: {e}", path.display()),
            ),
        }
    }

    /// The templates the runner listed, in the picker.
    pub(super) fn templates_listed(
        &mut self,
        result: Result<std::collections::BTreeMap<String, String>, String>,
    ) {
        match result {
            Ok(all) => {
                self.templates = all;
                self.popup = Some(Popup::Templates {
                    selected: 0,
                    error: None,
                });
            }
            Err(e) => self.note(Level::Error, format!("templates: {e}")),
        }
    }

    /// Enter in the picker: the template in the composer, or why not (the
    /// picker stays open and says where the file is wrong).
    pub(super) fn load_template(&mut self, selected: usize) -> Vec<Command> {
        let Some((name, text)) = self.templates.iter().nth(selected) else {
            return Vec::new();
        };
        let name = name.clone();
        let loaded = templates::parse(text).and_then(|t| self.apply_template(&t));
        match loaded {
            Ok(commands) => {
                self.popup = None;
                self.note(
                    Level::Info,
                    format!("template '{name}' loaded: edit it, or Ctrl-S sends it"),
                );
                commands
            }
            Err(e) => {
                self.popup = Some(Popup::Templates {
                    selected,
                    error: Some(format!("{name}: {e}")),
                });
                Vec::new()
            }
        }
    }

    /// Puts `t` in the composer: the schemas it names are asked for.
    pub(super) fn apply_template(&mut self, t: &RecordTemplate) -> Result<Vec<Command>, String> {
        // Checked whole before anything changes.
        let serializer = |s: &Side, what: &str| match &s.serializer {
            None => Ok(Serializer::String),
            Some(n) => Serializer::from_name(n).ok_or_else(|| {
                format!(
                    "{what}.serializer '{n}' is not one of {}",
                    crate::engine::serde::ALL
                        .iter()
                        .map(|s| s.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
        };
        let (key_serializer, value_serializer) =
            (serializer(&t.key, "key")?, serializer(&t.value, "value")?);
        let schema = |s: &Side, what: &str| {
            s.schema
                .as_deref()
                .map(|text| super::parse_schema(text).map_err(|e| format!("{what}.schema: {e}")))
                .transpose()
        };
        let (key_schema, value_schema) = (schema(&t.key, "key")?, schema(&t.value, "value")?);
        if let Some(ts) = t.timestamp.as_deref().filter(|ts| ts.trim() != "now") {
            crate::replay::parse_time(ts).map_err(|e| format!("timestamp {e}"))?;
        }
        let mut commands = Vec::new();
        if let Some(topic) = t.topic.as_ref().filter(|t| **t != self.topic) {
            self.topic = topic.clone();
            self.also.clear();
            let n = self.partition_count().unwrap_or(0) as usize;
            self.chart.clear();
            self.chart.resize(n, 0);
        }
        self.partition = super::model::partition_area();
        if let Some(p) = t.partition {
            self.partition.insert_str(p.to_string());
        }
        self.timestamp = super::model::timestamp_area();
        if let Some(ts) = &t.timestamp {
            self.timestamp.insert_str(ts);
        }
        self.headers = super::model::headers_area();
        if let Some(h) = &t.headers {
            self.headers.insert_str(h);
        }
        for (is_key, side, plain, schema) in [
            (true, &t.key, key_serializer, key_schema),
            (false, &t.value, value_serializer, value_schema),
        ] {
            let field = if is_key {
                &mut self.key
            } else {
                &mut self.value
            };
            field.set_text(side.text.as_deref(), plain);
            match schema.flatten() {
                Some(ask) => commands.push(self.ask_schema(is_key, ask)),
                None => {
                    let field = if is_key {
                        &mut self.key
                    } else {
                        &mut self.value
                    };
                    field.drop_schema();
                }
            }
        }
        Ok(commands)
    }
}
