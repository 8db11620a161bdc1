//! Serializers: what the user typed, as the bytes Kafka's Java serializers
//! put on the wire (big-endian numbers, UTF-8 strings), or why it cannot be.

use std::borrow::Cow;

use base64::Engine as _;

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

    /// The next one in [`ALL`], wrapping.
    pub fn next(self) -> Serializer {
        let i = ALL.iter().position(|s| *s == self).unwrap_or(0);
        ALL[(i + 1) % ALL.len()]
    }

    /// The bytes for `input`, or the reason it does not fit this type.
    pub fn serialize(self, input: &[u8]) -> Result<Cow<'_, [u8]>, String> {
        if self == Serializer::String {
            return Ok(Cow::Borrowed(input));
        }
        let text = std::str::from_utf8(input).map_err(|_| "the text is not UTF-8".to_string())?;
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
                let d: f64 = t
                    .parse()
                    .map_err(|_| format!("'{t}' is not a number (Double)"))?;
                owned(d.to_be_bytes().to_vec())
            }
            Serializer::Hex => owned(hex(t)?),
            Serializer::Base64 => base64::engine::general_purpose::STANDARD
                .decode(t.split_whitespace().collect::<String>())
                .map(Cow::Owned)
                .map_err(|e| format!("not base64: {e}")),
            Serializer::File => {
                if t.is_empty() {
                    return Err("type the path of a file to send".into());
                }
                std::fs::read(t)
                    .map(Cow::Owned)
                    .map_err(|e| format!("cannot read {t}: {e}"))
            }
            Serializer::JsonCompact | Serializer::JsonAsTyped => {
                let value: serde_json::Value =
                    serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
                if self == Serializer::JsonAsTyped {
                    Ok(Cow::Borrowed(input))
                } else {
                    owned(serde_json::to_vec(&value).map_err(|e| e.to_string())?)
                }
            }
        }
    }
}

/// A whole number within `min..=max`, as i128 so any overflow is caught here.
fn int(t: &str, type_name: &str, min: i128, max: i128) -> Result<i128, String> {
    if t.is_empty() {
        return Err(format!("a whole number is needed ({type_name})"));
    }
    let n: i128 = t
        .parse()
        .map_err(|_| format!("'{t}' is not a whole number ({type_name})"))?;
    if n < min || n > max {
        return Err(format!(
            "{t} is out of range for {type_name} ({min}..{max})"
        ));
    }
    Ok(n)
}

fn hex(t: &str) -> Result<Vec<u8>, String> {
    let digits: String = t
        .strip_prefix("0x")
        .unwrap_or(t)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("'{c}' is not a hex digit"));
    }
    if digits.len() % 2 == 1 {
        return Err("an odd number of hex digits: every byte needs two".into());
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
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
