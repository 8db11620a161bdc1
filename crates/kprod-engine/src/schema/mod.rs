//! Schema-aware serializers: a record typed as JSON, checked and converted
//! by an Avro, Protobuf or JSON Schema schema, and framed as Confluent's
//! serializers frame it (magic byte 0, the schema's 4-byte id, and for
//! Protobuf the message indexes), or left unframed for users without a
//! registry. Where the schema comes from is registry.rs's part.

pub mod avro;
pub mod embedded;
pub mod protobuf;
pub mod random;
pub mod registry;
pub mod session;

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

    /// A schema serializer's name (avro, protobuf-raw, ...): the format,
    /// and whether it is the unframed one.
    pub fn parse_serializer(name: &str) -> Option<(Format, bool)> {
        let (base, raw) = match name.strip_suffix("-raw") {
            Some(b) => (b, true),
            None => (name, false),
        };
        let format = match base {
            "avro" => Format::Avro,
            "protobuf" => Format::Protobuf,
            "json-schema" => Format::JsonSchema,
            _ => return None,
        };
        Some((format, raw))
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
    /// The validator, and the schema it was made from (random records
    /// are drawn from the schema).
    Json(jsonschema::Validator, serde_json::Value),
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

/// Two encoders are one when they share the parsed schema and frame alike:
/// a draft compares equal to its copies.
impl PartialEq for Encoder {
    fn eq(&self, other: &Encoder) -> bool {
        Arc::ptr_eq(&self.parsed, &other.parsed)
            && self.format == other.format
            && self.origin == other.origin
    }
}

impl Eq for Encoder {}

/// How many draws a schema gets to give a record its encoder takes: a JSON
/// Schema's pattern or combination may refuse a draw.
const DRAWS: usize = 20;

impl Encoder {
    /// A random record valid for the schema, as JSON the encoder takes, or
    /// why none could be drawn.
    pub fn random(&self, rng: &mut fastrand::Rng) -> Result<serde_json::Value, String> {
        let mut last = String::new();
        for _ in 0..DRAWS {
            let drawn = match &*self.parsed {
                Parsed::Avro(a) => random::avro(a, rng)?,
                Parsed::Protobuf(p) => random::protobuf(p.message(), rng)?,
                Parsed::Json(_, schema) => random::json_schema(schema, rng),
            };
            let text = serde_json::to_vec(&drawn).map_err(|e| e.to_string())?;
            match self.encode(&text) {
                Ok(_) => return Ok(drawn),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!(
            "no record drawn at random fits the schema ({last}); type one"
        ))
    }

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
                Parsed::Json(
                    jsonschema::validator_for(&schema).map_err(|e| bad(e.to_string()))?,
                    schema,
                )
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

    /// How many bytes the Protobuf message indexes take in the framing
    /// (none for the other formats, or unframed).
    pub fn indexes_len(&self) -> usize {
        match (&*self.parsed, self.origin.id) {
            (Parsed::Protobuf(p), Some(_)) => p.indexes_bytes().len(),
            _ => 0,
        }
    }

    /// The record's full name, for the RecordName and TopicRecordName
    /// subject strategies (a JSON Schema's title).
    pub fn record_name(&self, text: &str) -> Option<String> {
        match &*self.parsed {
            Parsed::Avro(a) => a.record_name(),
            Parsed::Protobuf(p) => Some(p.record_name()),
            Parsed::Json(..) => serde_json::from_str::<serde_json::Value>(text)
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
            Parsed::Json(v, _) => {
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

    /// Records drawn at random fit their schema (the encoder takes every
    /// one) and differ from each other, for every kind of schema kprod
    /// reads: logical types, unions, recursion, well-known types, refs.
    #[test]
    fn random_records_fit_their_schemas() {
        let recursive = r#"{"type":"record","name":"Node","fields":[
            {"name":"label","type":"string"},
            {"name":"kids","type":{"type":"array","items":"Node"}},
            {"name":"next","type":["null","Node"]},
            {"name":"id","type":{"type":"string","logicalType":"uuid"}},
            {"name":"cost","type":{"type":"fixed","name":"Cost","size":4,"logicalType":"decimal","precision":6,"scale":2}},
            {"name":"props","type":{"type":"map","values":"long"}}]}"#;
        let wkt = r#"syntax = "proto3";
            import "google/protobuf/timestamp.proto";
            import "google/protobuf/wrappers.proto";
            import "google/protobuf/struct.proto";
            message Event {
              google.protobuf.Timestamp at = 1;
              google.protobuf.StringValue note = 2;
              google.protobuf.Struct extra = 3;
              map<string, int64> counts = 4;
              repeated Event children = 5;
              oneof target { string user = 6; int32 group = 7; }
              enum Kind { KIND_UNSPECIFIED = 0; CLICK = 1; VIEW = 2; }
              Kind kind = 8;
              bytes blob = 9;
              optional uint64 seen = 10;
            }"#;
        let json_schema = r##"{"$defs":{"tag":{"type":"string","minLength":3,"maxLength":5}},
            "type":"object","required":["n","tags","when","mode"],
            "properties":{"n":{"type":"integer","minimum":5,"maximum":9},
              "tags":{"type":"array","items":{"$ref":"#/$defs/tag"},"minItems":1},
              "when":{"type":"string","format":"date-time"},
              "mode":{"enum":["a","b"]},
              "maybe":{"type":["null","number"]}},
            "additionalProperties":false}"##;
        let cases = [
            (Format::Avro, schema_file("order.avsc"), None),
            (Format::Avro, schema_file("payment.avsc"), None),
            (Format::Avro, recursive.to_string(), None),
            (
                Format::Protobuf,
                schema_file("orders.proto"),
                Some("Shipment"),
            ),
            (Format::Protobuf, wkt.to_string(), None),
            (Format::JsonSchema, schema_file("order.schema.json"), None),
            (Format::JsonSchema, json_schema.to_string(), None),
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for (format, text, message) in cases {
            let e = Encoder::new(format, &text, &[], message).unwrap();
            let drawn: Vec<serde_json::Value> =
                (0..40).map(|_| e.random(&mut rng).unwrap()).collect();
            for d in &drawn {
                e.encode(d.to_string().as_bytes())
                    .unwrap_or_else(|err| panic!("{format:?} {d}: {err}"));
            }
            let first = &drawn[0];
            assert!(drawn.iter().any(|d| d != first), "{format:?}: all alike");
        }
    }

    #[test]
    fn a_schema_no_draw_can_fit_says_so() {
        let e = Encoder::new(
            Format::JsonSchema,
            r#"{"type":"string","pattern":"^[0-9]{12}$"}"#,
            &[],
            None,
        )
        .unwrap();
        let err = e.random(&mut fastrand::Rng::with_seed(1)).unwrap_err();
        assert!(err.contains("type one"), "{err}");
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
