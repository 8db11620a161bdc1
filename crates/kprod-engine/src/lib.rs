//! The engine: everything that talks to Kafka. Front ends send it `Command`s
//! and read `Event`s; it never knows whether a terminal is watching.
//!
//! This root only names the modules and re-exports what front ends use, so
//! no module depends on it and it on them both ways.

// Three places need unsafe: the mock cluster's C API (mock.rs), the
// produce call with a topic handle (produce.rs) and the verifier's lookup
// of its id header (verify.rs's record_id).
#![deny(unsafe_code)]

pub mod batches;
pub mod burst;
pub mod clock;
pub mod cluster;
pub mod compare;
pub mod connection;
pub mod debuglog;
pub mod error;
pub mod event;
pub mod faults;
pub mod metadata;
#[allow(unsafe_code)]
pub mod mock;
pub mod pace;
pub mod partition;
#[allow(unsafe_code)]
mod produce;
pub mod producer;
pub mod proxy;
pub mod record;
pub mod requests;
pub mod run;
pub mod schema;
pub mod security;
pub mod serde;
pub mod settings;
pub mod stats;
mod sync;
pub mod tally;
pub mod template;
pub mod topic;
pub mod transaction;
pub mod verdict;
pub mod verify;

pub use error::Error;
pub use event::{
    Ack, ClusterInfo, Command, EngineConfig, Event, Level, NewTopic, PartitionInfo, Stamp, Told,
    TopicInfo,
};
pub use run::{Engine, Inbox};
