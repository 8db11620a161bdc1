//! Keys to actions, per context; the help screen and the status bar hints are
//! generated from this one table so they cannot drift from what keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere outside a popup.
    Global,
    /// In a pane where keys are not typed as text (settings, log, chart).
    NotTyping,
    /// In the key or value field.
    Nullable,
    Settings,
    Log,
    Chart,
    /// A popup that asks for a line of text.
    Prompt,
    /// The topic picker.
    Picker,
    /// The theme picker.
    Themes,
    /// The template picker.
    Templates,
    /// The record list: history or a file of records.
    Records,
    /// The profile picker.
    Profiles,
    /// The profile editor.
    ProfileEditor,
    /// The help screen.
    Help,
    /// The partition rule editor.
    Rules,
    /// The comparison results.
    Compare,
    /// Anywhere outside a popup, while the producer is dead of a fatal error.
    Fatal,
    /// Anywhere outside a popup, with a transactional.id applied.
    Transactional,
}

impl Scope {
    /// Every scope, in the order the help lists them.
    pub const IN_HELP: [Scope; 18] = [
        Scope::Global,
        Scope::Nullable,
        Scope::NotTyping,
        Scope::Settings,
        Scope::Log,
        Scope::Chart,
        Scope::Picker,
        Scope::Themes,
        Scope::Templates,
        Scope::Records,
        Scope::Profiles,
        Scope::ProfileEditor,
        Scope::Prompt,
        Scope::Rules,
        Scope::Compare,
        Scope::Fatal,
        Scope::Transactional,
        Scope::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::NotTyping => "Settings, log and chart panes",
            Scope::Nullable => "Key and value fields",
            Scope::Settings => "Settings pane",
            Scope::Log => "Event log",
            Scope::Chart => "Partition chart",
            Scope::Prompt => "Input popup",
            Scope::Picker => "Topics (Ctrl-T)",
            Scope::Themes => "Themes (F2)",
            Scope::Templates => "Record templates (F10)",
            Scope::Records => "History and files of records (F4)",
            Scope::Profiles => "Connection profiles (F3)",
            Scope::ProfileEditor => "Profile editor (n or e in profiles)",
            Scope::Help => "This help",
            Scope::Rules => "Partition rule editor (r in settings)",
            Scope::Compare => "Comparison (c in the chart pane)",
            Scope::Fatal => "After a fatal producer error",
            Scope::Transactional => "With a transactional.id (settings pane)",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub code: KeyCode,
    pub mods: KeyModifiers,
    pub scope: Scope,
    pub action: Action,
    pub help: &'static str,
    /// A word or two for the status bar's hints, if it belongs there.
    pub hint: Option<&'static str>,
}

const fn bind(
    code: KeyCode,
    mods: KeyModifiers,
    scope: Scope,
    action: Action,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        code,
        mods,
        scope,
        action,
        help,
        hint,
    }
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

use Action as A;
use KeyCode as K;
use Scope as S;

#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(K::Char('s'), CTRL, S::Global, A::Send, "send the composed record", Some("send")),
    bind(K::Char('r'), CTRL, S::Global, A::Burst, "burst: N, N@RATE or RATE/s DURATION, with generators", Some("burst")),
    bind(K::Char('p'), CTRL, S::Global, A::PauseFlow, "pause the running burst, or resume it", None),
    bind(K::Char('x'), CTRL, S::Global, A::StopFlow, "stop the running burst", None),
    bind(K::Char('t'), CTRL, S::Global, A::TopicPicker, "pick the topic", Some("topic")),
    bind(K::Char('f'), CTRL, S::Global, A::Fault, "fault: a broker down or up, slow, lost acks, failed requests, leader move", Some("fault")),
    bind(K::Tab, NONE, S::Global, A::FocusNext, "next field or pane", Some("next")),
    bind(K::BackTab, SHIFT, S::Global, A::FocusPrev, "previous field or pane", None),
    bind(K::F(1), NONE, S::Global, A::Help, "show every key binding", Some("help")),
    bind(K::F(2), NONE, S::Global, A::ThemePicker, "choose a colour theme", None),
    bind(K::F(3), NONE, S::Global, A::ProfilePicker, "connection profiles: switch, make, change", None),
    bind(K::Char('w'), CTRL, S::Global, A::Export, "export the run: every event and the verifier's summary, as JSON Lines", None),
    bind(K::F(9), NONE, S::Global, A::SaveTemplate, "save the composed record as a template, by name", None),
    bind(K::F(12), NONE, S::Global, A::Zoom, "zoom the focused pane to the whole screen (again: every pane)", None),
    bind(K::F(10), NONE, S::Global, A::TemplatePicker, "record templates: load one into the composer", None),
    bind(K::F(4), NONE, S::Global, A::Records, "history of records sent (and files of records): search, re-send, edit", None),
    bind(K::Char('l'), CTRL, S::Global, A::Reset, "reset: the chart, the counters and the verifier start from zero", None),
    bind(K::Char('c'), CTRL, S::Global, A::Quit, "quit once in-flight records are done (twice: now)", Some("quit")),
    bind(K::Char('z'), CTRL, S::Global, A::Suspend, "suspend to the shell (fg brings kprod back)", None),
    bind(K::Char('?'), NONE, S::NotTyping, A::Help, "show every key binding", None),
    bind(K::Char('u'), CTRL, S::Global, A::ClearField, "clear the field being typed in", None),
    bind(K::Char('n'), CTRL, S::Nullable, A::ToggleNull, "toggle null (null is not empty)", Some("null")),
    bind(K::Char('e'), CTRL, S::Nullable, A::CycleSerializer, "next serializer: String, numbers, Bytes, JSON", Some("type")),
    bind(K::Char('g'), CTRL, S::Nullable, A::Schema, "schema: avro, protobuf, json-schema, from a file or registry", None),
    bind(K::Char('o'), CTRL, S::Nullable, A::RandomRecord, "a random record valid for the field's schema", None),
    bind(K::Up, NONE, S::Settings, A::Up, "previous setting", None),
    bind(K::Down, NONE, S::Settings, A::Down, "next setting", None),
    bind(K::Enter, NONE, S::Settings, A::Edit, "edit the selected setting", Some("edit")),
    bind(K::Char('+'), NONE, S::Settings, A::AddProperty, "add a librdkafka property (name=value)", Some("add")),
    bind(K::Char('d'), NONE, S::Settings, A::ResetSetting, "back to default (or remove the property)", Some("default")),
    bind(K::Char('D'), NONE, S::Settings, A::CycleDefaults, "defaults of Java 4.x, 3.x, 2.8 or librdkafka (• marks what differs)", None),
    bind(K::Char('='), NONE, S::Settings, A::ApplyDefaults, "set every setting to those defaults (a applies them)", None),
    bind(K::Char('u'), NONE, S::Settings, A::Revert, "undo changes not yet applied", None),
    bind(K::Char('a'), NONE, S::Settings, A::Apply, "apply: rebuild the producer after in-flight", Some("apply")),
    bind(K::Up, NONE, S::Log, A::Up, "scroll up", None),
    bind(K::Down, NONE, S::Log, A::Down, "scroll down", None),
    bind(K::PageUp, NONE, S::Log, A::PageUp, "page up", None),
    bind(K::PageDown, NONE, S::Log, A::PageDown, "page down", None),
    bind(K::Home, NONE, S::Log, A::Top, "oldest line", None),
    bind(K::End, NONE, S::Log, A::Bottom, "newest line, follow", Some("follow")),
    bind(K::Char('f'), NONE, S::Log, A::CycleFilter, "filter: all, acked, failed, queued, batches, notices", Some("filter")),
    bind(K::Char('n'), NONE, S::Log, A::ToggleRequests, "network: every produce request (broker, rtt, retries) or the event log", Some("requests")),
    bind(K::Char('r'), NONE, S::Settings, A::EditRules, "edit the partition rules (partitioner=rules)", Some("rules")),
    bind(K::Char('r'), NONE, S::Chart, A::Reset, "reset the chart, the counters and the verifier (Ctrl-L too)", Some("reset")),
    bind(K::Char('c'), NONE, S::Chart, A::Compare, "compare: one burst under two settings, side by side", Some("compare")),
    bind(K::Char('v'), NONE, S::Chart, A::ShowCompare, "view the latest comparison again", None),
    bind(K::Enter, NONE, S::Prompt, A::Confirm, "accept", Some("accept")),
    bind(K::Char('u'), CTRL, S::Prompt, A::ClearField, "clear the text", None),
    bind(K::Esc, NONE, S::Prompt, A::Cancel, "cancel", Some("cancel")),
    bind(K::Up, NONE, S::Picker, A::Up, "previous topic", None),
    bind(K::Down, NONE, S::Picker, A::Down, "next topic", None),
    bind(K::Enter, NONE, S::Picker, A::Confirm, "use this topic", Some("use")),
    bind(K::Char('r'), NONE, S::Picker, A::Refresh, "ask the cluster again", Some("refresh")),
    bind(K::Char('n'), NONE, S::Picker, A::NewTopic, "create a topic: name partitions replicas [min.insync]", Some("new")),
    bind(K::Esc, NONE, S::Picker, A::Cancel, "close", Some("close")),
    bind(K::Up, NONE, S::Themes, A::Up, "previous theme", None),
    bind(K::Down, NONE, S::Themes, A::Down, "next theme", None),
    bind(K::Enter, NONE, S::Themes, A::Confirm, "use this theme", Some("use")),
    bind(K::Esc, NONE, S::Themes, A::Cancel, "close", Some("close")),
    bind(K::Up, NONE, S::Templates, A::Up, "previous template", None),
    bind(K::Down, NONE, S::Templates, A::Down, "next template", None),
    bind(K::Enter, NONE, S::Templates, A::Confirm, "load it into the composer", Some("load")),
    bind(K::Esc, NONE, S::Templates, A::Cancel, "close", Some("close")),
    bind(K::Up, NONE, S::Records, A::Up, "previous record", None),
    bind(K::Down, NONE, S::Records, A::Down, "next record", None),
    bind(K::PageUp, NONE, S::Records, A::PageUp, "ten records up", None),
    bind(K::PageDown, NONE, S::Records, A::PageDown, "ten records down", None),
    bind(K::Enter, NONE, S::Records, A::Confirm, "send the marked records, or this one, with the same bytes", Some("send")),
    bind(K::Tab, NONE, S::Records, A::Mark, "mark this record to send with others (again: unmark)", Some("mark")),
    bind(K::Char('a'), CTRL, S::Records, A::SendAll, "send every record the search matches", Some("all")),
    bind(K::Char('e'), CTRL, S::Records, A::LoadRecord, "load this record into the composer to edit", Some("edit")),
    bind(K::Char('o'), CTRL, S::Records, A::OpenRecordFile, "open a file of records: console-producer lines, or kcat -J JSON Lines", Some("file")),
    bind(K::F(4), NONE, S::Records, A::Records, "back to the history of records sent", None),
    bind(K::Char('u'), CTRL, S::Records, A::ClearField, "clear the search (type to search topic:, key:, value: or anywhere)", None),
    bind(K::Esc, NONE, S::Records, A::Cancel, "close", Some("close")),
    bind(K::Up, NONE, S::Profiles, A::Up, "previous profile", None),
    bind(K::Down, NONE, S::Profiles, A::Down, "next profile", None),
    bind(K::Enter, NONE, S::Profiles, A::Confirm, "connect with this profile (the connection is rebuilt)", Some("switch")),
    bind(K::Char('n'), NONE, S::Profiles, A::NewProfile, "make a new profile", Some("new")),
    bind(K::Char('e'), NONE, S::Profiles, A::EditProfile, "change this profile", Some("edit")),
    bind(K::Esc, NONE, S::Profiles, A::Cancel, "close", Some("close")),
    bind(K::Char('s'), CTRL, S::ProfileEditor, A::SaveProfile, "check and save to profiles.toml (secrets as references only)", Some("save")),
    bind(K::Esc, NONE, S::ProfileEditor, A::Cancel, "close without saving", Some("cancel")),
    bind(K::Up, NONE, S::Help, A::Up, "scroll up", None),
    bind(K::Down, NONE, S::Help, A::Down, "scroll down", Some("scroll")),
    bind(K::PageUp, NONE, S::Help, A::PageUp, "page up", None),
    bind(K::PageDown, NONE, S::Help, A::PageDown, "page down", None),
    bind(K::Esc, NONE, S::Help, A::Cancel, "close (any other key too)", Some("close")),
    bind(K::Char('s'), CTRL, S::Rules, A::SaveRules, "check, save and apply partitioner=rules", Some("save")),
    bind(K::Esc, NONE, S::Rules, A::Cancel, "close without saving", Some("cancel")),
    bind(K::Char('c'), NONE, S::Compare, A::Compare, "another comparison", Some("again")),
    bind(K::Esc, NONE, S::Compare, A::Cancel, "close", Some("close")),
    bind(K::Char('b'), CTRL, S::Fatal, A::Rebuild, "rebuild the dead producer with the same settings (re-initialises)", Some("rebuild")),
    bind(K::F(5), NONE, S::Transactional, A::Begin, "begin a transaction: what is sent until commit or abort belongs to it", Some("begin")),
    bind(K::F(6), NONE, S::Transactional, A::Commit, "commit: the transaction's records become visible to read_committed", Some("commit")),
    bind(K::F(7), NONE, S::Transactional, A::Abort, "abort: the records stay in the log, hidden from read_committed", Some("abort")),
    bind(K::F(8), NONE, S::Transactional, A::Fence, "fence: start a second producer with the same transactional.id", None),
    bind(K::Char(' '), NONE, S::Picker, A::AlsoTopic, "also send to this topic (one record to several, for a transaction)", Some("also")),
];

/// The action bound to `key` in the first of `scopes` that binds it.
pub fn lookup(scopes: &[Scope], key: KeyEvent) -> Option<Action> {
    // Terminals differ on whether a shifted character carries SHIFT.
    let mods = match key.code {
        KeyCode::Char(_) | KeyCode::BackTab => key.modifiers - KeyModifiers::SHIFT,
        _ => key.modifiers,
    };
    scopes.iter().find_map(|scope| {
        BINDINGS
            .iter()
            .find(|b| {
                b.scope == *scope && b.code == key.code && (b.mods - KeyModifiers::SHIFT) == mods
            })
            .map(|b| b.action)
    })
}

/// How a key is written on screen: `Ctrl-S`, `Shift-Tab`, `?`.
pub fn label(b: &Binding) -> String {
    let key = match b.code {
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(c) => c.to_ascii_uppercase().to_string(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if b.mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{key}")
    } else if let KeyCode::Char(c @ '!'..) = b.code {
        c.to_string()
    } else {
        key
    }
}

/// The bindings of the given scopes that belong in the status bar.
pub fn hints(scopes: &[Scope]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for scope in scopes {
        for b in BINDINGS.iter().filter(|b| b.scope == *scope) {
            if let Some(hint) = b.hint {
                out.push((label(b), hint));
            }
        }
    }
    out
}
