//! kprod: an interactive Kafka producer console. The engine talks to Kafka;
//! the TUI is a front end over it.

pub mod cli;
pub mod engine;
pub mod headless;
pub mod lines;
pub mod ui;
