//! Records as other tools print them, read back so they can be produced
//! again: kcat -J's JSON objects (JSON Lines), and kafka-console-consumer's
//! lines with print.timestamp, print.headers and print.key. What a reader
//! printed from topic A, replayed into topic B, gives records with the same
//! key, value and headers bytes, and with --keep-timestamps the same
//! timestamps.

use base64::Engine as _;
use serde_json::Value;

use crate::engine::record::Header;
use crate::lines::{Line, LineFormat};

/// How `kprod produce` reads its input, by `--format`.
#[derive(Debug, Clone)]
pub enum Input {
    /// kafka-console-producer's lines (--property as it takes them).
    Lines(LineFormat),
    /// One JSON object a line: kcat -J's form, or any with key, value (or
    /// payload), headers and timestamp.
    Jsonl,
    /// kafka-console-consumer's DefaultMessageFormatter output.
    Consumer(Printed),
}

/// What kafka-console-consumer was told to print, by its --property names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    pub timestamp: bool,
    pub partition: bool,
    pub offset: bool,
    pub headers: bool,
    pub key: bool,
    pub separator: String,
    pub headers_separator: String,
    pub null_literal: String,
}

/// The names --format takes.
pub const FORMATS: &str = "lines (kafka-console-producer's), jsonl (kcat -J's objects), console-consumer (kafka-console-consumer's output)";

impl Input {
    pub fn new(format: &str, properties: &[String]) -> Result<Input, String> {
        match format {
            "lines" => LineFormat::from_properties(properties).map(Input::Lines),
            "jsonl" => match properties.first() {
                Some(p) => Err(format!(
                    "--property {p}: --format jsonl takes no properties (each record says what it holds)"
                )),
                None => Ok(Input::Jsonl),
            },
            "console-consumer" => Printed::from_properties(properties).map(Input::Consumer),
            other => Err(format!("--format {other}: kprod reads {FORMATS}")),
        }
    }

    /// One record from one line of input (without its end).
    pub fn parse(&self, line: String, number: usize) -> Result<Line, String> {
        match self {
            Input::Lines(f) => f.parse_owned(line, number),
            Input::Jsonl => json_record(&line).map_err(|e| format!("line {number}: {e}")),
            Input::Consumer(p) => p.parse(&line).map_err(|e| format!("line {number}: {e}")),
        }
    }
}

/// A kcat -J object (or one like it) as a record.
fn json_record(line: &str) -> Result<Line, String> {
    placed(line).map(|p| p.line)
}

/// A record read from a kcat -J object, with where it says it was: what a
/// file of records shown in the console, and kprod's history, hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub line: Line,
    pub topic: Option<String>,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
}

/// One kcat -J object as a record, or why it is not one.
pub fn placed(line: &str) -> Result<Placed, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let o = v
        .as_object()
        .ok_or("a JSON object is needed ({\"key\": ..., \"payload\": ...})")?;
    let bytes = |field: &str, v: Option<&Value>| -> Result<Option<Vec<u8>>, String> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                decode(s, o.get(&format!("{field}_encoding")), field).map(Some)
            }
            // A JSON document as the value, sent compact.
            Some(other) => Ok(Some(other.to_string().into_bytes())),
        }
    };
    let key = bytes("key", o.get("key"))?;
    let value_field = if o.contains_key("payload") {
        "payload"
    } else {
        "value"
    };
    let value = bytes(value_field, o.get(value_field))?;
    let headers = match o.get("headers") {
        None | Some(Value::Null) => Vec::new(),
        Some(h) => json_headers(h)?,
    };
    let timestamp = match o.get("ts").or_else(|| o.get("timestamp")) {
        None | Some(Value::Null) => None,
        Some(t) => Some(timestamp(t)?),
    };
    let topic = match o.get("topic") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(other) => return Err(format!("topic: {other} is not a string")),
    };
    let whole = |field: &str| match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(other) => Err(format!("{field}: {other} is not a whole number")),
    };
    let partition = match whole("partition")? {
        None => None,
        // kcat prints -1 for a record it has no partition for.
        Some(p) if p < 0 => None,
        Some(p) => Some(
            i32::try_from(p)
                .map_err(|_| format!("partition: {p} is more than a partition can be"))?,
        ),
    };
    Ok(Placed {
        line: Line {
            key,
            value,
            headers,
            timestamp,
        },
        topic,
        partition,
        offset: whole("offset")?.filter(|o| *o >= 0),
    })
}

/// A JSON string as bytes: its UTF-8, or base64 when `encoding` says so.
fn decode(s: &str, encoding: Option<&Value>, field: &str) -> Result<Vec<u8>, String> {
    match encoding {
        None => Ok(s.as_bytes().to_vec()),
        Some(Value::String(e)) if e == "string" => Ok(s.as_bytes().to_vec()),
        Some(Value::String(e)) if e == "base64" => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| format!("{field}: not base64: {e}")),
        Some(e) => Err(format!(
            "{field}_encoding: {e} is not \"base64\" or \"string\""
        )),
    }
}

/// A record as kcat -C -J prints it: bytes as text, or base64 with a
/// `*_encoding` beside them where they are not UTF-8. Written field by
/// field, not through a JSON map: history writes one a record sent.
#[derive(serde::Serialize)]
pub struct Object<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partition: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    headers: Vec<HeaderObject<'a>>,
    key: Bytes<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_encoding: Option<&'static str>,
    payload: Bytes<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_encoding: Option<&'static str>,
    /// History's own fields: when the record was acked or failed, and why
    /// it failed. Absent from kcat's objects, and ignored when read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct HeaderObject<'a> {
    key: &'a str,
    value: Bytes<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_encoding: Option<&'static str>,
}

/// Bytes as a JSON string: their text, or base64; null for none.
struct Bytes<'a>(Option<&'a [u8]>);

impl Bytes<'_> {
    fn encoding(&self) -> Option<&'static str> {
        self.0
            .filter(|b| std::str::from_utf8(b).is_err())
            .map(|_| "base64")
    }
}

impl serde::Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            None => s.serialize_none(),
            Some(b) => match std::str::from_utf8(b) {
                Ok(text) => s.serialize_str(text),
                Err(_) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
            },
        }
    }
}

impl<'a> Object<'a> {
    pub fn of(p: &'a Placed) -> Object<'a> {
        let (key, payload) = (Bytes(p.line.key.as_deref()), Bytes(p.line.value.as_deref()));
        Object {
            topic: p.topic.as_deref(),
            partition: p.partition,
            offset: p.offset,
            ts: p.line.timestamp,
            headers: p
                .line
                .headers
                .iter()
                .map(|h| {
                    let value = Bytes(h.value.as_deref());
                    HeaderObject {
                        key: &h.name,
                        value_encoding: value.encoding(),
                        value,
                    }
                })
                .collect(),
            key_encoding: key.encoding(),
            key,
            payload_encoding: payload.encoding(),
            payload,
            sent_at: None,
            failed: None,
        }
    }
}

/// Headers as kcat -J prints them (a flat list: name, value, name, value),
/// as an object of names, or as a list of {"key", "value"} objects.
fn json_headers(h: &Value) -> Result<Vec<Header>, String> {
    let text = |v: &Value, what: &str| match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.as_bytes().to_vec())),
        other => Err(format!("headers: {what} {other} is not a string or null")),
    };
    let name = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("headers: the name {other} is not a string")),
    };
    match h {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                Ok(Header {
                    name: k.clone(),
                    value: text(v, "the value")?,
                })
            })
            .collect(),
        Value::Array(items) if items.iter().all(Value::is_object) => items
            .iter()
            .map(|item| {
                let value = match (item.get("value"), item.get("value_encoding")) {
                    (Some(Value::String(s)), Some(e)) => {
                        Some(decode(s, Some(e), "headers: value")?)
                    }
                    (v, _) => text(v.unwrap_or(&Value::Null), "the value")?,
                };
                Ok(Header {
                    name: name(item.get("key").unwrap_or(&Value::Null))?,
                    value,
                })
            })
            .collect(),
        Value::Array(items) => {
            if items.len() % 2 != 0 {
                return Err(format!(
                    "headers: kcat's list is name, value pairs; {} items is not",
                    items.len()
                ));
            }
            items
                .chunks(2)
                .map(|pair| {
                    Ok(Header {
                        name: name(&pair[0])?,
                        value: text(&pair[1], "the value")?,
                    })
                })
                .collect()
        }
        other => Err(format!(
            "headers: {other} is not a list (kcat's name, value, ...) or an object"
        )),
    }
}

/// Milliseconds since the epoch, or ISO-8601 / RFC 3339 text.
pub fn timestamp(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .filter(|ms| *ms >= 0)
            .ok_or_else(|| format!("timestamp {n} is not a whole number of ms since 1970")),
        Value::String(s) => parse_time(s),
        other => Err(format!("timestamp {other} is not ms or ISO-8601 text")),
    }
}

/// Epoch ms, or ISO-8601 text (2026-12-02T10:00:00Z, with an offset or
/// fraction): how a user types a time.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return match ms >= 0 {
            true => Ok(ms),
            false => Err(format!("{t}: a timestamp cannot be before 1970")),
        };
    }
    let parsed = chrono::DateTime::parse_from_rfc3339(t).map(|d| d.timestamp_millis());
    match parsed {
        Ok(ms) if ms >= 0 => Ok(ms),
        Ok(_) => Err(format!("{t}: a timestamp cannot be before 1970")),
        Err(_) => Err(format!(
            "'{t}' is not a time: ms since the epoch, or ISO-8601 such as 2026-12-02T10:00:00Z"
        )),
    }
}

impl Printed {
    fn from_properties(properties: &[String]) -> Result<Printed, String> {
        let mut p = Printed {
            timestamp: false,
            partition: false,
            offset: false,
            headers: false,
            key: false,
            separator: "\t".into(),
            headers_separator: ",".into(),
            null_literal: "null".into(),
        };
        for prop in properties {
            let (name, value) = crate::lines::property(prop)?;
            let flag = || crate::lines::property_flag(name, value);
            match name {
                "print.timestamp" => p.timestamp = flag()?,
                "print.partition" => p.partition = flag()?,
                "print.offset" => p.offset = flag()?,
                "print.headers" => p.headers = flag()?,
                "print.key" => p.key = flag()?,
                "print.value" if flag()? => {}
                "print.value" => return Err("--property print.value=false: the values are what is replayed".into()),
                "key.separator" if !value.is_empty() => p.separator = value.into(),
                "headers.separator" if !value.is_empty() => p.headers_separator = value.into(),
                "null.literal" => p.null_literal = value.into(),
                other => {
                    return Err(format!(
                        "--property {other}: kafka-console-consumer's output is read by print.timestamp, print.partition, print.offset, print.headers, print.key, key.separator, headers.separator, null.literal (as it was printed)"
                    ))
                }
            }
        }
        Ok(p)
    }

    /// One line as DefaultMessageFormatter printed it: the timestamp,
    /// partition, offset, headers and key asked for, each ended by the
    /// separator, then the value (which may hold the separator itself).
    fn parse(&self, line: &str) -> Result<Line, String> {
        let mut rest = line;
        let mut next = |what: &str| -> Result<&str, String> {
            let (field, r) = rest.split_once(self.separator.as_str()).ok_or_else(|| {
                format!(
                    "no {what} before a separator {:?}: the --property print.* given must be those the consumer printed with",
                    self.separator
                )
            })?;
            rest = r;
            Ok(field)
        };
        let mut timestamp = None;
        if self.timestamp {
            let field = next("timestamp")?;
            if field != "NO_TIMESTAMP" {
                let ms = field
                    .strip_prefix("CreateTime:")
                    .or_else(|| field.strip_prefix("LogAppendTime:"))
                    .ok_or_else(|| format!("'{field}' is not CreateTime:MS or LogAppendTime:MS"))?;
                timestamp = Some(parse_time(ms)?);
            }
        }
        if self.partition {
            next("partition")?;
        }
        if self.offset {
            next("offset")?;
        }
        let mut headers = Vec::new();
        if self.headers {
            let field = next("headers")?;
            if field != "NO_HEADERS" {
                for pair in field.split(self.headers_separator.as_str()) {
                    let (name, value) = pair
                        .split_once(':')
                        .ok_or_else(|| format!("header '{pair}' is not name:value"))?;
                    headers.push(Header {
                        name: name.to_string(),
                        value: self.nullable(value),
                    });
                }
            }
        }
        let key = if self.key {
            self.nullable(next("key")?)
        } else {
            None
        };
        let value = self.nullable(rest);
        Ok(Line {
            key,
            value,
            headers,
            timestamp,
        })
    }

    fn nullable(&self, s: &str) -> Option<Vec<u8>> {
        (s != self.null_literal).then(|| s.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(l: &Line) -> Vec<(String, Option<String>)> {
        l.headers
            .iter()
            .map(|h| {
                (
                    h.name.clone(),
                    h.value
                        .as_ref()
                        .map(|v| String::from_utf8(v.clone()).unwrap()),
                )
            })
            .collect()
    }

    #[test]
    fn kcats_objects_with_string_or_base64_bytes() {
        let l = json_record(r#"{"topic":"a","partition":2,"offset":7,"tstype":"create","ts":1700000000123,"broker":1,"headers":["trace","abc","empty",null],"key":"k1","payload":"{\"id\":1}"}"#).unwrap();
        assert_eq!(l.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(l.value.as_deref(), Some(&b"{\"id\":1}"[..]));
        assert_eq!(l.timestamp, Some(1700000000123));
        assert_eq!(
            pairs(&l),
            [("trace".into(), Some("abc".into())), ("empty".into(), None)]
        );
        let b = json_record(r#"{"key":null,"value":"AAH/","value_encoding":"base64","headers":{"h":"v"},"timestamp":"2026-12-02T10:00:00.5Z"}"#).unwrap();
        assert_eq!(b.key, None);
        assert_eq!(b.value.as_deref(), Some(&[0u8, 1, 255][..]));
        assert_eq!(b.timestamp, Some(1796205600500));
        assert_eq!(pairs(&b), [("h".into(), Some("v".into()))]);
        let doc = json_record(r#"{"value":{"id":1},"headers":[{"key":"a","value":"b"}]}"#).unwrap();
        assert_eq!(doc.value.as_deref(), Some(&br#"{"id":1}"#[..]));
        assert_eq!(pairs(&doc), [("a".into(), Some("b".into()))]);
    }

    #[test]
    fn bad_objects_say_why() {
        assert!(json_record("{nope").unwrap_err().starts_with("not JSON"));
        assert!(json_record("[1]").unwrap_err().contains("JSON object"));
        assert!(json_record(r#"{"headers":["a"]}"#)
            .unwrap_err()
            .contains("name, value pairs"));
        assert!(json_record(r#"{"ts":-5}"#)
            .unwrap_err()
            .contains("ms since 1970"));
        assert!(json_record(r#"{"value":"%%","value_encoding":"base64"}"#)
            .unwrap_err()
            .contains("not base64"));
    }

    #[test]
    fn console_consumer_lines_as_printed() {
        let props: Vec<String> = [
            "print.timestamp=true",
            "print.headers=true",
            "print.key=true",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let Input::Consumer(p) = Input::new("console-consumer", &props).unwrap() else {
            panic!()
        };
        let l = p
            .parse("CreateTime:1700000000123\ttrace:abc,n:null\tk1\tvalue\twith a tab")
            .unwrap();
        assert_eq!(l.timestamp, Some(1700000000123));
        assert_eq!(l.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(l.value.as_deref(), Some(&b"value\twith a tab"[..]));
        assert_eq!(
            pairs(&l),
            [("trace".into(), Some("abc".into())), ("n".into(), None)]
        );
        let none = p.parse("NO_TIMESTAMP\tNO_HEADERS\tnull\tnull").unwrap();
        assert_eq!((none.key, none.value, none.timestamp), (None, None, None));
        assert!(p.parse("just a value").unwrap_err().contains("print.*"));
        assert!(Input::new("csv", &[]).is_err());
    }
}
