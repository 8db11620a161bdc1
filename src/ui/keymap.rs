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
    /// The help screen.
    Help,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::NotTyping => "Settings, log and chart panes",
            Scope::Nullable => "Key and value fields",
            Scope::Settings => "Settings pane",
            Scope::Log => "Event log",
            Scope::Chart => "Partition chart",
            Scope::Prompt => "Input popup",
            Scope::Picker => "Topic picker",
            Scope::Help => "This help",
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
    /// Shown in the status bar's hints for its scope.
    pub hint: bool,
}

const fn bind(
    code: KeyCode,
    mods: KeyModifiers,
    scope: Scope,
    action: Action,
    help: &'static str,
    hint: bool,
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

pub const BINDINGS: &[Binding] = &[
    bind(
        K::Char('s'),
        CTRL,
        S::Global,
        A::Send,
        "send the composed record",
        true,
    ),
    bind(
        K::Char('r'),
        CTRL,
        S::Global,
        A::Burst,
        "send a burst of N records ({seq} numbers them)",
        true,
    ),
    bind(
        K::Char('t'),
        CTRL,
        S::Global,
        A::TopicPicker,
        "pick the topic",
        true,
    ),
    bind(
        K::Tab,
        NONE,
        S::Global,
        A::FocusNext,
        "next field or pane",
        true,
    ),
    bind(
        K::BackTab,
        SHIFT,
        S::Global,
        A::FocusPrev,
        "previous field or pane",
        false,
    ),
    bind(
        K::F(1),
        NONE,
        S::Global,
        A::Help,
        "show every key binding",
        true,
    ),
    bind(
        K::Char('c'),
        CTRL,
        S::Global,
        A::Quit,
        "quit after flushing what is in flight (twice: at once)",
        true,
    ),
    bind(
        K::Char('?'),
        NONE,
        S::NotTyping,
        A::Help,
        "show every key binding",
        false,
    ),
    bind(
        K::Char('n'),
        CTRL,
        S::Nullable,
        A::ToggleNull,
        "toggle null (null is not empty)",
        true,
    ),
    bind(K::Up, NONE, S::Settings, A::Up, "previous setting", false),
    bind(K::Down, NONE, S::Settings, A::Down, "next setting", false),
    bind(
        K::Enter,
        NONE,
        S::Settings,
        A::Edit,
        "edit the selected setting",
        true,
    ),
    bind(
        K::Char('+'),
        NONE,
        S::Settings,
        A::AddProperty,
        "add any librdkafka property (name=value)",
        true,
    ),
    bind(
        K::Char('d'),
        NONE,
        S::Settings,
        A::ResetSetting,
        "back to default (remove an added property)",
        true,
    ),
    bind(
        K::Char('u'),
        NONE,
        S::Settings,
        A::Revert,
        "undo changes not yet applied",
        false,
    ),
    bind(
        K::Char('a'),
        NONE,
        S::Settings,
        A::Apply,
        "apply: rebuild the producer once in-flight records are done",
        true,
    ),
    bind(K::Up, NONE, S::Log, A::Up, "scroll up", false),
    bind(K::Down, NONE, S::Log, A::Down, "scroll down", false),
    bind(K::PageUp, NONE, S::Log, A::PageUp, "page up", false),
    bind(K::PageDown, NONE, S::Log, A::PageDown, "page down", false),
    bind(K::Home, NONE, S::Log, A::Top, "oldest line", false),
    bind(K::End, NONE, S::Log, A::Bottom, "newest line, follow", true),
    bind(
        K::Char('f'),
        NONE,
        S::Log,
        A::CycleFilter,
        "filter: all, acked, failed, queued, notices",
        true,
    ),
    bind(
        K::Char('r'),
        NONE,
        S::Chart,
        A::ResetChart,
        "reset the counts",
        true,
    ),
    bind(K::Enter, NONE, S::Prompt, A::Confirm, "accept", true),
    bind(K::Esc, NONE, S::Prompt, A::Cancel, "cancel", true),
    bind(K::Up, NONE, S::Picker, A::Up, "previous topic", false),
    bind(K::Down, NONE, S::Picker, A::Down, "next topic", false),
    bind(
        K::Enter,
        NONE,
        S::Picker,
        A::Confirm,
        "use this topic",
        true,
    ),
    bind(
        K::Char('r'),
        NONE,
        S::Picker,
        A::Refresh,
        "ask the cluster again",
        true,
    ),
    bind(K::Esc, NONE, S::Picker, A::Cancel, "close", true),
    bind(K::Esc, NONE, S::Help, A::Cancel, "close", true),
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
    } else if let KeyCode::Char(c) = b.code {
        c.to_string()
    } else {
        key
    }
}

/// The bindings of the given scopes that belong in the status bar.
pub fn hints(scopes: &[Scope]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for scope in scopes {
        for b in BINDINGS.iter().filter(|b| b.scope == *scope && b.hint) {
            out.push((label(b), short(b.help)));
        }
    }
    out
}

/// The first words of a help text, for the narrow status bar.
fn short(help: &'static str) -> &'static str {
    let cut = help.find([':', '(', ',']).unwrap_or(help.len());
    help[..cut].trim_end()
}
