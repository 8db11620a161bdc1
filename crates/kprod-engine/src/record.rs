//! A draft record as the user composed it, in bytes: what the producer sends,
//! and how a burst fills in each copy's generators.

/// One header; names may repeat and a value may be null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Option<Vec<u8>>,
}

/// How a text of headers is written. Every front end reads headers through
/// [`parse_headers`] with one of these, so the rules are the same everywhere:
/// pairs are cut at each `separator`, empty pairs at the end are dropped (as
/// Java's `String.split` drops them), each pair is cut at its first
/// `key_separator`, and a value equal to `null_marker` is null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderSyntax<'a> {
    pub separator: &'a str,
    pub key_separator: &'a str,
    pub null_marker: Option<&'a str>,
    /// A pair without `key_separator` is a header with a null value instead
    /// of an error.
    pub bare_name_is_null: bool,
    /// For text a person types: blank pairs are skipped, names are trimmed
    /// and one space after `key_separator` is not part of the value.
    pub trim: bool,
}

impl HeaderSyntax<'static> {
    /// kafka-console-producer's defaults: `a:1,b:2`.
    pub const CONSOLE: HeaderSyntax<'static> = HeaderSyntax {
        separator: ",",
        key_separator: ":",
        null_marker: None,
        bare_name_is_null: false,
        trim: false,
    };
    /// One `name: value` a line, as the composer and `--header` take them;
    /// a bare name is a null header.
    pub const LINES: HeaderSyntax<'static> = HeaderSyntax {
        separator: "\n",
        key_separator: ":",
        null_marker: None,
        bare_name_is_null: true,
        trim: true,
    };
}

/// Why a text of headers was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("no header key separator {separator:?} in '{pair}'")]
    NoKeySeparator { pair: String, separator: String },
    #[error("a header name equals the null marker '{0}'; a name cannot be null")]
    NullName(String),
    #[error("header '{0}' has no name")]
    NoName(String),
}

/// The headers `text` holds, written as `syntax` says.
pub fn parse_headers(text: &str, syntax: &HeaderSyntax) -> Result<Vec<Header>, HeaderError> {
    let mut pairs: Vec<&str> = if syntax.separator.is_empty() {
        vec![text]
    } else {
        text.split(syntax.separator).collect()
    };
    // A text without a separator is one pair even when empty; otherwise
    // trailing empty pairs go, as in Java.
    if pairs.len() > 1 {
        while pairs.last().is_some_and(|p| p.is_empty()) {
            pairs.pop();
        }
    }
    let mut out = Vec::with_capacity(pairs.len());
    for pair in pairs {
        if syntax.trim && pair.trim().is_empty() {
            continue;
        }
        let (name, value) = match pair.split_once(syntax.key_separator) {
            Some((n, v)) => (n, Some(v)),
            None if syntax.bare_name_is_null => (pair, None),
            None => {
                return Err(HeaderError::NoKeySeparator {
                    pair: pair.to_string(),
                    separator: syntax.key_separator.to_string(),
                })
            }
        };
        let (name, value) = if syntax.trim {
            (name.trim(), value.map(|v| v.strip_prefix(' ').unwrap_or(v)))
        } else {
            (name, value)
        };
        if syntax.trim && name.is_empty() {
            return Err(HeaderError::NoName(pair.to_string()));
        }
        // Java checks the name only of a pair that had a separator.
        if value.is_some() && syntax.null_marker == Some(name) {
            return Err(HeaderError::NullName(name.to_string()));
        }
        out.push(Header {
            name: name.to_string(),
            value: value
                .filter(|v| syntax.null_marker != Some(*v))
                .map(|v| v.as_bytes().to_vec()),
        });
    }
    Ok(out)
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
    /// The key's schema serializer, when the key is JSON for a schema: it
    /// writes each record once a burst has filled it in.
    pub key_schema: Option<Encoder>,
    /// The value's, as the key's.
    pub value_schema: Option<Encoder>,
}

use super::schema::Encoder;
use super::serde::Serializer;
use super::template::{Template, TemplateError};

/// Why a draft's key or value does not parse as a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} template: {source}")]
pub struct FillerError {
    /// "key" or "value".
    pub field: &'static str,
    #[source]
    pub source: TemplateError,
}

/// What a burst puts in a record's key or value.
#[derive(Debug, Clone)]
enum Fill {
    Template(Template),
    /// `{schema}`, alone: a new record drawn at random from the schema,
    /// and a first draw, for a draw that fails.
    Random(Encoder, Vec<u8>),
}

/// The placeholder for a record drawn from the field's schema.
pub const RANDOM: &str = "{schema}";

/// A draft's key and value as templates, parsed once for a whole burst.
#[derive(Debug, Clone)]
pub struct Filler {
    key: Option<Fill>,
    value: Option<Fill>,
}

impl Fill {
    fn new(
        field: &'static str,
        text: &[u8],
        schema: &Option<Encoder>,
    ) -> Result<Fill, FillerError> {
        if let Some(e) = schema {
            if text.trim_ascii() == RANDOM.as_bytes() {
                let first = e
                    .random(&mut fastrand::Rng::new())
                    .map_err(|_| FillerError {
                        field,
                        source: super::template::TemplateError {
                            generator: "schema".into(),
                            problem: super::template::Problem::NoDraw,
                        },
                    })?;
                return Ok(Fill::Random(e.clone(), first.to_string().into_bytes()));
            }
        }
        Template::parse(text)
            .map(Fill::Template)
            .map_err(|source| FillerError { field, source })
    }

    /// Record `seq`'s bytes.
    fn render(&self, seq: u64) -> Vec<u8> {
        match self {
            Fill::Template(t) => t.rendered(seq),
            Fill::Random(e, first) => match e.random(&mut fastrand::Rng::new()) {
                Ok(v) => v.to_string().into_bytes(),
                Err(_) => first.clone(),
            },
        }
    }
}

impl Draft {
    /// The key and value templates, or why one does not parse.
    pub fn filler(&self) -> Result<Filler, FillerError> {
        Ok(Filler {
            key: self
                .key
                .as_deref()
                .map(|t| Fill::new("key", t, &self.key_schema))
                .transpose()?,
            value: self
                .value
                .as_deref()
                .map(|t| Fill::new("value", t, &self.value_schema))
                .transpose()?,
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
            key: self.key.as_ref().map(|t| t.render(seq)),
            value: self.value.as_ref().map(|t| t.render(seq)),
            key_serializer: draft.key_serializer,
            value_serializer: draft.value_serializer,
            headers: draft.headers.clone(),
            partition: draft.partition,
            timestamp: draft.timestamp,
            key_schema: draft.key_schema.clone(),
            value_schema: draft.value_schema.clone(),
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

    fn pairs(text: &str, syntax: &HeaderSyntax) -> Vec<(String, Option<String>)> {
        parse_headers(text, syntax)
            .unwrap()
            .into_iter()
            .map(|h| (h.name, h.value.map(|v| String::from_utf8(v).unwrap())))
            .collect()
    }

    #[test]
    fn console_headers_follow_java_split() {
        let s = HeaderSyntax {
            null_marker: Some("N"),
            ..HeaderSyntax::CONSOLE
        };
        assert_eq!(
            pairs("a:1,b:,c:N,a:x:y,,", &s),
            vec![
                ("a".into(), Some("1".into())),
                ("b".into(), Some("".into())),
                ("c".into(), None),
                ("a".into(), Some("x:y".into())),
            ]
        );
        // Only separators: every pair is a trailing empty one.
        assert!(pairs(",,", &s).is_empty());
        assert!(matches!(
            parse_headers("", &s),
            Err(HeaderError::NoKeySeparator { .. })
        ));
        assert!(matches!(
            parse_headers("a:1,,b:2", &s),
            Err(HeaderError::NoKeySeparator { .. })
        ));
        assert_eq!(
            parse_headers("N:1", &s),
            Err(HeaderError::NullName("N".into()))
        );
        let lenient = HeaderSyntax {
            bare_name_is_null: true,
            ..s
        };
        assert_eq!(
            pairs("bare,,N", &lenient),
            vec![("bare".into(), None), ("".into(), None), ("N".into(), None)]
        );
    }

    #[test]
    fn typed_headers_are_trimmed_and_blank_lines_skipped() {
        let s = HeaderSyntax::LINES;
        assert_eq!(
            pairs(" trace : abc\n\ntenant\nurl: http://x\n", &s),
            vec![
                ("trace".into(), Some("abc".into())),
                ("tenant".into(), None),
                ("url".into(), Some("http://x".into())),
            ]
        );
        assert_eq!(
            parse_headers(": v", &s),
            Err(HeaderError::NoName(": v".into()))
        );
    }
}
