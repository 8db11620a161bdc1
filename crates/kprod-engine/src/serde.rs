//! Serializers: what the user typed, as the bytes Kafka's Java serializers
//! put on the wire (big-endian numbers, UTF-8 strings), or why it cannot be.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use thiserror::Error;

/// Why typed text does not fit its serializer.
#[derive(Debug, Clone, Error)]
pub enum SerializeError {
    #[error("the text is not UTF-8")]
    NotUtf8,
    #[error("a whole number is needed ({type_name})")]
    NoNumber { type_name: &'static str },
    #[error("'{text}' is not a whole number ({type_name})")]
    NotWhole {
        text: String,
        type_name: &'static str,
    },
    #[error("{text} is out of range for {type_name} ({min}..{max})")]
    OutOfRange {
        text: String,
        type_name: &'static str,
        min: i128,
        max: i128,
    },
    #[error("'{0}' is not a number (Double)")]
    NotDouble(String),
    #[error("'{0}' is not a hex digit")]
    NotHex(char),
    #[error("an odd number of hex digits: every byte needs two")]
    OddHex,
    #[error("not base64: {0}")]
    Base64(#[source] base64::DecodeError),
    #[error("type the path of a file to send")]
    NoPath,
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("invalid JSON: {0}")]
    Json(#[source] Arc<serde_json::Error>),
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
}

/// How a key or value is turned into bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Serializer {
    /// UTF-8, as typed (Java's StringSerializer).
    #[default]
    String,
    /// 2 bytes, big-endian (ShortSerializer).
    Short,
    /// 4 bytes, big-endian (IntegerSerializer).
    Integer,
    /// 8 bytes, big-endian (LongSerializer).
    Long,
    /// IEEE 754, 8 bytes, big-endian (DoubleSerializer).
    Double,
    /// Bytes typed as hex digits (spaces and a leading 0x allowed).
    Hex,
    /// Bytes typed as base64.
    Base64,
    /// The bytes of the file whose path is typed.
    File,
    /// Validated JSON, sent compact.
    JsonCompact,
    /// Validated JSON, sent exactly as typed.
    JsonAsTyped,
}

/// Every serializer, in the order the composer cycles through them.
pub const ALL: [Serializer; 10] = [
    Serializer::String,
    Serializer::Short,
    Serializer::Integer,
    Serializer::Long,
    Serializer::Double,
    Serializer::Hex,
    Serializer::Base64,
    Serializer::File,
    Serializer::JsonCompact,
    Serializer::JsonAsTyped,
];

impl Serializer {
    pub fn name(self) -> &'static str {
        match self {
            Serializer::String => "String",
            Serializer::Short => "Short",
            Serializer::Integer => "Integer",
            Serializer::Long => "Long",
            Serializer::Double => "Double",
            Serializer::Hex => "Bytes (hex)",
            Serializer::Base64 => "Bytes (base64)",
            Serializer::File => "Bytes (file)",
            Serializer::JsonCompact => "JSON (compact)",
            Serializer::JsonAsTyped => "JSON (as typed)",
        }
    }

    /// The serializer the composer shows by `name`.
    pub fn from_name(name: &str) -> Option<Serializer> {
        ALL.iter().copied().find(|s| s.name() == name)
    }

    /// The next one in [`ALL`], wrapping.
    pub fn next(self) -> Serializer {
        let i = ALL.iter().position(|s| *s == self).unwrap_or(0);
        ALL[(i + 1) % ALL.len()]
    }

    /// The bytes for `input`, or the reason it does not fit this type.
    pub fn serialize(self, input: &[u8]) -> Result<Cow<'_, [u8]>, SerializeError> {
        if self == Serializer::String {
            return Ok(Cow::Borrowed(input));
        }
        let text = std::str::from_utf8(input).map_err(|_| SerializeError::NotUtf8)?;
        let t = text.trim();
        let owned = |v: Vec<u8>| Ok(Cow::Owned(v));
        match self {
            Serializer::String => unreachable!("handled above"),
            Serializer::Short => owned(
                (int(t, "Short", i16::MIN.into(), i16::MAX.into())? as i16)
                    .to_be_bytes()
                    .to_vec(),
            ),
            Serializer::Integer => owned(
                (int(t, "Integer", i32::MIN.into(), i32::MAX.into())? as i32)
                    .to_be_bytes()
                    .to_vec(),
            ),
            Serializer::Long => owned(
                (int(t, "Long", i64::MIN.into(), i64::MAX.into())? as i64)
                    .to_be_bytes()
                    .to_vec(),
            ),
            Serializer::Double => {
                let d: f64 = t.parse().map_err(|_| SerializeError::NotDouble(t.into()))?;
                owned(d.to_be_bytes().to_vec())
            }
            Serializer::Hex => owned(hex(t)?),
            Serializer::Base64 => base64::engine::general_purpose::STANDARD
                .decode(t.split_whitespace().collect::<String>())
                .map(Cow::Owned)
                .map_err(SerializeError::Base64),
            Serializer::File => {
                if t.is_empty() {
                    return Err(SerializeError::NoPath);
                }
                std::fs::read(t)
                    .map(Cow::Owned)
                    .map_err(|e| SerializeError::Read {
                        path: t.into(),
                        source: Arc::new(e),
                    })
            }
            Serializer::JsonCompact | Serializer::JsonAsTyped => {
                let json = |e| SerializeError::Json(Arc::new(e));
                let value: serde_json::Value = serde_json::from_str(text).map_err(json)?;
                if self == Serializer::JsonAsTyped {
                    Ok(Cow::Borrowed(input))
                } else {
                    owned(serde_json::to_vec(&value).map_err(json)?)
                }
            }
        }
    }
}

/// A whole number within `min..=max`, as i128 so any overflow is caught here.
fn int(t: &str, type_name: &'static str, min: i128, max: i128) -> Result<i128, SerializeError> {
    if t.is_empty() {
        return Err(SerializeError::NoNumber { type_name });
    }
    let n: i128 = t.parse().map_err(|_| SerializeError::NotWhole {
        text: t.into(),
        type_name,
    })?;
    if n < min || n > max {
        return Err(SerializeError::OutOfRange {
            text: t.into(),
            type_name,
            min,
            max,
        });
    }
    Ok(n)
}

fn hex(t: &str) -> Result<Vec<u8>, SerializeError> {
    let digits: String = t
        .strip_prefix("0x")
        .unwrap_or(t)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(SerializeError::NotHex(c));
    }
    if digits.len() % 2 == 1 {
        return Err(SerializeError::OddHex);
    }
    // Every pair is two hex digits by now.
    Ok((0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap_or_default())
        .collect())
}

/// The bytes as text a screen can show: UTF-8 with no control characters
/// but line breaks and tabs, which a terminal would act on instead of
/// showing (a NUL or an escape would draw garbage over other panes).
pub fn as_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok().filter(|t| {
        !t.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    })
}

/// Bytes as spaced hex, at most `max` bytes, with the rest counted.
pub fn hex_preview(bytes: &[u8], max: usize) -> String {
    let shown: Vec<String> = bytes.iter().take(max).map(|b| format!("{b:02x}")).collect();
    let mut out = shown.join(" ");
    if bytes.len() > max {
        out.push_str(&format!(" … (+{} B)", bytes.len() - max));
    }
    out
}
