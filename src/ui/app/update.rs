//! The one way the console's state changes: a message and the time it came
//! in, effects out. Nothing here does I/O or reads the clock, so tests can
//! drive it with any time they like.

use crate::engine::event::TxnState;
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, KeyEventKind};
use tui_textarea::TextArea;

use super::log::{ms, request_line};
use super::model::{Ask, Focus, Popup, LINES_PER_SEC};
use super::{
    ack_line, check_prompt, insert_pasted, new_topic, App, BatchStat, Comparison, Connection,
    Effect, Flow, Msg, Status, Totals,
};
use crate::engine::compare;
use crate::engine::pace::burst_size;
use crate::engine::requests::Outcome as Sent;
use crate::engine::settings;
use crate::engine::stats;
use crate::engine::{Command, Event, Level};
use crate::ui::action::Action;
use crate::ui::keymap;
use crate::words;

pub fn update(app: &mut App, msg: Msg, now: Instant) -> Vec<Effect> {
    // Time never runs back, whatever a caller passes.
    app.now = app.now.max(now);
    let mut effects = match msg {
        Msg::Key(key) => app.key(key),
        Msg::Paste(text) => {
            app.paste(&text);
            Vec::new()
        }
        Msg::Action(action) => app.act(action),
        Msg::BytesRead {
            field,
            path,
            result,
        } => {
            match field {
                Focus::Key => app.key.file_read(path, result),
                Focus::Value => app.value.file_read(path, result),
                _ => {}
            }
            Vec::new()
        }
        Msg::Engine(event) => app.event(event),
        Msg::TellHeldBack => {
            app.tell_held_back();
            Vec::new()
        }
        Msg::FileRead { path, result } => {
            app.rules_read(path, result);
            Vec::new()
        }
        // A template's file, or the rule editor's.
        Msg::FileWritten { path, result }
            if crate::templates::dir().is_some_and(|d| path.parent() == Some(d.as_path())) =>
        {
            app.template_written(path, result);
            Vec::new()
        }
        Msg::FileWritten { path, result } => app.rules_written(path, result),
        Msg::Exported { path, result } => {
            match result {
                Some(Ok(n)) => app.note(
                    Level::Info,
                    format!(
                        "run exported: {n} events to {} (JSON Lines, as kprod produce prints them)",
                        path.display()
                    ),
                ),
                Some(Err(e)) => app.note(
                    Level::Error,
                    format!("run not exported to {}: {e}", path.display()),
                ),
                None => app.note(
                    Level::Error,
                    "this console keeps no journal of its events to export".into(),
                ),
            }
            Vec::new()
        }
        Msg::HistoryRead(result) => {
            app.history_read(result);
            Vec::new()
        }
        Msg::RecordsRead { spec, result } => {
            app.records_read(spec, result);
            Vec::new()
        }
        Msg::TemplatesListed(result) => {
            app.templates_listed(result);
            Vec::new()
        }
        Msg::ProfilesRead(result) => {
            match result {
                Ok(all) => app.profiles = all,
                Err(e) => app.note(Level::Error, format!("profiles: {e}")),
            }
            Vec::new()
        }
        Msg::ProfileSaved(result) => {
            app.profile_saved(result);
            Vec::new()
        }
        Msg::ProfileSwitched(why) => {
            app.note(
                Level::Error,
                format!("profile not used, this connection kept: {why}"),
            );
            Vec::new()
        }
        Msg::ThemeChosen(result) => {
            match result {
                Ok(name) => app.note(Level::Info, format!("theme is now '{name}'")),
                Err(e) => app.note(Level::Error, format!("theme not changed: {e}")),
            }
            Vec::new()
        }
    };
    // A key, a paste or an action may have named a file to send.
    for (field, wanted) in [
        (Focus::Key, app.key.file_wanted()),
        (Focus::Value, app.value.file_wanted()),
    ] {
        if let Some(path) = wanted {
            effects.push(Effect::ReadBytes { field, path });
        }
    }
    effects
}

impl App {
    /// A key press from the terminal: an action if the keymap binds it,
    /// text for the field being edited if not.
    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        match keymap::lookup(&self.scopes(), key) {
            Some(action) => self.act(action),
            None => {
                self.type_key(key);
                Vec::new()
            }
        }
    }

    /// An action; the rule editor's file is read and written by effects.
    fn act(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::EditRules => vec![self.open_rules()],
            Action::SaveRules => self.save_rules(),
            Action::Suspend => vec![Effect::Suspend],
            Action::ProfilePicker => {
                self.open_profiles();
                Vec::new()
            }
            Action::Confirm if matches!(self.popup, Some(Popup::Profiles { .. })) => {
                self.switch_profile()
            }
            Action::NewProfile | Action::EditProfile => {
                self.edit_profile(action == Action::EditProfile);
                Vec::new()
            }
            Action::SaveProfile => self.save_profile(),
            Action::TemplatePicker => vec![Effect::ListTemplates],
            Action::Records => self.open_records(),
            Action::OpenRecordFile => {
                self.prompt(Ask::RecordsFile, "");
                Vec::new()
            }
            Action::Mark => {
                self.mark_listed();
                Vec::new()
            }
            Action::Confirm | Action::SendAll if matches!(self.popup, Some(Popup::Records(_))) => {
                self.send_listed(action == Action::SendAll)
                    .into_iter()
                    .map(Effect::Engine)
                    .collect()
            }
            Action::LoadRecord => self.load_listed().into_iter().map(Effect::Engine).collect(),
            Action::Export => vec![Effect::Export(crate::journal::export_path(self.now_ms()))],
            Action::Confirm if matches!(self.popup, Some(Popup::Templates { .. })) => {
                let Some(Popup::Templates { selected, .. }) = &self.popup else {
                    return Vec::new();
                };
                let selected = *selected;
                self.load_template(selected)
                    .into_iter()
                    .map(Effect::Engine)
                    .collect()
            }
            // The prompts whose answers the runner acts on: checked here,
            // kept open with the reason when the check fails.
            Action::Confirm
                if matches!(
                    self.popup,
                    Some(Popup::Prompt {
                        ask: Ask::TemplateName | Ask::RecordsFile,
                        ..
                    })
                ) =>
            {
                let Some(Popup::Prompt { ask, input, .. }) = self.popup.take() else {
                    return Vec::new();
                };
                let answer = input.lines()[0].trim().to_string();
                match check_prompt(
                    &ask,
                    &answer,
                    &self.pending,
                    self.brokers.len(),
                    self.topics.as_deref(),
                ) {
                    Ok(()) if ask == Ask::TemplateName => self.save_template(&answer),
                    Ok(()) => vec![Effect::ReadRecords(answer)],
                    Err(e) => {
                        self.popup = Some(Popup::Prompt {
                            ask,
                            input,
                            error: Some(e),
                        });
                        Vec::new()
                    }
                }
            }
            Action::Confirm if matches!(self.popup, Some(Popup::Themes { .. })) => {
                let Some(Popup::Themes { selected }) = self.popup.take() else {
                    return Vec::new();
                };
                self.themes
                    .get(selected)
                    .map(|name| Effect::Theme(name.clone()))
                    .into_iter()
                    .collect()
            }
            action => self
                .command(action)
                .into_iter()
                .map(Effect::Engine)
                .collect(),
        }
    }

    /// Text the terminal says was pasted (bracketed paste): it goes whole
    /// into the field, prompt or editor that typed keys would go to, in one
    /// step rather than a key press a character.
    fn paste(&mut self, text: &str) {
        match &mut self.popup {
            Some(Popup::Prompt { ask, input, error }) => {
                insert_pasted(input, text, false);
                mask_secret(ask, input);
                *error = check_prompt(
                    ask,
                    &input.lines()[0],
                    &self.pending,
                    self.brokers.len(),
                    self.topics.as_deref(),
                )
                .err();
            }
            Some(Popup::Rules { editor, error, .. })
            | Some(Popup::ProfileEditor { editor, error, .. }) => {
                insert_pasted(editor, text, true);
                *error = None;
            }
            Some(_) => {}
            None => match self.focus {
                Focus::Key => self.key.paste(text),
                Focus::Value => self.value.paste(text),
                Focus::Headers => insert_pasted(&mut self.headers, text, true),
                Focus::Partition => insert_pasted(&mut self.partition, text, false),
                Focus::Timestamp => insert_pasted(&mut self.timestamp, text, false),
                _ => {}
            },
        }
    }

    /// Keys no binding claims are text for the field or prompt being edited.
    fn type_key(&mut self, key: KeyEvent) {
        if matches!(self.popup, Some(Popup::Records(_))) {
            return self.search_listed(key);
        }
        match &mut self.popup {
            Some(Popup::Prompt { ask, input, error }) => {
                input.input(key);
                mask_secret(ask, input);
                *error = check_prompt(
                    ask,
                    &input.lines()[0],
                    &self.pending,
                    self.brokers.len(),
                    self.topics.as_deref(),
                )
                .err();
            }
            Some(Popup::Help(_)) => self.popup = None,
            Some(Popup::Rules { editor, error, .. })
            | Some(Popup::ProfileEditor { editor, error, .. }) => {
                editor.input(key);
                *error = None;
            }
            Some(Popup::Topics { .. })
            | Some(Popup::Themes { .. })
            | Some(Popup::Templates { .. })
            | Some(Popup::Profiles { .. })
            | Some(Popup::Records(_))
            | Some(Popup::Compare) => {}
            None => match self.focus {
                Focus::Key => {
                    self.key.input(key);
                }
                Focus::Value => {
                    self.value.input(key);
                }
                Focus::Headers => {
                    self.headers.input(key);
                }
                Focus::Partition => {
                    let _ = single_line_input(&mut self.partition, key);
                }
                Focus::Timestamp => {
                    let _ = single_line_input(&mut self.timestamp, key);
                }
                _ => {}
            },
        }
    }

    /// Everything an action does to the state, and the commands it sends.
    fn command(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Quit => {
                if self.quitting {
                    self.quit = true;
                    return Vec::new();
                }
                self.quitting = true;
                let n = self.totals.in_flight();
                self.note(
                    Level::Warn,
                    format!(
                        "quitting: flushing {n} record(s) in flight; Ctrl-C again quits at once"
                    ),
                );
                return vec![Command::Shutdown];
            }
            Action::Help => self.popup = Some(Popup::Help(0)),
            Action::FocusNext => self.focus = self.focus.step(1),
            Action::FocusPrev => self.focus = self.focus.step(-1),
            Action::Send => {
                return match self.drafts() {
                    Ok(ds) => ds.into_iter().map(Command::Send).collect(),
                    Err(e) => {
                        self.note(Level::Error, format!("not sent: {e}"));
                        Vec::new()
                    }
                }
            }
            Action::Burst => {
                if let Some(why) = self.burst_running() {
                    self.note(Level::Warn, why);
                } else if let Err(e) = self.draft() {
                    self.note(Level::Error, format!("not sent: {e}"));
                } else {
                    self.prompt(Ask::BurstCount, "");
                }
            }
            Action::TopicPicker => {
                let selected = self
                    .topics
                    .as_ref()
                    .and_then(|ts| ts.iter().position(|t| t.name == self.topic))
                    .unwrap_or(0);
                self.popup = Some(Popup::Topics { selected });
                return vec![Command::RefreshTopics];
            }
            Action::ToggleNull => match self.focus {
                Focus::Key => self.key.toggle_null(),
                Focus::Value => self.value.toggle_null(),
                _ => {}
            },
            Action::CycleSerializer => match self.focus {
                Focus::Key => self.key.cycle_serializer(),
                Focus::Value => self.value.cycle_serializer(),
                _ => {}
            },
            Action::Schema => {
                let focus = self.focus;
                let field = match focus {
                    Focus::Key => &self.key,
                    Focus::Value => &self.value,
                    _ => return Vec::new(),
                };
                let initial = field
                    .schema
                    .as_ref()
                    .map(|s| super::ask_text(&s.ask))
                    .unwrap_or_default();
                self.prompt(Ask::Schema(focus), &initial);
            }
            Action::RandomRecord => self.random_record(),
            Action::SaveTemplate => self.prompt(Ask::TemplateName, ""),
            // The runner lists the files and exports the run (act).
            Action::TemplatePicker
            | Action::Export
            | Action::Records
            | Action::Mark
            | Action::SendAll
            | Action::LoadRecord
            | Action::OpenRecordFile => {}
            Action::ClearField => match (&mut self.popup, self.focus) {
                (Some(Popup::Prompt { input, error, .. }), _) => {
                    **input = TextArea::default();
                    *error = None;
                }
                (Some(Popup::Records(list)), _) => {
                    list.query.clear();
                    list.refilter();
                }
                (Some(_), _) => {}
                (None, Focus::Key) => self.key.clear(),
                (None, Focus::Value) => self.value.clear(),
                (None, Focus::Headers) => self.headers = super::model::headers_area(),
                (None, Focus::Partition) => self.partition = super::model::partition_area(),
                (None, Focus::Timestamp) => self.timestamp = super::model::timestamp_area(),
                (None, _) => {}
            },
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.move_selection(action),
            Action::Edit => {
                let names = self.setting_names();
                if let Some(name) = names.get(self.setting_row) {
                    let current = self.pending.get(name).unwrap_or("").to_string();
                    self.prompt(Ask::SettingValue(name.clone()), &current);
                }
            }
            Action::AddProperty => self.prompt(Ask::Property, ""),
            Action::ResetSetting => {
                let names = self.setting_names();
                if let Some(name) = names.get(self.setting_row) {
                    // The chosen defaults' value (`D`), not always Java's.
                    match crate::engine::settings::spec(name) {
                        Some(s) => {
                            let _ = self.pending.set(name, &self.defaults.of(s));
                        }
                        None => self.pending.reset(name),
                    }
                    let rows = self.setting_names().len();
                    self.setting_row = self.setting_row.min(rows - 1);
                }
            }
            Action::Revert => self.pending = self.applied.clone(),
            Action::Zoom => self.zoomed = !self.zoomed,
            Action::CycleDefaults => {
                self.defaults = self.defaults.next();
                let n = self.differing();
                self.note(
                    Level::Info,
                    format!(
                        "settings held against {}'s defaults: {n} differ (•); = sets them all",
                        self.defaults.name()
                    ),
                );
            }
            Action::ApplyDefaults => match self.defaults.apply_to(&mut self.pending) {
                Ok(()) => self.note(
                    Level::Info,
                    format!(
                        "every setting at {}'s defaults, not applied yet: a applies, u undoes",
                        self.defaults.name()
                    ),
                ),
                Err(e) => self.note(Level::Error, format!("defaults not set: {e}")),
            },
            Action::Apply => return self.apply(),
            Action::CycleFilter => {
                self.log.filter = self.log.filter.next();
                self.log.scroll = 0;
            }
            Action::ToggleRequests => {
                self.requests.shown = !self.requests.shown;
                self.log.scroll = 0;
            }
            Action::Fault => self.prompt(Ask::Fault, ""),
            Action::Reset => return self.reset(),
            Action::Confirm => return self.confirm(),
            Action::Cancel => self.popup = None,
            Action::Refresh => return vec![Command::RefreshTopics],
            Action::NewTopic => self.prompt(Ask::NewTopic, ""),
            Action::Compare => {
                if let Err(e) = self.draft() {
                    self.note(Level::Error, format!("nothing to compare: {e}"));
                } else {
                    let last = self
                        .compare
                        .as_ref()
                        .map(|c| format!("{} {}", c.count, c.labels.join(" vs ")));
                    let initial = last.unwrap_or_else(|| {
                        "1000 partitioner=round_robin vs partitioner=uniform_sticky".into()
                    });
                    self.prompt(Ask::Compare, &initial);
                }
            }
            Action::ShowCompare => {
                if self.compare.is_some() {
                    self.popup = Some(Popup::Compare);
                } else {
                    self.note(
                        Level::Info,
                        "no comparison yet: c in the chart pane starts one".into(),
                    );
                }
            }
            // `act` takes them: they need the rule file, or the terminal.
            Action::EditRules
            | Action::SaveRules
            | Action::Suspend
            | Action::ProfilePicker
            | Action::NewProfile
            | Action::EditProfile
            | Action::SaveProfile => {}
            Action::ThemePicker => self.popup = Some(Popup::Themes { selected: 0 }),
            Action::Rebuild => return vec![Command::Rebuild],
            Action::Begin => return vec![Command::Begin],
            Action::Commit => return vec![Command::Commit],
            Action::Abort => return vec![Command::Abort],
            Action::Fence => return vec![Command::Fence],
            Action::AlsoTopic => {
                if let Some(Popup::Topics { selected }) = &self.popup {
                    let name = self
                        .topics
                        .as_ref()
                        .and_then(|ts| ts.get(*selected))
                        .map(|t| t.name.clone());
                    if let Some(name) = name.filter(|n| *n != self.topic) {
                        match self.also.iter().position(|t| *t == name) {
                            Some(i) => {
                                self.also.remove(i);
                            }
                            None => self.also.push(name),
                        }
                        let targets = self.targets();
                        self.note(Level::Info, format!("records go to {targets}"));
                    }
                }
            }
            Action::PauseFlow => {
                let (totals, now) = (self.totals, self.now);
                match &mut self.flow {
                    Some(f) if !f.finished(&totals) && !f.stopped => {
                        if let Some(at) = f.paused_at.take() {
                            f.paused_for += now.saturating_duration_since(at);
                            return vec![Command::Resume];
                        }
                        f.paused_at = Some(now);
                        return vec![Command::Pause];
                    }
                    _ => self.note(Level::Info, "no burst is running".into()),
                }
            }
            Action::StopFlow => {
                let (totals, now) = (self.totals, self.now);
                match &mut self.flow {
                    Some(f) if !f.finished(&totals) && !f.stopped => {
                        f.stopped = true;
                        if let Some(at) = f.paused_at.take() {
                            f.paused_for += now.saturating_duration_since(at);
                        }
                        let sent = f.sent(&totals);
                        self.note(
                            Level::Info,
                            format!("burst stopped after about {sent} record(s)"),
                        );
                        return vec![Command::Stop];
                    }
                    _ => self.note(Level::Info, "no burst is running".into()),
                }
            }
        }
        Vec::new()
    }

    /// An engine event. The first record line held back since the count
    /// was last told asks for the count to be told a second later: the
    /// lines may stop coming, and nothing else would tell it.
    fn event(&mut self, event: Event) -> Vec<Effect> {
        let held = self.held_back;
        let (now, now_ms) = (self.now, self.now_ms());
        if let Some(f) = &mut self.flow {
            f.take(&event, now, now_ms);
        }
        // Each ended transaction is read back under both isolation levels.
        let ended = matches!(&event, Event::Transaction(t) if matches!(t.state, TxnState::Committed | TxnState::Aborted))
            && self.connection.as_ref().is_some_and(|c| c.verify);
        self.on_event_inner(event);
        let mut effects = Vec::new();
        if ended {
            effects.push(Effect::Engine(Command::ReadTransactions));
        }
        if let Some(f) = &mut self.flow {
            if f.ended.is_none() && f.finished(&self.totals) {
                f.ended = Some(self.now);
                f.at_end = Some(self.totals);
            }
        }
        if held == 0 && self.held_back > 0 {
            effects.push(Effect::Timer {
                at: self.now + Duration::from_secs(1),
                msg: Msg::TellHeldBack,
            });
        }
        effects
    }

    fn on_event_inner(&mut self, event: Event) {
        match event {
            Event::Connected {
                bootstrap,
                embedded,
                proxy,
                verify,
            } => {
                let text = match (embedded, &proxy) {
                    (true, _) => format!("embedded cluster (librdkafka mock, 3 brokers) at {bootstrap}: other clients can connect there"),
                    (false, Some(p)) => format!("connecting to {bootstrap} through kprod's proxy at {p}: faults (Ctrl-F) are made there"),
                    (false, None) => format!("connecting to {bootstrap}"),
                };
                self.push(Status::Notice(Level::Info), text);
                self.connection = Some(Connection {
                    bootstrap,
                    embedded,
                    proxy,
                    verify,
                });
            }
            Event::Topics(cluster) => {
                let known = cluster.topics.iter().any(|t| t.name == self.topic);
                // Warn when the topic is first found missing, not every refresh.
                let was_known = self.partition_count().is_some() || self.topics.is_none();
                if known && !was_known {
                    let n = cluster
                        .topics
                        .iter()
                        .find(|t| t.name == self.topic)
                        .map_or(0, |t| t.partitions);
                    self.note(
                        Level::Info,
                        format!("topic '{}' exists now ({n} partitions)", self.topic),
                    );
                }
                if !known && was_known {
                    self.note(
                        Level::Warn,
                        format!(
                            "topic '{}' does not exist on the cluster (Ctrl-T lists the topics)",
                            self.topic
                        ),
                    );
                }
                self.brokers = cluster.brokers;
                self.topics = Some(cluster.topics);
                if let Some(n) = self.partition_count() {
                    self.chart_resize(n as usize);
                }
            }
            Event::Queued {
                id,
                topic,
                partition,
                key_len,
                value_len,
            } => {
                self.totals.sent += 1;
                self.next_id = self.next_id.max(id + 1);
                if self.txn.open() {
                    self.txn.records += 1;
                }
                if !self.admit() {
                    return;
                }
                let to = partition.map(|p| format!(" -> p{p}")).unwrap_or_default();
                self.push(
                    Status::Queued,
                    format!(
                        "#{id} queued {topic}{to}  key {}  value {}",
                        len(key_len),
                        len(value_len)
                    ),
                );
            }
            Event::Acked(ack) => {
                self.totals.acked += 1;
                // The chart is the current topic's; acks of an earlier one
                // still count in the totals and the log.
                if ack.topic == self.topic {
                    let p = ack.partition.max(0) as usize;
                    if self.chart.len() <= p {
                        self.chart_resize(p + 1);
                    }
                    self.chart[p] += 1;
                }
                if self.admit() {
                    let embedded = self.connection.as_ref().is_some_and(|c| c.embedded);
                    let now = self.now_ms();
                    self.push_record(
                        Status::Acked,
                        ack_line(&ack, embedded, now),
                        super::record_of(&ack),
                    );
                }
            }
            Event::Request(r) => {
                let trouble = match &r.outcome {
                    Sent::InFlight if r.is_retry() => Some(Status::Batch),
                    Sent::Failed(_) | Sent::TimedOut(_) => Some(Status::Failed),
                    _ => None,
                };
                // Retries and failures are what a flood would hide: only
                // record lines are sampled.
                if let Some(status) = trouble {
                    self.push(status, request_line(&r));
                }
                self.requests.record(r);
            }
            Event::Stats { topic, sent } => {
                if topic == self.topic {
                    self.sent.add(&sent);
                }
            }
            Event::Batch(b) => {
                if b.topic == self.topic {
                    let p = b.partition.max(0) as usize;
                    if self.batches.len() <= p {
                        self.chart_resize(p + 1);
                    }
                    let stat = &mut self.batches[p];
                    stat.batches += 1;
                    stat.records += u64::from(b.records);
                    stat.record_bytes += b.record_bytes;
                    stat.wire_bytes += b.wire_bytes;
                    stat.codec = b.codec.clone();
                }
                // A batch stands for many records: its line is never
                // sampled away with theirs.
                let resent = match b.resends {
                    0 => String::new(),
                    n => format!(", sent {} times", n + 1),
                };
                self.push(
                    Status::Batch,
                    format!(
                        "batch {} p{}  {} records  {} B -> {} B {}  broker {}{resent}",
                        b.topic,
                        b.partition,
                        b.records,
                        b.record_bytes,
                        b.wire_bytes,
                        b.codec,
                        b.broker
                    ),
                );
            }
            Event::Failed {
                id,
                partition,
                code,
                message,
                latency,
                ..
            } => {
                self.totals.failed += 1;
                let p = partition.map(|p| format!(" p{p}")).unwrap_or_default();
                self.push(
                    Status::Failed,
                    format!("#{id} failed{p}  {code}: {message}  after {}", ms(latency)),
                );
            }
            Event::Fatal {
                code,
                reason,
                in_flight,
            } => self.fatal(code, reason, in_flight),
            Event::Applied { settings, changes } => {
                self.fatal = None;
                let what = if changes.is_empty() {
                    "nothing changed".to_string()
                } else {
                    changes.join(", ")
                };
                self.note(Level::Info, format!("producer rebuilt: {what}"));
                self.applied = settings;
                // A new producer gets a new id, or none without idempotence.
                self.requests.pid = None;
            }
            Event::TopicConfigs(configs) => self.topic_configs = configs,
            Event::SchemaResolved {
                is_key,
                ask,
                result,
                registry,
            } => self.schema_resolved(is_key, ask, result.map_err(words::error), registry),
            Event::Notice { level, text } => {
                // librdkafka repeats connection errors on every retry.
                let repeat = self.log.lines.back().is_some_and(|l| l.text == text);
                if !repeat {
                    self.note(level, text);
                }
            }
            Event::Verification(summary) => {
                if summary.complete {
                    let t = summary.total();
                    let level = if summary.no_loss()
                        && t.duplicated == 0
                        && t.reordered == 0
                        && t.uncommitted == 0
                    {
                        Level::Info
                    } else {
                        Level::Warn
                    };
                    self.note(
                        level,
                        format!(
                            "verified: {} acked, {} read back, {} missing, {} duplicated, {} misplaced, {} reordered, {} uncommitted (above the high watermark), {} failed, but written",
                            t.acked, t.read_back, t.missing, t.duplicated, t.misplaced, t.reordered, t.uncommitted, t.failed_written
                        ),
                    );
                }
                self.verification = Some(summary);
            }
            Event::VerifyIssue {
                kind,
                topic,
                partition,
                offset,
                id,
            } => {
                let at = offset.map(|o| format!(" offset {o}")).unwrap_or_default();
                self.push(
                    Status::Issue,
                    format!("#{id} {} {topic} p{partition}{at}", kind.label()),
                );
            }
            Event::Compared { index, of, outcome } => {
                if let Some(c) = &mut self.compare {
                    if c.outcomes.len() == index {
                        c.outcomes.push(outcome.map_err(words::error));
                    }
                }
                if index + 1 == of {
                    self.note(Level::Info, "comparison done (v shows it again)".into());
                }
            }
            Event::FaultAnswered {
                fault,
                refused: Some(e),
            } => self.note(
                Level::Error,
                format!("fault not made: {fault}: {}", words::error(e)),
            ),
            // Its notices told the user.
            Event::FaultAnswered { refused: None, .. } => {}
            Event::TxnReady { .. } | Event::Transaction(_) | Event::TxnReadBack(_) => {
                self.on_transaction(event)
            }
            // The engine has stopped, asked to by a quit or by a signal:
            // the console has nothing left to show.
            Event::ShutdownComplete { .. } => self.quit = true,
        }
    }

    /// Why a new burst cannot start now: one is still running, and two
    /// would share one pause and stop and mix their figures.
    fn burst_running(&self) -> Option<String> {
        let f = self.flow.as_ref().filter(|f| !f.finished(&self.totals))?;
        let stop = keymap::BINDINGS
            .iter()
            .find(|b| b.action == Action::StopFlow)
            .map_or_else(|| "stop".into(), keymap::label);
        Some(format!(
            "a burst is running ({} of {}): {stop} stops it; a new one starts after it ends",
            f.done(&self.totals),
            f.target
        ))
    }

    /// The producer died: say so with librdkafka's reason, and how to get a
    /// working one back.
    fn fatal(&mut self, code: String, reason: String, in_flight: u64) {
        let key = keymap::BINDINGS
            .iter()
            .find(|b| b.action == Action::Rebuild)
            .map_or_else(|| "the rebuild key".into(), keymap::label);
        self.note(
            Level::Error,
            format!("FATAL {code}: {reason}. The producer takes no more records; {in_flight} were in flight. Press {key} to rebuild it"),
        );
        self.fatal = Some(code);
    }

    /// Whether a per-record line may go in the log now. Above
    /// LINES_PER_SEC they are counted instead, and the count is told a
    /// second after the first of them.
    fn admit(&mut self) -> bool {
        let (tokens, since) = &mut self.budget;
        let now = self.now;
        *tokens = (*tokens + (now - *since).as_secs_f64() * LINES_PER_SEC).min(LINES_PER_SEC);
        *since = now;
        if *tokens < 1.0 {
            self.held_back += 1;
            return false;
        }
        *tokens -= 1.0;
        true
    }

    /// The count of record lines held back, told once.
    fn tell_held_back(&mut self) {
        let n = std::mem::take(&mut self.held_back);
        if n > 0 {
            self.push(
                Status::Notice(Level::Info),
                format!("… {n} record lines not listed (over {LINES_PER_SEC:.0} a second): the totals, chart and verifier count every one"),
            );
        }
    }

    /// Everything counted starts from zero, so that a lesson does; only
    /// once nothing is in flight, or its acks would count into the new
    /// start.
    fn reset(&mut self) -> Vec<Command> {
        let stop = keymap::BINDINGS
            .iter()
            .find(|b| b.action == Action::StopFlow)
            .map_or_else(|| "stop".into(), keymap::label);
        let in_flight = self.totals.in_flight();
        let why = if self.burst_running().is_some() {
            format!("a burst is running: {stop} stops it")
        } else if in_flight > 0 {
            format!("{in_flight} record(s) in flight; reset once they are acked or failed")
        } else {
            self.chart_reset(self.chart.len());
            self.totals = Totals::default();
            self.flow = None;
            self.verification = None;
            let r = &mut self.requests;
            (r.retries, r.timeouts, r.errors) = (0, 0, 0);
            self.note(
                Level::Info,
                "reset: the chart, the counters and the verifier start from zero".into(),
            );
            return vec![Command::Reset { from: self.next_id }];
        };
        self.note(Level::Warn, format!("not reset: {why}"));
        Vec::new()
    }

    /// The chart for `n` partitions, counts kept.
    fn chart_resize(&mut self, n: usize) {
        self.chart.resize(n, 0);
        self.batches.resize(n, BatchStat::default());
    }

    /// The chart for `n` partitions, counts zeroed.
    fn chart_reset(&mut self, n: usize) {
        self.chart = vec![0; n];
        self.batches = vec![BatchStat::default(); n];
        self.sent = stats::Sent::default();
    }

    pub(super) fn push(&mut self, status: Status, text: String) {
        self.push_record(status, text, None);
    }

    /// A log line with the record's key and value, for where they fit.
    fn push_record(&mut self, status: Status, text: String, record: Option<(String, String)>) {
        // A record's line carries its transaction: a group in the log.
        let text = match (status, self.txn.tag()) {
            (Status::Queued | Status::Acked | Status::Failed, Some(tag)) => tag + &text,
            _ => text,
        };
        self.log.push(status, text, record);
    }

    /// A notice in the log that also shows in the status bar.
    pub(super) fn note(&mut self, level: Level, text: String) {
        self.flash = Some((level, text.clone()));
        self.push(Status::Notice(level), text);
    }

    pub(super) fn prompt(&mut self, ask: Ask, initial: &str) {
        let mut input = Box::new(TextArea::new(vec![initial.to_string()]));
        input.move_cursor(tui_textarea::CursorMove::End);
        mask_secret(&ask, &mut input);
        let error = check_prompt(
            &ask,
            initial,
            &self.pending,
            self.brokers.len(),
            self.topics.as_deref(),
        )
        .err()
        .filter(|_| !initial.is_empty());
        self.popup = Some(Popup::Prompt { ask, input, error });
    }

    fn move_selection(&mut self, action: Action) {
        match (&mut self.popup, self.focus) {
            (Some(Popup::Help(scroll)), _) => {
                // The view clamps; the length of the help is the bound here.
                *scroll = step(*scroll, action, keymap::BINDINGS.len() + 16);
            }
            (Some(Popup::Topics { selected }), _) => {
                let n = self.topics.as_ref().map_or(0, Vec::len);
                *selected = step(*selected, action, n);
            }
            (Some(Popup::Templates { selected, error }), _) => {
                *selected = step(*selected, action, self.templates.len());
                *error = None;
            }
            (Some(Popup::Themes { selected }), _) => {
                *selected = step(*selected, action, self.themes.len());
            }
            (Some(Popup::Records(list)), _) => {
                list.selected = step(list.selected, action, list.shown.len());
            }
            (Some(Popup::Profiles { selected }), _) => {
                *selected = step(*selected, action, self.profiles.len());
            }
            (None, Focus::Settings) => {
                let n = self.setting_names().len();
                self.setting_row = step(self.setting_row, action, n);
            }
            (None, Focus::Log) => {
                let page = 10;
                // The pane shows the requests or the log lines that pass.
                let lines = if self.requests.shown {
                    self.requests.recent.len()
                } else {
                    self.log.visible().count()
                };
                match action {
                    Action::Up => self.log.scroll_by(1, lines),
                    Action::Down => self.log.scroll_by(-1, lines),
                    Action::PageUp => self.log.scroll_by(page, lines),
                    Action::PageDown => self.log.scroll_by(-page, lines),
                    Action::Top => self.log.scroll = lines.saturating_sub(1),
                    _ => self.log.scroll = 0,
                }
            }
            _ => {}
        }
    }

    fn confirm(&mut self) -> Vec<Command> {
        match self.popup.take() {
            Some(Popup::Topics { selected }) => {
                let chosen = self
                    .topics
                    .as_ref()
                    .and_then(|ts| ts.get(selected))
                    .cloned();
                if let Some(t) = chosen {
                    if t.name != self.topic {
                        self.also.retain(|a| *a != t.name);
                        self.topic = t.name;
                        self.chart_reset(t.partitions as usize);
                        self.note(
                            Level::Info,
                            format!(
                                "topic is now '{}' ({} partitions)",
                                self.topic, t.partitions
                            ),
                        );
                        return self.schemas_for_topic();
                    }
                }
            }
            Some(Popup::Prompt { ask, input, error }) => {
                let text = input.lines()[0].clone();
                match check_prompt(
                    &ask,
                    &text,
                    &self.pending,
                    self.brokers.len(),
                    self.topics.as_deref(),
                ) {
                    Err(e) => {
                        let _ = error;
                        self.popup = Some(Popup::Prompt {
                            ask,
                            input,
                            error: Some(e),
                        });
                    }
                    Ok(()) => return self.accept_prompt(ask, &text),
                }
            }
            other => self.popup = other,
        }
        Vec::new()
    }

    fn accept_prompt(&mut self, ask: Ask, text: &str) -> Vec<Command> {
        match ask {
            Ask::BurstCount => {
                let Ok((count, rate)) = burst_size(text) else {
                    return Vec::new();
                };
                match self
                    .draft()
                    .and_then(|d| d.filler().map(|_| d).map_err(words::error))
                {
                    Ok(draft) => {
                        // Each copy goes to every topic named: the bar
                        // counts records, and so does the rate it aims at.
                        let topics = 1 + self.also.len() as u64;
                        let target_rate = rate.map(|r| r * topics as f64);
                        self.flow = Some(Flow::new(
                            count * topics,
                            target_rate,
                            self.totals,
                            self.now,
                        ));
                        return vec![Command::Burst {
                            draft,
                            count,
                            rate,
                            also: self.also.clone(),
                        }];
                    }
                    Err(e) => self.note(Level::Error, format!("not sent: {e}")),
                }
            }
            Ask::NewTopic => {
                if let Ok(topic) = new_topic(text, self.brokers.len()) {
                    return vec![Command::CreateTopic(topic)];
                }
            }
            Ask::SettingValue(name) => {
                // check_prompt validated it already.
                let _ = self.pending.set(&name, text);
            }
            Ask::Fault => {
                if let Ok((fault, told)) = super::prompt::fault(text, self.topics.as_deref()) {
                    for line in told {
                        self.push(Status::Notice(Level::Info), line);
                    }
                    return vec![Command::Fault(fault)];
                }
            }
            Ask::Compare => match (
                compare::parse(&self.pending, text).map_err(words::error),
                self.draft(),
            ) {
                (Ok(plan), Ok(draft)) => {
                    self.compare = Some(Comparison {
                        count: plan.count,
                        rate: plan.rate,
                        labels: plan.variants.iter().map(|v| v.label.clone()).collect(),
                        outcomes: Vec::new(),
                    });
                    self.popup = Some(Popup::Compare);
                    return vec![Command::Compare { draft, plan }];
                }
                (Err(e), _) | (_, Err(e)) => self.note(Level::Error, format!("not compared: {e}")),
            },
            Ask::Schema(focus) => return self.schema_chosen(focus, text),
            // Saved by its own Confirm, which writes the file.
            Ask::TemplateName | Ask::RecordsFile => {}
            Ask::Property => {
                let _ = self.pending.set_pair(text);
                let names = self.setting_names();
                let name = text.split('=').next().unwrap_or("").trim();
                self.setting_row = settings::spec(name)
                    .and_then(|s| names.iter().position(|n| n == s.java))
                    .or_else(|| names.iter().position(|n| n == name))
                    .unwrap_or(self.setting_row);
            }
        }
        Vec::new()
    }

    fn apply(&mut self) -> Vec<Command> {
        if let Err(e) = self.pending.check() {
            self.note(Level::Error, format!("not applied: {e}"));
            return Vec::new();
        }
        if self.pending == self.applied {
            self.note(
                Level::Info,
                "nothing to apply: the settings are those in use".into(),
            );
            return Vec::new();
        }
        let n = self.totals.in_flight();
        self.note(
            Level::Info,
            format!("applying settings once {n} record(s) in flight are delivered or failed"),
        );
        for name in self.setting_names() {
            if self.pending.get(&name) != self.applied.get(&name) {
                self.origins.insert(name, "the settings pane".into());
            }
        }
        vec![Command::Apply(self.pending.clone())]
    }
}

/// Single-line fields ignore Enter rather than grow a second line. Returns
/// whether the text changed.
fn single_line_input(area: &mut TextArea<'static>, key: KeyEvent) -> bool {
    key.code != crossterm::event::KeyCode::Enter && area.input(key)
}

fn step(at: usize, action: Action, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    match action {
        Action::Up => at.saturating_sub(1),
        Action::Down => (at + 1).min(n - 1),
        Action::PageUp => at.saturating_sub(10),
        Action::PageDown => (at + 10).min(n - 1),
        Action::Top => 0,
        Action::Bottom => n - 1,
        _ => at,
    }
}

fn len(n: Option<usize>) -> String {
    match n {
        Some(n) => format!("{n} B"),
        None => "null".into(),
    }
}

/// A secret setting is edited behind a mask, as a password field is; a
/// property typed as name=value is masked once its name says secret.
fn mask_secret(ask: &Ask, input: &mut TextArea) {
    let secret = match ask {
        Ask::SettingValue(name) => settings::is_secret(name),
        Ask::Property => input.lines()[0]
            .split_once('=')
            .is_some_and(|(name, _)| settings::is_secret(name)),
        _ => false,
    };
    match secret {
        true => input.set_mask_char('•'),
        false => input.clear_mask_char(),
    }
}
