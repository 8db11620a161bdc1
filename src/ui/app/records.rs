//! The record list (F4): the records sent before, from history, or the
//! records of a file (Ctrl-O in the list), stepped through one at a time
//! as each will be sent, searched, and sent again (one, those marked, or
//! all that match) or loaded into the composer to edit. History and files
//! are read by the runner, as effects.

use std::collections::BTreeSet;

use super::{App, Ask, Effect, Popup};
use crate::engine::record::Draft;
use crate::engine::serde::{as_text, Serializer};
use crate::engine::{Command, Level};
use crate::history::Entry;
use crate::replay::Placed;
use crate::templates::{RecordTemplate, Side};

/// Where the listed records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Sent before: each goes again where it went, with the same bytes.
    History,
    /// A file, as the prompt named it: its records go to the composer's
    /// topic, to the partition and with the timestamp the file gives.
    File(String),
}

pub struct RecordList {
    pub source: Source,
    pub all: Vec<Entry>,
    /// The search typed: every word must be found (history.rs's rules).
    pub query: String,
    /// Indices into `all` of the records that match, in the order shown:
    /// history newest first, a file in its order.
    pub shown: Vec<usize>,
    /// The highlighted row, an index into `shown`.
    pub selected: usize,
    /// Indices into `all` marked to be sent together.
    pub marked: BTreeSet<usize>,
    /// History lines that could not be read (cut short by a kill).
    pub unreadable: usize,
}

impl RecordList {
    fn new(source: Source, all: Vec<Entry>, unreadable: usize) -> RecordList {
        let mut list = RecordList {
            source,
            all,
            query: String::new(),
            shown: Vec::new(),
            selected: 0,
            marked: BTreeSet::new(),
            unreadable,
        };
        list.refilter();
        list
    }

    /// `shown` again for the query; the highlight stays in range.
    pub fn refilter(&mut self) {
        let matching = (0..self.all.len()).filter(|&i| self.all[i].matches(&self.query));
        self.shown = match self.source {
            Source::History => matching.rev().collect(),
            Source::File(_) => matching.collect(),
        };
        self.selected = self.selected.min(self.shown.len().saturating_sub(1));
    }

    /// The highlighted record.
    pub fn current(&self) -> Option<&Entry> {
        self.shown.get(self.selected).map(|&i| &self.all[i])
    }

    pub fn title(&self) -> String {
        let what = match &self.source {
            Source::History => "History".to_string(),
            Source::File(spec) => format!("File {}", spec.split_whitespace().next().unwrap_or("")),
        };
        let marked = match self.marked.len() {
            0 => String::new(),
            n => format!(", {n} marked"),
        };
        format!(
            "{what}: {} of {} records{marked}",
            self.shown.len(),
            self.all.len()
        )
    }
}

/// Where a listed record goes, as it will be sent.
pub struct Target<'a> {
    pub topic: &'a str,
    pub partition: Option<i32>,
    /// `None`: stamped when sent.
    pub timestamp: Option<i64>,
}

impl App {
    /// F4: history, read by the runner.
    pub(super) fn open_records(&mut self) -> Vec<Effect> {
        match crate::history::dir() {
            Some(dir) => vec![Effect::ReadHistory(dir)],
            None => {
                self.note(Level::Error, "no data directory to keep history in".into());
                Vec::new()
            }
        }
    }

    /// The runner's answer to ReadHistory.
    pub(super) fn history_read(&mut self, result: std::io::Result<(Vec<Entry>, usize)>) {
        match result {
            Ok((all, unreadable)) => {
                // The list shows the last notice; an older one is not its.
                self.flash = None;
                self.popup = Some(Popup::Records(Box::new(RecordList::new(
                    Source::History,
                    all,
                    unreadable,
                ))))
            }
            Err(e) => self.note(Level::Error, format!("history cannot be read: {e}")),
        }
    }

    /// The runner's answer to ReadRecords: the file's records listed, or
    /// the prompt again with why not.
    pub(super) fn records_read(&mut self, spec: String, result: Result<Vec<Placed>, String>) {
        match result {
            Ok(records) => {
                let n = records.len();
                let all = records
                    .into_iter()
                    .map(|record| Entry {
                        record,
                        at: 0,
                        failed: None,
                    })
                    .collect();
                self.popup = Some(Popup::Records(Box::new(RecordList::new(
                    Source::File(spec.clone()),
                    all,
                    0,
                ))));
                self.note(
                    Level::Info,
                    format!("{n} records from {spec}: step with ↑↓, Enter sends"),
                );
            }
            Err(e) => {
                self.prompt(Ask::RecordsFile, &spec);
                if let Some(Popup::Prompt { error, .. }) = &mut self.popup {
                    *error = Some(e);
                }
            }
        }
    }

    /// Where `entry`, listed from `source`, goes.
    pub fn target<'a>(&'a self, source: &Source, entry: &'a Entry) -> Target<'a> {
        match source {
            Source::History => Target {
                topic: entry.record.topic.as_deref().unwrap_or(&self.topic),
                partition: entry.record.partition,
                timestamp: None,
            },
            Source::File(_) => Target {
                topic: &self.topic,
                partition: entry.record.partition,
                timestamp: entry.record.line.timestamp,
            },
        }
    }

    fn listed_draft(&self, source: &Source, entry: &Entry) -> Draft {
        let to = self.target(source, entry);
        let line = &entry.record.line;
        // The bytes go as they are: String passes them through.
        Draft {
            topic: to.topic.to_string(),
            key: line.key.clone(),
            value: line.value.clone(),
            key_serializer: Serializer::String,
            value_serializer: Serializer::String,
            headers: line.headers.clone(),
            partition: to.partition,
            timestamp: to.timestamp,
            ..Default::default()
        }
    }

    /// Enter: the marked records, or the highlighted one; Ctrl-A: every
    /// record that matches. The list stays open.
    pub(super) fn send_listed(&mut self, every: bool) -> Vec<Command> {
        let Some(Popup::Records(list)) = &self.popup else {
            return Vec::new();
        };
        let picked: Vec<usize> = if every {
            let mut all = list.shown.clone();
            all.sort_unstable();
            all
        } else if list.marked.is_empty() {
            list.shown.get(list.selected).copied().into_iter().collect()
        } else {
            list.marked.iter().copied().collect()
        };
        let drafts: Vec<Draft> = picked
            .iter()
            .map(|&i| self.listed_draft(&list.source, &list.all[i]))
            .collect();
        let n = drafts.len();
        let told = match &list.source {
            Source::History => format!("{n} record(s) from history sent again"),
            Source::File(spec) => format!(
                "{n} record(s) from {} sent",
                spec.split_whitespace().next().unwrap_or_default()
            ),
        };
        if let Some(Popup::Records(list)) = &mut self.popup {
            list.marked.clear();
        }
        if n > 0 {
            self.note(Level::Info, told);
        }
        drafts.into_iter().map(Command::Send).collect()
    }

    /// Tab: the highlighted record marked, or no longer, and the next one
    /// highlighted.
    pub(super) fn mark_listed(&mut self) {
        if let Some(Popup::Records(list)) = &mut self.popup {
            if let Some(&i) = list.shown.get(list.selected) {
                if !list.marked.remove(&i) {
                    list.marked.insert(i);
                }
                list.selected = (list.selected + 1).min(list.shown.len().saturating_sub(1));
            }
        }
    }

    /// A key typed in the list: the search, narrowed or widened.
    pub(super) fn search_listed(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        let Some(Popup::Records(list)) = &mut self.popup else {
            return;
        };
        match key.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                list.query.push(c)
            }
            KeyCode::Backspace => {
                list.query.pop();
            }
            _ => return,
        }
        list.selected = 0;
        list.refilter();
    }

    /// Ctrl-E: the highlighted record in the composer, to edit and send.
    pub(super) fn load_listed(&mut self) -> Vec<Command> {
        let Some(Popup::Records(list)) = &self.popup else {
            return Vec::new();
        };
        let Some(entry) = list.current() else {
            return Vec::new();
        };
        let to = self.target(&list.source, entry);
        let line = &entry.record.line;
        // Text where the bytes are UTF-8; hex where not, so no byte is lost.
        let side = |b: &Option<Vec<u8>>| match b.as_deref().map(as_text) {
            None => Side::default(),
            Some(Some(t)) => Side {
                text: Some(t.to_string()),
                ..Side::default()
            },
            Some(None) => Side {
                text: b
                    .as_deref()
                    .map(|b| crate::engine::serde::hex_preview(b, usize::MAX)),
                serializer: Some(Serializer::Hex.name().to_string()),
                schema: None,
            },
        };
        let mut lossy = Vec::new();
        let headers = line
            .headers
            .iter()
            .map(|h| match h.value.as_deref().map(as_text) {
                None => h.name.clone(),
                Some(Some(v)) if !v.contains(['\n', '\r']) => format!("{}: {v}", h.name),
                Some(_) => {
                    lossy.push(h.name.clone());
                    let shown: String =
                        String::from_utf8_lossy(h.value.as_deref().unwrap_or_default())
                            .chars()
                            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                            .collect();
                    format!("{}: {shown}", h.name)
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let template = RecordTemplate {
            topic: Some(to.topic.to_string()),
            partition: to.partition,
            timestamp: to.timestamp.map(|t| t.to_string()),
            headers: Some(headers).filter(|h| !h.is_empty()),
            key: side(&line.key),
            value: side(&line.value),
        };
        match self.apply_template(&template) {
            Ok(commands) => {
                self.popup = None;
                self.focus = super::Focus::Value;
                let warn = match lossy.is_empty() {
                    true => String::new(),
                    false => format!(
                        "; header(s) {} are not text and were loaded as text (Enter in the list re-sends their bytes)",
                        lossy.join(", ")
                    ),
                };
                self.note(
                    Level::Info,
                    format!("record loaded into the composer: edit it, Ctrl-S sends it{warn}"),
                );
                commands
            }
            Err(e) => {
                self.note(Level::Error, format!("record not loaded: {e}"));
                Vec::new()
            }
        }
    }
}
