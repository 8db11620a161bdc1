//! Everything that can change the console's state: the terminal's input,
//! the engine's events, and the answers to the effects it asked for.

use std::path::PathBuf;

use crossterm::event::KeyEvent;

use super::Focus;
use crate::engine::Event;
use crate::ui::action::Action;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Bracketed paste: the text arrives whole.
    Paste(String),
    /// An action straight from a caller, as a key bound to it would give.
    Action(Action),
    Engine(Event),
    /// The answer to `Effect::ReadFile`.
    FileRead {
        path: PathBuf,
        result: std::io::Result<String>,
    },
    /// The answer to `Effect::WriteFile`.
    FileWritten {
        path: PathBuf,
        result: std::io::Result<()>,
    },
    /// Time to tell how many record lines the log held back.
    TellHeldBack,
    /// The answer to `Effect::ReadBytes`: the file's bytes, or why not.
    BytesRead {
        field: Focus,
        path: String,
        result: Result<Vec<u8>, String>,
    },
    /// The answer to `Effect::Theme`: the theme's name, or why it was not
    /// taken.
    ThemeChosen(Result<String, String>),
    /// The answer to `Effect::SaveProfile`: the name saved and every
    /// profile the file now holds, or why it was not written.
    ProfileSaved(
        Result<
            (
                String,
                std::collections::BTreeMap<String, crate::profile::Profile>,
            ),
            String,
        >,
    ),
    /// The answer to `Effect::Export`: the lines written, or why not; None
    /// where the events are not kept.
    Exported {
        path: PathBuf,
        result: Option<std::io::Result<u64>>,
    },
    /// The answer to `Effect::ListTemplates`: each template's text by name.
    TemplatesListed(Result<std::collections::BTreeMap<String, String>, String>),
    /// The answer to `Effect::ReadHistory`: every record kept, oldest
    /// first, and how many lines could not be read.
    HistoryRead(std::io::Result<(Vec<crate::history::Entry>, usize)>),
    /// The answer to `Effect::ReadRecords`: the file's records, or why
    /// it was refused.
    RecordsRead {
        spec: String,
        result: Result<Vec<crate::replay::Placed>, String>,
    },
    /// profiles.toml as the runner read it at start, or why it could not.
    ProfilesRead(Result<std::collections::BTreeMap<String, crate::profile::Profile>, String>),
    /// The answer to `Effect::SwitchProfile` when the connection was kept:
    /// why the profile could not be used.
    ProfileSwitched(String),
}
