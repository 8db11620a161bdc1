//! A draft record as the user composed it, in bytes: what the producer sends,
//! and how a burst fills in each copy's generators.

/// One header; names may repeat and a value may be null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Option<Vec<u8>>,
}

/// A record ready to send. `None` key or value is Kafka's null, distinct from
/// an empty byte string. Key and value are what the user typed; their
/// serializers turn them into wire bytes as each record is sent, after a
/// burst has numbered it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub key_serializer: Serializer,
    pub value_serializer: Serializer,
    pub headers: Vec<Header>,
    /// `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// Milliseconds since the epoch; `None` lets the producer stamp it.
    pub timestamp: Option<i64>,
}

use super::serde::Serializer;
use super::template::Template;

/// A draft's key and value as templates, parsed once for a whole burst.
#[derive(Debug, Clone)]
pub struct Filler {
    key: Option<Template>,
    value: Option<Template>,
}

impl Draft {
    /// The key and value templates, or why one does not parse.
    pub fn filler(&self) -> Result<Filler, String> {
        let parse = |what: &str, b: &Option<Vec<u8>>| {
            b.as_deref()
                .map(Template::parse)
                .transpose()
                .map_err(|e| format!("{what} template: {e}"))
        };
        Ok(Filler {
            key: parse("key", &self.key)?,
            value: parse("value", &self.value)?,
        })
    }

    /// The `seq`-th copy of a burst, its generators filled in; a draft whose
    /// templates do not parse is sent as written (front ends check first).
    pub fn numbered(&self, seq: u64) -> Draft {
        match self.filler() {
            Ok(f) => f.fill(self, seq),
            Err(_) => self.clone(),
        }
    }
}

impl Filler {
    /// Record `seq` of `draft`.
    pub fn fill(&self, draft: &Draft, seq: u64) -> Draft {
        // Field by field: the template's own key and value are not copied
        // for every record.
        Draft {
            topic: draft.topic.clone(),
            key: self.key.as_ref().map(|t| t.rendered(seq)),
            value: self.value.as_ref().map(|t| t.rendered(seq)),
            key_serializer: draft.key_serializer,
            value_serializer: draft.value_serializer,
            headers: draft.headers.clone(),
            partition: draft.partition,
            timestamp: draft.timestamp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_replaces_every_placeholder_and_keeps_null() {
        let d = Draft {
            key: Some(b"k-{seq}-{seq}".to_vec()),
            value: None,
            ..Default::default()
        };
        let c = d.numbered(42);
        assert_eq!(c.key.as_deref(), Some(&b"k-42-42"[..]));
        assert_eq!(c.value, None);
    }
}
