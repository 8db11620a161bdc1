//! Random records valid for a schema, typed as the JSON the composer and
//! `kprod produce` take: a QA engineer fills a topic with records that
//! deserialize, without writing one by hand. Every record drawn is checked
//! by the encoder before it is handed out, so "valid" is the serializer's
//! word, not this module's.

use apache_avro::schema::{InnerDecimalSchema, Schema};
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, Value};
use serde_json::{json, Map, Value as Json};

use super::avro::Avro;

/// How deep a recursive schema is followed before the generator takes the
/// shortest way out (null, an empty list, an unset field).
const DEPTH: usize = 4;

/// Words that read as data on a screen in front of a class, rather than
/// noise.
const WORDS: &[&str] = &[
    "book", "lamp", "chair", "apple", "river", "stone", "cloud", "paper", "tiger", "orange",
    "piano", "window", "coffee", "garden", "rocket", "silver",
];

fn word(rng: &mut fastrand::Rng) -> String {
    WORDS[rng.usize(..WORDS.len())].to_string()
}

/// A record for an Avro schema, or why none can be drawn (a type kprod
/// cannot convert from JSON).
pub fn avro(schema: &Avro, rng: &mut fastrand::Rng) -> Result<Json, String> {
    avro_value(schema, &schema.schema, rng, 0)
}

fn avro_value(
    avro: &Avro,
    schema: &Schema,
    rng: &mut fastrand::Rng,
    depth: usize,
) -> Result<Json, String> {
    Ok(match schema {
        Schema::Null => Json::Null,
        Schema::Boolean => Json::Bool(rng.bool()),
        Schema::Int | Schema::Long | Schema::TimeMillis | Schema::TimeMicros => {
            json!(rng.i64(0..10_000))
        }
        Schema::Float | Schema::Double => json!(rng.i64(0..100_000) as f64 / 100.0),
        // Avro's JSON form of bytes: one character a byte.
        Schema::Bytes => Json::String(word(rng)),
        Schema::String => Json::String(word(rng)),
        Schema::Uuid(_) => Json::String(uuid(rng)),
        Schema::Array(a) => {
            let n = if depth >= DEPTH { 0 } else { rng.usize(0..=3) };
            Json::Array(
                (0..n)
                    .map(|_| avro_value(avro, &a.items, rng, depth + 1))
                    .collect::<Result<_, _>>()?,
            )
        }
        Schema::Map(m) => {
            let n = if depth >= DEPTH { 0 } else { rng.usize(0..=2) };
            let mut out = Map::new();
            for _ in 0..n {
                out.insert(word(rng), avro_value(avro, &m.types, rng, depth + 1)?);
            }
            Json::Object(out)
        }
        Schema::Union(u) => {
            let variants = u.variants();
            // Deep down, null ends a recursion where the union allows it.
            let null = variants.iter().position(|v| matches!(v, Schema::Null));
            let pick = match null {
                Some(i) if depth >= DEPTH => i,
                _ => rng.usize(..variants.len().max(1)),
            };
            let chosen = variants.get(pick).ok_or("an empty union")?;
            avro_value(avro, chosen, rng, depth + 1)?
        }
        Schema::Record(r) => {
            let mut out = Map::new();
            for f in &r.fields {
                out.insert(f.name.clone(), avro_value(avro, &f.schema, rng, depth + 1)?);
            }
            Json::Object(out)
        }
        Schema::Enum(e) => Json::String(
            e.symbols
                .get(rng.usize(..e.symbols.len().max(1)))
                .cloned()
                .ok_or("an enum without symbols")?,
        ),
        Schema::Fixed(f) => Json::String((0..f.size).map(|_| rng.alphanumeric()).collect()),
        Schema::Decimal(d) => {
            // Digits that fit the precision, and fixed bytes when fixed.
            let mut whole_digits = d.precision.saturating_sub(d.scale).min(6);
            if let InnerDecimalSchema::Fixed(f) = &d.inner {
                whole_digits = whole_digits.min(f.size.saturating_mul(2).saturating_sub(1));
            }
            let whole = if whole_digits == 0 {
                0
            } else {
                rng.u64(0..10u64.pow(whole_digits as u32))
            };
            let frac: String = (0..d.scale.min(6))
                .map(|_| char::from(b'0' + rng.u8(0..10)))
                .collect();
            let zeros = "0".repeat(d.scale.saturating_sub(6));
            match d.scale {
                0 => Json::String(whole.to_string()),
                _ => Json::String(format!("{whole}.{frac}{zeros}")),
            }
        }
        Schema::Date => Json::String(
            (chrono::NaiveDate::default() + chrono::Days::new(rng.u64(18_000..22_000)))
                .format("%Y-%m-%d")
                .to_string(),
        ),
        Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => Json::String(instant(rng)),
        Schema::BigDecimal | Schema::Duration(_) => {
            return Err(
                "the schema has a big-decimal or duration, which kprod cannot yet write from JSON"
                    .into(),
            )
        }
        Schema::Ref { name } => {
            let target = avro
                .names
                .get(name)
                .ok_or_else(|| format!("unknown type {}", name.fullname(None)))?;
            avro_value(avro, target, rng, depth + 1)?
        }
    })
}

/// A message for a Protobuf schema, in protobuf's JSON mapping.
pub fn protobuf(message: &MessageDescriptor, rng: &mut fastrand::Rng) -> Result<Json, String> {
    let m = proto_message(message, rng, 0);
    serde_json::to_value(&m).map_err(|e| e.to_string())
}

fn proto_message(
    desc: &MessageDescriptor,
    rng: &mut fastrand::Rng,
    depth: usize,
) -> DynamicMessage {
    let mut m = DynamicMessage::new(desc.clone());
    if let Some(v) = well_known(desc, rng) {
        return v;
    }
    // One field of each oneof (proto3's optional fields are oneofs of one).
    let mut chosen: Vec<String> = Vec::new();
    for oneof in desc.oneofs() {
        let fields: Vec<FieldDescriptor> = oneof.fields().collect();
        if !fields.is_empty() {
            chosen.push(fields[rng.usize(..fields.len())].full_name().to_string());
        }
    }
    for field in desc.fields() {
        if field.containing_oneof().is_some() && !chosen.iter().any(|c| c == field.full_name()) {
            continue;
        }
        if let Some(v) = proto_field(&field, rng, depth) {
            m.set_field(&field, v);
        }
    }
    m
}

/// The value of one field, or none where the field is best left unset
/// (a message too deep, one kprod cannot fill validly).
fn proto_field(field: &FieldDescriptor, rng: &mut fastrand::Rng, depth: usize) -> Option<Value> {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            return None;
        };
        let (k, v) = (entry.map_entry_key_field(), entry.map_entry_value_field());
        let n = if depth >= DEPTH { 0 } else { rng.usize(0..=2) };
        let mut map = std::collections::HashMap::new();
        for _ in 0..n {
            let key = match proto_scalar(&k.kind(), rng)? {
                Value::String(s) => MapKey::String(s),
                Value::I32(i) => MapKey::I32(i),
                Value::I64(i) => MapKey::I64(i),
                Value::U32(i) => MapKey::U32(i),
                Value::U64(i) => MapKey::U64(i),
                Value::Bool(b) => MapKey::Bool(b),
                _ => return None,
            };
            map.insert(key, proto_single(&v.kind(), rng, depth + 1)?);
        }
        return Some(Value::Map(map));
    }
    if field.is_list() {
        let n = if depth >= DEPTH { 0 } else { rng.usize(0..=3) };
        let items: Option<Vec<Value>> = (0..n)
            .map(|_| proto_single(&field.kind(), rng, depth + 1))
            .collect();
        return items.map(Value::List);
    }
    proto_single(&field.kind(), rng, depth)
}

fn proto_single(kind: &Kind, rng: &mut fastrand::Rng, depth: usize) -> Option<Value> {
    match kind {
        Kind::Message(m) if depth >= DEPTH => {
            // Too deep: only a message with nothing in it ends here.
            (m.fields().len() == 0).then(|| Value::Message(DynamicMessage::new(m.clone())))
        }
        Kind::Message(m) => Some(Value::Message(proto_message(m, rng, depth + 1))),
        k => proto_scalar(k, rng),
    }
}

fn proto_scalar(kind: &Kind, rng: &mut fastrand::Rng) -> Option<Value> {
    Some(match kind {
        Kind::Double => Value::F64(rng.i64(0..100_000) as f64 / 100.0),
        Kind::Float => Value::F32(rng.i32(0..10_000) as f32 / 100.0),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(rng.i32(0..10_000)),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(rng.i64(0..10_000)),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(rng.u32(0..10_000)),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(rng.u64(0..10_000)),
        Kind::Bool => Value::Bool(rng.bool()),
        Kind::String => Value::String(word(rng)),
        Kind::Bytes => Value::Bytes(word(rng).into_bytes().into()),
        Kind::Enum(e) => {
            let values: Vec<i32> = e.values().map(|v| v.number()).collect();
            Value::EnumNumber(*values.get(rng.usize(..values.len().max(1)))?)
        }
        Kind::Message(_) => return None,
    })
}

/// Google's well-known messages, whose JSON forms have rules of their own:
/// a timestamp within the years JSON can show, a wrapper's value. Any,
/// Struct and Value are left empty, as a record drawn at random has no
/// type to pack.
fn well_known(desc: &MessageDescriptor, rng: &mut fastrand::Rng) -> Option<DynamicMessage> {
    let name = desc.full_name();
    if !name.starts_with("google.protobuf.") {
        return None;
    }
    let mut m = DynamicMessage::new(desc.clone());
    match name {
        "google.protobuf.Timestamp" => {
            m.set_field_by_name("seconds", Value::I64(rng.i64(1_500_000_000..2_000_000_000)));
        }
        "google.protobuf.Duration" => {
            m.set_field_by_name("seconds", Value::I64(rng.i64(0..86_400)));
        }
        "google.protobuf.Any"
        | "google.protobuf.Struct"
        | "google.protobuf.Value"
        | "google.protobuf.ListValue"
        | "google.protobuf.FieldMask"
        | "google.protobuf.Empty" => {}
        _ => {
            // The wrappers: one field, named value.
            let field = desc.get_field_by_name("value")?;
            m.set_field(&field, proto_scalar(&field.kind(), rng)?);
        }
    }
    Some(m)
}

/// A record for a JSON Schema: `root` is the whole schema, for `$ref`s.
pub fn json_schema(root: &Json, rng: &mut fastrand::Rng) -> Json {
    json_value(root, root, rng, 0)
}

fn json_value(root: &Json, schema: &Json, rng: &mut fastrand::Rng, depth: usize) -> Json {
    let Some(s) = schema.as_object() else {
        // `true` (anything) or a schema that is not an object.
        return Json::Null;
    };
    if let Some(r) = s.get("$ref").and_then(Json::as_str) {
        if let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p)) {
            if depth < DEPTH * 2 {
                return json_value(root, target, rng, depth + 1);
            }
        }
        return Json::Null;
    }
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(Json::Array(choices)) = s.get("enum") {
        if !choices.is_empty() {
            return choices[rng.usize(..choices.len())].clone();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Json::Array(choices)) = s.get(key) {
            if !choices.is_empty() {
                return json_value(root, &choices[rng.usize(..choices.len())], rng, depth + 1);
            }
        }
    }
    if let Some(Json::Array(all)) = s.get("allOf") {
        // The parts merged: their properties and required names together.
        let mut merged = s.clone();
        merged.remove("allOf");
        for part in all {
            let part = match part.get("$ref").and_then(Json::as_str) {
                Some(r) => r
                    .strip_prefix('#')
                    .and_then(|p| root.pointer(p))
                    .unwrap_or(part),
                None => part,
            };
            if let Some(p) = part.as_object() {
                for (k, v) in p {
                    match (merged.get_mut(k), v) {
                        (Some(Json::Object(have)), Json::Object(more)) => {
                            have.extend(more.clone());
                        }
                        (Some(Json::Array(have)), Json::Array(more)) => {
                            have.extend(more.iter().cloned());
                        }
                        (None, _) => {
                            merged.insert(k.clone(), v.clone());
                        }
                        _ => {}
                    }
                }
            }
        }
        return json_value(root, &Json::Object(merged), rng, depth + 1);
    }
    let kind = match s.get("type") {
        Some(Json::String(t)) => t.as_str(),
        Some(Json::Array(ts)) => {
            let named: Vec<&str> = ts.iter().filter_map(Json::as_str).collect();
            match named.iter().find(|t| **t != "null") {
                Some(t) if depth < DEPTH * 2 => t,
                _ => named.first().copied().unwrap_or("null"),
            }
        }
        _ if s.contains_key("properties") => "object",
        _ if s.contains_key("items") => "array",
        _ => "null",
    };
    let number = |key: &str| s.get(key).and_then(Json::as_f64);
    match kind {
        "object" => {
            let required: Vec<&str> = s
                .get("required")
                .and_then(Json::as_array)
                .map(|r| r.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            let mut out = Map::new();
            if let Some(props) = s.get("properties").and_then(Json::as_object) {
                for (name, p) in props {
                    if required.contains(&name.as_str()) || (depth < DEPTH && rng.bool()) {
                        out.insert(name.clone(), json_value(root, p, rng, depth + 1));
                    }
                }
            }
            Json::Object(out)
        }
        "array" => {
            let min = number("minItems").unwrap_or(0.0) as usize;
            let max = (number("maxItems").unwrap_or(3.0) as usize).max(min);
            let n = if depth >= DEPTH {
                min
            } else {
                rng.usize(min..=max.min(min + 3))
            };
            let items = s.get("items").cloned().unwrap_or(Json::Bool(true));
            Json::Array(
                (0..n)
                    .map(|_| json_value(root, &items, rng, depth + 1))
                    .collect(),
            )
        }
        "string" => {
            let text = match s.get("format").and_then(Json::as_str) {
                Some("date-time") => instant(rng),
                Some("date") => "2026-12-02".into(),
                Some("email") => format!("{}@example.com", word(rng)),
                Some("uuid") => uuid(rng),
                _ => word(rng),
            };
            let min = number("minLength").unwrap_or(0.0) as usize;
            let max = number("maxLength").map(|m| m as usize);
            let mut text: String = match max {
                Some(max) => text.chars().take(max).collect(),
                None => text,
            };
            while text.chars().count() < min {
                text.push(rng.alphanumeric());
            }
            Json::String(text)
        }
        "integer" | "number" => {
            let low = number("minimum")
                .or(number("exclusiveMinimum").map(|m| m + 1.0))
                .unwrap_or(0.0);
            let high = number("maximum")
                .or(number("exclusiveMaximum").map(|m| m - 1.0))
                .unwrap_or(low.max(0.0) + 10_000.0)
                .max(low);
            let n = rng.i64(low.ceil() as i64..=high.floor() as i64);
            json!(n)
        }
        "boolean" => Json::Bool(rng.bool()),
        _ => Json::Null,
    }
}

fn uuid(rng: &mut fastrand::Rng) -> String {
    let b: [u8; 16] = std::array::from_fn(|_| rng.u8(..));
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// A time in this decade, as RFC 3339 text the timestamp types take.
fn instant(rng: &mut fastrand::Rng) -> String {
    chrono::DateTime::from_timestamp_millis(rng.i64(1_700_000_000_000..1_900_000_000_000))
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
