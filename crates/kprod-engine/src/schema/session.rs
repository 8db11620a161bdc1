//! One run's schema registry: the one the settings name, or on the embedded
//! cluster the one kprod serves itself, started when a framed serializer
//! first needs it. `kprod produce` and the console both find their schemas
//! through it, so they frame records alike.

use super::embedded::EmbeddedRegistry;
use super::registry::{self, Config, Registry, RegistryError, Source, Want};
use super::{Encoder, Format};

/// A serializer asked for, and where its schema is, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub format: Format,
    /// The -raw serializers: no framing, no registry.
    pub raw: bool,
    /// FILE, subject:NAME[:VERSION] or id:N.
    pub source: String,
    /// The Protobuf message, if not the file's first.
    pub message: Option<String>,
}

impl Ask {
    /// The serializer's name, as --value-serializer takes it.
    pub fn serializer(&self) -> String {
        match self.raw {
            true => format!("{}-raw", self.format.name()),
            false => self.format.name().to_string(),
        }
    }
}

/// What the embedded registry's start is told as.
pub fn embedded_notice(url: &str) -> String {
    format!(
        "embedded schema registry at {url} (Confluent's API, in memory, for this run only; it checks no compatibility, a real registry does)"
    )
}

pub struct Schemas {
    config: Config,
    registry: Option<Registry>,
    embedded: Option<EmbeddedRegistry>,
    /// Whether kprod may serve a registry itself: on the embedded cluster,
    /// with none named.
    may_embed: bool,
}

impl Schemas {
    /// The registry the settings (schema.registry.url and the Java
    /// serializers' other names) or `url` give.
    pub fn new<'a>(
        settings: impl IntoIterator<Item = (&'a str, &'a str)>,
        url: Option<&str>,
        embedded_cluster: bool,
    ) -> Result<Schemas, RegistryError> {
        let mut config = Config::from_settings(settings)?;
        if let Some(url) = url {
            config.url = Some(url.to_string());
        }
        let registry = match &config.url {
            Some(url) => Some(Registry::with_tls(
                url,
                config.user_info.as_deref(),
                &config.tls,
            )?),
            None => None,
        };
        Ok(Schemas {
            may_embed: embedded_cluster && registry.is_none(),
            config,
            registry,
            embedded: None,
        })
    }

    /// The registry in use, and whether kprod serves it.
    pub fn registry(&self) -> Option<(&str, bool)> {
        self.registry
            .as_ref()
            .map(|r| (r.url(), self.embedded.is_some()))
    }

    /// The encoder for `ask` on `topic`'s key or value, and the notice of
    /// an embedded registry started for it; a registry that refuses or
    /// cannot be reached is told in its own words.
    pub async fn resolve(
        &mut self,
        ask: &Ask,
        topic: &str,
        is_key: bool,
    ) -> Result<(Encoder, Option<String>), RegistryError> {
        let mut started = None;
        if !ask.raw && self.registry.is_none() && self.may_embed {
            let e = EmbeddedRegistry::start()
                .await
                .map_err(|e| RegistryError::Embedded(e.to_string()))?;
            self.registry = Some(Registry::new(e.url(), None)?);
            started = Some(embedded_notice(e.url()));
            self.embedded = Some(e);
        }
        let source = Source::parse(&ask.source)?;
        let want = Want {
            format: ask.format,
            raw: ask.raw,
            source: &source,
            topic,
            is_key,
            message: ask.message.as_deref(),
        };
        let encoder = registry::resolve(&want, self.registry.as_ref(), &self.config).await?;
        Ok((encoder, started))
    }
}
