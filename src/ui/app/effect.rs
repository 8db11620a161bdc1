//! What `update` asks the world to do, as values: the runner performs them,
//! so the model can be driven and checked without an engine, a disk or a
//! clock.

use std::path::PathBuf;
use std::time::Instant;

use super::{Focus, Msg};
use crate::engine::Command;

#[derive(Debug)]
pub enum Effect {
    /// A command for the engine.
    Engine(Command),
    /// Read a file; the runner answers with `Msg::FileRead`.
    ReadFile { path: PathBuf },
    /// Write a file, making its folder if need be; the runner answers with
    /// `Msg::FileWritten`.
    WriteFile { path: PathBuf, text: String },
    /// Read the file the key's or the value's Bytes (file) serializer
    /// sends; the runner answers with `Msg::BytesRead`.
    ReadBytes { field: Focus, path: String },
    /// `msg` back to `update` at `at`, for work that waits: update reads
    /// no clock, so it cannot wait itself.
    Timer { at: Instant, msg: Msg },
    /// Give the terminal back to the shell and stop (Ctrl-Z); the loop
    /// takes the screen again when the shell continues kprod.
    Suspend,
    /// Write the run's events (as `kprod produce` prints them) and the
    /// verifier's summary to this file; the runner answers with
    /// `Msg::Exported`.
    Export(PathBuf),
    /// Read the history kept in this folder; the runner answers with
    /// `Msg::HistoryRead`.
    ReadHistory(PathBuf),
    /// Read the file of records this prompt text names
    /// (recordfile::SYNTAX); the runner answers with `Msg::RecordsRead`.
    ReadRecords(String),
    /// List the record templates; the runner answers with
    /// `Msg::TemplatesListed`.
    ListTemplates,
    /// Draw with the theme of this name from now on; the runner answers
    /// with `Msg::ThemeChosen`.
    Theme(String),
    /// Close the connection and connect with this profile instead; the
    /// runner answers with `Msg::ProfileSwitched` when it cannot.
    SwitchProfile(String),
    /// Write this profile into profiles.toml (in place of `replacing`, when
    /// it was renamed); the runner answers with `Msg::ProfileSaved`.
    SaveProfile {
        name: String,
        profile: crate::profile::Profile,
        replacing: Option<String>,
    },
}
