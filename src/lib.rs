//! kprod: an interactive Kafka producer console. The engine (the
//! kprod-engine crate) talks to Kafka; the TUI and `kprod produce` are front
//! ends over it.

/// The engine under the name the front ends have always used for it.
pub use kprod_engine as engine;

pub mod cli;
pub mod headless;
pub mod history;
pub mod journal;
pub mod lines;
pub mod output;
pub mod profile;
pub mod recordfile;
pub mod replay;
pub mod templates;
pub mod ui;
pub mod words;
