//! The command line: which cluster, which topic, which producer settings.

use clap::Parser;

use crate::engine::settings::{SettingError, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "kprod",
    version,
    about = "An interactive Kafka producer console"
)]
pub struct Cli {
    /// Brokers to connect to (host:port[,host:port]); without it kprod starts
    /// an embedded 3-broker cluster in-process.
    #[arg(
        short = 'b',
        long = "bootstrap-servers",
        value_name = "HOST:PORT[,...]"
    )]
    pub bootstrap_servers: Option<String>,

    /// The topic records go to.
    #[arg(short = 't', long, default_value = crate::engine::cluster::DEMO_TOPIC)]
    pub topic: String,

    /// A producer setting, by its Java name or any librdkafka property (repeatable).
    #[arg(short = 'X', value_name = "NAME=VALUE")]
    pub set: Vec<String>,

    /// A theme file (TOML) to use instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub theme: Option<std::path::PathBuf>,
}

impl Cli {
    /// The settings the command line asks for, or the first one refused.
    pub fn settings(&self) -> Result<Settings, SettingError> {
        let mut settings = Settings::default();
        for pair in &self.set {
            settings.set_pair(pair)?;
        }
        settings.check()?;
        Ok(settings)
    }
}
