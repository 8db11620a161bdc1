//! Schema-aware serializers: a record typed as JSON, checked and converted
//! by an Avro, Protobuf or JSON Schema schema, and framed as Confluent's
//! serializers frame it (magic byte 0, the schema's 4-byte id, and for
//! Protobuf the message indexes), or left unframed for users without a
//! registry. Where the schema comes from is registry.rs's part.

pub mod avro;
pub mod embedded;
pub mod protobuf;
pub mod registry;

use std::sync::Arc;

use thiserror::Error;

/// Why a schema or a record does not do.
#[derive(Debug, Clone, Error)]
pub enum SchemaError {
    #[error("the {format} schema does not parse: {reason}")]
    Parse {
        format: &'static str,
        reason: String,
    },
    #[error("the schema has no message {name} (it has {known})")]
    NoMessage { name: String, known: String },
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("the record has no value to serialize (null): a schema serializer needs JSON")]
    Null,
}

/// The three schema formats, by the names the registry gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Avro,
    Protobuf,
    JsonSchema,
}

impl Format {
    /// The `schemaType` of Confluent's API (absent means Avro).
    pub fn registry_name(self) -> &'static str {
        match self {
            Format::Avro => "AVRO",
            Format::Protobuf => "PROTOBUF",
            Format::JsonSchema => "JSON",
        }
    }

    pub fn from_registry_name(name: Option<&str>) -> Option<Format> {
        match name.unwrap_or("AVRO").to_ascii_uppercase().as_str() {
            "AVRO" => Some(Format::Avro),
            "PROTOBUF" => Some(Format::Protobuf),
            "JSON" => Some(Format::JsonSchema),
            _ => None,
        }
    }

    /// What users call it (the serializer's name on the command line).
    pub fn name(self) -> &'static str {
        match self {
            Format::Avro => "avro",
            Format::Protobuf => "protobuf",
            Format::JsonSchema => "json-schema",
        }
    }
}

/// A parsed schema, ready to check and convert records.
enum Parsed {
    Avro(avro::Avro),
    Protobuf(protobuf::Protobuf),
    Json(jsonschema::Validator),
}

/// Where a schema came from, as the composer and events show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub subject: Option<String>,
    pub version: Option<u32>,
    /// The registry's id; none means unframed bytes (raw mode).
    pub id: Option<u32>,
}

/// One schema serializer: the schema and how records are framed.
#[derive(Clone)]
pub struct Encoder {
    pub format: Format,
    pub origin: Origin,
    parsed: Arc<Parsed>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("format", &self.format)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Encoder {
    /// An encoder for `text` in `format`, unframed until given an id.
    /// `references` are the files a Protobuf schema imports (import name,
    /// text); `message` picks a Protobuf message (the file's first if none).
    pub fn new(
        format: Format,
        text: &str,
        references: &[(String, String)],
        message: Option<&str>,
    ) -> Result<Encoder, SchemaError> {
        let parsed = match format {
            Format::Avro => Parsed::Avro(avro::Avro::parse(text)?),
            Format::Protobuf => {
                Parsed::Protobuf(protobuf::Protobuf::parse(text, references, message)?)
            }
            Format::JsonSchema => {
                let bad = |reason: String| SchemaError::Parse {
                    format: "JSON Schema",
                    reason,
                };
                let schema: serde_json::Value =
                    serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
                Parsed::Json(jsonschema::validator_for(&schema).map_err(|e| bad(e.to_string()))?)
            }
        };
        Ok(Encoder {
            format,
            origin: Origin::default(),
            parsed: Arc::new(parsed),
        })
    }

    pub fn with_origin(mut self, origin: Origin) -> Encoder {
        self.origin = origin;
        self
    }

    /// The record's full name, for the RecordName and TopicRecordName
    /// subject strategies (a JSON Schema's title).
    pub fn record_name(&self, text: &str) -> Option<String> {
        match &*self.parsed {
            Parsed::Avro(a) => a.record_name(),
            Parsed::Protobuf(p) => Some(p.record_name()),
            Parsed::Json(_) => serde_json::from_str::<serde_json::Value>(text)
                .ok()?
                .get("title")?
                .as_str()
                .map(String::from),
        }
    }

    /// The wire bytes for a record typed as JSON, or where and why it does
    /// not fit the schema.
    pub fn encode(&self, input: &[u8]) -> Result<Vec<u8>, SchemaError> {
        let json = |e: serde_json::Error| SchemaError::Json(e.to_string());
        let mut out = Vec::new();
        if let Some(id) = self.origin.id {
            out.push(0);
            out.extend_from_slice(&id.to_be_bytes());
        }
        match &*self.parsed {
            Parsed::Avro(a) => {
                let value: serde_json::Value = serde_json::from_slice(input).map_err(json)?;
                out.extend(a.encode(&value)?);
            }
            Parsed::Protobuf(p) => {
                if self.origin.id.is_some() {
                    out.extend(p.indexes_bytes());
                }
                out.extend(p.encode(input)?);
            }
            Parsed::Json(v) => {
                let value: serde_json::Value = serde_json::from_slice(input).map_err(json)?;
                if let Some(e) = v.iter_errors(&value).next() {
                    let path = e.instance_path().to_string();
                    return Err(SchemaError::Invalid {
                        path: pointer_path(&path),
                        reason: e.to_string(),
                    });
                }
                out.extend(serde_json::to_vec(&value).map_err(json)?);
            }
        }
        Ok(out)
    }
}

/// A JSON pointer (/items/0/name) as the path the other formats show
/// ($.items[0].name).
fn pointer_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.parse::<usize>().is_ok() {
            out.push_str(&format!("[{part}]"));
        } else {
            out.push('.');
            out.push_str(&part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_file(name: &str) -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/schemas/");
        std::fs::read_to_string(format!("{dir}{name}")).unwrap()
    }

    /// Every line of tests/vectors/schemas.tsv: kprod's bytes for the
    /// input are confluent-kafka's, id and framing included.
    #[test]
    fn bytes_equal_confluent_kafkas() {
        let tsv = include_str!("../../../../tests/vectors/schemas.tsv");
        let mut cases = 0;
        for line in tsv.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let format = match f[0] {
                "avro" => Format::Avro,
                "protobuf" => Format::Protobuf,
                "json-schema" => Format::JsonSchema,
                other => panic!("unknown format {other}"),
            };
            let message = (f[2] != "-").then_some(f[2]);
            let id: u32 = f[3].parse().unwrap();
            let encoder = Encoder::new(format, &schema_file(f[1]), &[], message)
                .unwrap()
                .with_origin(Origin {
                    id: Some(id),
                    ..Origin::default()
                });
            let bytes = encoder.encode(f[4].as_bytes()).unwrap();
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, f[5], "{} {} {}", f[0], f[2], f[4]);
            cases += 1;
        }
        assert_eq!(cases, 9);
    }

    #[test]
    fn raw_mode_has_no_framing() {
        let e = Encoder::new(Format::Avro, &schema_file("order.avsc"), &[], None).unwrap();
        assert_eq!(
            e.encode(br#"{"id":42,"item":"book"}"#).unwrap(),
            [0x54, 8, b'b', b'o', b'o', b'k']
        );
        let p = Encoder::new(
            Format::Protobuf,
            &schema_file("orders.proto"),
            &[],
            Some("Shipment.Parcel"),
        )
        .unwrap();
        assert_eq!(
            p.encode(br#"{"label":"box"}"#).unwrap(),
            [0x0a, 3, b'b', b'o', b'x']
        );
    }

    fn error(format: Format, file: &str, message: Option<&str>, input: &str) -> String {
        Encoder::new(format, &schema_file(file), &[], message)
            .unwrap()
            .encode(input.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn invalid_records_name_the_field() {
        let payment = r#"{"id":7,"note":null,"status":"LOST","day":1,"at":1,"amount":"1.00","raw":"","tags":[],"rate":null}"#;
        assert_eq!(
            error(Format::Avro, "payment.avsc", None, payment),
            "$.status: 'LOST' is not one of NEW, PAID, REFUNDED"
        );
        assert_eq!(
            error(Format::Avro, "order.avsc", None, r#"{"id":42}"#),
            "$.item: required field missing"
        );
        assert_eq!(
            error(
                Format::Avro,
                "order.avsc",
                None,
                r#"{"id":42,"item":"x","colour":1}"#
            ),
            "$.colour: kprod.test.Order has no field colour"
        );
        let bad_tag = payment
            .replace(r#""LOST""#, r#""NEW""#)
            .replace(r#""tags":[]"#, r#""tags":["a",3]"#);
        assert_eq!(
            error(Format::Avro, "payment.avsc", None, &bad_tag),
            "$.tags[1]: a string expected, found a number"
        );
        let bad_amount = payment
            .replace(r#""LOST""#, r#""NEW""#)
            .replace(r#""1.00""#, r#""1.234""#);
        assert_eq!(
            error(Format::Avro, "payment.avsc", None, &bad_amount),
            "$.amount: '1.234' has more than 2 digits after the point (scale 2)"
        );
        assert!(error(
            Format::Protobuf,
            "orders.proto",
            Some("kprod.test.Shipment"),
            r#"{"parcels":[{"grams":"many"}]}"#
        )
        .starts_with("$.parcels[0].grams: "));
        assert!(error(
            Format::Protobuf,
            "orders.proto",
            None,
            r#"{"id":1,"colour":2}"#
        )
        .contains("colour"));
        assert!(error(
            Format::JsonSchema,
            "order.schema.json",
            None,
            r#"{"id":"x","item":"y"}"#
        )
        .starts_with("$.id: "));
        assert!(
            error(Format::JsonSchema, "order.schema.json", None, r#"{"id":1}"#).contains("item")
        );
        assert!(error(Format::Avro, "order.avsc", None, "{not json").starts_with("invalid JSON"));
    }

    #[test]
    fn protobuf_message_by_short_or_unknown_name() {
        let text = schema_file("orders.proto");
        let e = Encoder::new(Format::Protobuf, &text, &[], Some("Parcel")).unwrap();
        assert_eq!(e.record_name(&text).unwrap(), "kprod.test.Shipment.Parcel");
        let err = Encoder::new(Format::Protobuf, &text, &[], Some("Nope")).unwrap_err();
        assert!(
            err.to_string()
                .contains("kprod.test.Order, kprod.test.Shipment"),
            "{err}"
        );
    }

    #[test]
    fn protobuf_schema_as_a_base64_descriptor() {
        // What confluent-kafka's ProtobufSerializer registers.
        let mut c = protox::Compiler::new([concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/schemas"
        )])
        .unwrap();
        c.open_file("orders.proto").unwrap();
        let file = c
            .file_descriptor_set()
            .file
            .into_iter()
            .find(|f| f.name() == "orders.proto")
            .unwrap();
        use base64::Engine as _;
        use prost::Message as _;
        let text = base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec());
        let e = Encoder::new(Format::Protobuf, &text, &[], Some("kprod.test.Order")).unwrap();
        assert_eq!(
            e.encode(br#"{"id":42,"item":"book"}"#).unwrap(),
            [0x08, 42, 0x12, 4, b'b', b'o', b'o', b'k']
        );
    }
}
