//! Record templates: a composed record saved by name as a TOML file a
//! person can read and edit (topic, partition, timestamp, key, value,
//! headers, serializers), kept in the config directory's templates/, with
//! the examples kprod ships (assets/templates/) beside them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One side of a record: its text (absent: null), its serializer by the
/// name the composer shows, and a schema serializer as Ctrl-G takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Side {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serializer: Option<String>,
    /// `avro order.avsc`, `protobuf subject:orders-value Order`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// A record as the composer holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordTemplate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Absent: the partitioner chooses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<i32>,
    /// Absent or "now": stamped at send; else epoch ms or ISO-8601.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// `name: value` a line, as the headers box takes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<String>,
    #[serde(default)]
    pub key: Side,
    #[serde(default)]
    pub value: Side,
}

/// The examples kprod ships, by name.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "example-order",
        include_str!("../assets/templates/example-order.toml"),
    ),
    (
        "example-keyed-burst",
        include_str!("../assets/templates/example-keyed-burst.toml"),
    ),
];

/// Where the user's templates are kept.
pub fn dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kprod").map(|d| d.config_dir().join("templates"))
}

/// A template's file in `dir`.
pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.toml"))
}

/// A name a template can be saved under: a file name on every system.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 100 {
        return Err("a name of 1 to 100 characters".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(c) => Err(format!(
            "'{c}' cannot be in a template's name (letters, digits, - _ .)"
        )),
        None if name.starts_with('.') => Err("a name cannot start with '.'".into()),
        None => Ok(()),
    }
}

/// A template's text, or where and why it does not parse.
pub fn parse(text: &str) -> Result<RecordTemplate, String> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let reason = e.message().to_string();
        match line {
            Some(n) => format!("line {n}: {reason}"),
            None => reason,
        }
    })
}

pub fn to_text(t: &RecordTemplate) -> Result<String, String> {
    toml::to_string(t).map_err(|e| e.to_string())
}

/// Every template in `dir` (each file's text, by name), then the shipped
/// examples a file of the same name does not replace.
pub fn list(dir: Option<&Path>) -> Result<BTreeMap<String, String>, String> {
    let mut out: BTreeMap<String, String> = SHIPPED
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let Some(dir) = dir else { return Ok(out) };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path
            .extension()
            .filter(|x| *x == "toml")
            .and(path.file_stem())
            .and_then(|s| s.to_str())
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        out.insert(name.to_string(), text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_examples_parse_and_a_round_trip_keeps_a_record() {
        for (name, text) in SHIPPED {
            parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let t = RecordTemplate {
            topic: Some("orders".into()),
            partition: Some(2),
            timestamp: Some("2024-03-01T12:30:00Z".into()),
            headers: Some("trace: abc\nflag".into()),
            key: Side {
                text: Some("order-{seq}".into()),
                ..Side::default()
            },
            value: Side {
                text: Some("{\"id\": 1}".into()),
                serializer: Some("JSON (compact)".into()),
                schema: None,
            },
        };
        assert_eq!(parse(&to_text(&t).unwrap()).unwrap(), t);
    }

    #[test]
    fn a_bad_template_names_its_line() {
        let err = parse("topic = \"a\"\npartition = \"two\"\n").unwrap_err();
        assert!(err.starts_with("line 2: "), "{err}");
        let err = parse("topic = \"a\"\n\ncolour = 1\n").unwrap_err();
        assert!(
            err.starts_with("line 3: ") && err.contains("colour"),
            "{err}"
        );
        assert!(check_name("../x").is_err());
        assert!(check_name("orders-1").is_ok());
    }
}
