//! Every error the engine returns, as one type with a variant for each
//! module's own, so that a front end has one thing to turn into a user's
//! words. The words are each error's own (its Display); nothing in the
//! engine imports this module.

use thiserror::Error;

use crate::cluster::{ClusterError, LocalKafkaError};
use crate::compare::{PlanError, RunError};
use crate::connection::ClientError;
use crate::faults::{FaultError, ParseError, ProxyError};
use crate::metadata::MetadataError;
use crate::mock::MockError;
use crate::pace::{BurstError, RateError};
use crate::partition::RulesError;
use crate::producer::SerializationError;
use crate::record::{FillerError, HeaderError};
use crate::run::CreateTopicError;
use crate::schema::registry::RegistryError;
use crate::schema::SchemaError;
use crate::security::SecurityError;
use crate::serde::SerializeError;
use crate::settings::{PartitionerError, SettingError};
use crate::template::TemplateError;
use crate::topic::TopicError;

/// Any error the engine returns, worded as its module words it.
#[derive(Debug, Clone, Error)]
pub enum Error {
    #[error(transparent)]
    Setting(#[from] SettingError),
    #[error(transparent)]
    Security(#[from] SecurityError),
    #[error(transparent)]
    Partitioner(#[from] PartitionerError),
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error(transparent)]
    Topic(#[from] TopicError),
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Filler(#[from] FillerError),
    #[error(transparent)]
    Serialize(#[from] SerializeError),
    #[error(transparent)]
    Serialization(#[from] SerializationError),
    #[error(transparent)]
    Rate(#[from] RateError),
    #[error(transparent)]
    Burst(#[from] BurstError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    FaultSyntax(#[from] ParseError),
    #[error(transparent)]
    Fault(#[from] FaultError),
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    LocalKafka(#[from] LocalKafkaError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    CreateTopic(#[from] CreateTopicError),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error(transparent)]
    Mock(#[from] MockError),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}
