//! A draft record as the user composed it, in bytes: what the producer sends,
//! and how a burst numbers its copies.

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

/// The placeholder a burst replaces with the record's number.
pub const SEQ: &str = "{seq}";

impl Draft {
    /// The `seq`-th copy of a burst: `{seq}` in key and value becomes `seq`.
    pub fn numbered(&self, seq: u64) -> Draft {
        let n = seq.to_string();
        Draft {
            key: self.key.as_deref().map(|k| replace_seq(k, n.as_bytes())),
            value: self.value.as_deref().map(|v| replace_seq(v, n.as_bytes())),
            ..self.clone()
        }
    }
}

fn replace_seq(bytes: &[u8], with: &[u8]) -> Vec<u8> {
    let pat = SEQ.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(pat) {
            out.extend_from_slice(with);
            i += pat.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
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
