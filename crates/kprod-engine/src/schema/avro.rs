//! Avro: the JSON a user types, read by the schema into apache-avro's values
//! (unions bare or in Avro's own `{"type": value}` form, enums, logical
//! types, bytes), and written as apache-avro writes a datum.

use std::collections::HashMap;

use apache_avro::schema::{InnerDecimalSchema, Name, Schema};
use apache_avro::types::Value;
use serde_json::Value as Json;

use super::SchemaError;

/// An Avro schema with the named types it defines, for its references.
pub struct Avro {
    pub(super) schema: Schema,
    pub(super) names: HashMap<Name, Schema>,
}

impl Avro {
    pub fn parse(text: &str) -> Result<Avro, SchemaError> {
        let bad = |e: apache_avro::Error| SchemaError::Parse {
            format: "Avro",
            reason: e.to_string(),
        };
        let schema = Schema::parse_str(text).map_err(bad)?;
        let names = apache_avro::schema::ResolvedSchema::try_from(&schema)
            .map_err(bad)?
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect();
        Ok(Avro { schema, names })
    }

    /// The full name of the record (or other named type) at the top, for
    /// the record-name subject strategies.
    pub fn record_name(&self) -> Option<String> {
        match &self.schema {
            Schema::Record(r) => Some(r.name.fullname(None)),
            Schema::Enum(e) => Some(e.name.fullname(None)),
            Schema::Fixed(f) => Some(f.name.fullname(None)),
            _ => None,
        }
    }

    pub fn encode(&self, json: &Json) -> Result<Vec<u8>, SchemaError> {
        let value = self.value(&self.schema, json, "$")?;
        let invalid = |e: apache_avro::Error| SchemaError::Invalid {
            path: "$".into(),
            reason: e.to_string(),
        };
        apache_avro::writer::datum::GenericDatumWriter::builder(&self.schema)
            .build()
            .map_err(invalid)?
            .write_value_to_vec(value)
            .map_err(invalid)
    }

    fn value(&self, schema: &Schema, json: &Json, path: &str) -> Result<Value, SchemaError> {
        let invalid = |reason: String| SchemaError::Invalid {
            path: path.into(),
            reason,
        };
        let want = |what: &str| invalid(format!("{what} expected, found {}", kind(json)));
        Ok(match schema {
            Schema::Null => match json {
                Json::Null => Value::Null,
                _ => return Err(want("null")),
            },
            Schema::Boolean => Value::Boolean(json.as_bool().ok_or_else(|| want("true or false"))?),
            Schema::Int => Value::Int(int(json, path, "int")?),
            Schema::Long => {
                Value::Long(json.as_i64().ok_or_else(|| want("a whole number (long)"))?)
            }
            Schema::Float => {
                Value::Float(json.as_f64().ok_or_else(|| want("a number (float)"))? as f32)
            }
            Schema::Double => {
                Value::Double(json.as_f64().ok_or_else(|| want("a number (double)"))?)
            }
            Schema::Bytes => Value::Bytes(latin1(json, path)?),
            Schema::String | Schema::Uuid(_) => {
                Value::String(json.as_str().ok_or_else(|| want("a string"))?.into())
            }
            Schema::Array(a) => {
                let items = json.as_array().ok_or_else(|| want("an array"))?;
                Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| self.value(&a.items, item, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()?,
                )
            }
            Schema::Map(m) => {
                let entries = json.as_object().ok_or_else(|| want("an object (map)"))?;
                Value::Map(
                    entries
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), self.value(&m.types, v, &field(path, k))?)))
                        .collect::<Result<_, SchemaError>>()?,
                )
            }
            Schema::Union(u) => self.union(u.variants(), json, path)?,
            Schema::Record(r) => {
                let given = json.as_object().ok_or_else(|| want("an object (record)"))?;
                if let Some(extra) = given
                    .keys()
                    .find(|k| !r.fields.iter().any(|f| &f.name == *k))
                {
                    return Err(SchemaError::Invalid {
                        path: field(path, extra),
                        reason: format!("{} has no field {extra}", r.name.fullname(None)),
                    });
                }
                let mut fields = Vec::with_capacity(r.fields.len());
                for f in &r.fields {
                    let at = field(path, &f.name);
                    let v = match (given.get(&f.name), &f.default) {
                        (Some(v), _) => self.value(&f.schema, v, &at)?,
                        // A union's default is of its first type.
                        (None, Some(d)) => match &f.schema {
                            Schema::Union(u) => {
                                let first = u.variants().first().ok_or_else(|| {
                                    invalid(format!("{} has an empty union", f.name))
                                })?;
                                Value::Union(0, Box::new(self.value(first, d, &at)?))
                            }
                            s => self.value(s, d, &at)?,
                        },
                        (None, None) => {
                            return Err(SchemaError::Invalid {
                                path: at,
                                reason: "required field missing".into(),
                            })
                        }
                    };
                    fields.push((f.name.clone(), v));
                }
                Value::Record(fields)
            }
            Schema::Enum(e) => {
                let s = json.as_str().ok_or_else(|| want("a symbol (string)"))?;
                let i = e.symbols.iter().position(|x| x == s).ok_or_else(|| {
                    invalid(format!("'{s}' is not one of {}", e.symbols.join(", ")))
                })?;
                Value::Enum(i as u32, s.into())
            }
            Schema::Fixed(f) => {
                let b = latin1(json, path)?;
                if b.len() != f.size {
                    return Err(invalid(format!(
                        "{} bytes expected, found {}",
                        f.size,
                        b.len()
                    )));
                }
                Value::Fixed(f.size, b)
            }
            Schema::Decimal(d) => {
                let size = match &d.inner {
                    InnerDecimalSchema::Fixed(f) => Some(f.size),
                    InnerDecimalSchema::Bytes => None,
                };
                Value::Decimal(decimal(json, d.precision, d.scale, size).map_err(invalid)?)
            }
            Schema::Date => Value::Date(match json {
                Json::String(s) => {
                    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| invalid(format!("'{s}' is not a date (YYYY-MM-DD)")))?;
                    (day - chrono::NaiveDate::default()).num_days() as i32
                }
                _ => int(json, path, "date: days since 1970-01-01 or YYYY-MM-DD")?,
            }),
            Schema::TimeMillis => Value::TimeMillis(int(json, path, "time-millis")?),
            Schema::TimeMicros => Value::TimeMicros(long(json, path, "time-micros")?),
            Schema::TimestampMillis => Value::TimestampMillis(instant(json, path, 1_000)?),
            Schema::TimestampMicros => Value::TimestampMicros(instant(json, path, 1_000_000)?),
            Schema::TimestampNanos => Value::TimestampNanos(instant(json, path, 1_000_000_000)?),
            Schema::LocalTimestampMillis => {
                Value::LocalTimestampMillis(instant(json, path, 1_000)?)
            }
            Schema::LocalTimestampMicros => {
                Value::LocalTimestampMicros(instant(json, path, 1_000_000)?)
            }
            Schema::LocalTimestampNanos => {
                Value::LocalTimestampNanos(instant(json, path, 1_000_000_000)?)
            }
            Schema::BigDecimal | Schema::Duration(_) => {
                return Err(invalid(format!(
                    "kprod cannot yet convert JSON to {}",
                    type_name(schema)
                )))
            }
            Schema::Ref { name } => {
                let target = self
                    .names
                    .get(name)
                    .ok_or_else(|| invalid(format!("unknown type {}", name.fullname(None))))?;
                self.value(target, json, path)?
            }
        })
    }

    /// A union's branch: the one named (`{"string": "x"}`, as Avro's JSON
    /// encoding and kafka-avro-console-producer write it), or else the first
    /// that takes the value as it is.
    fn union(&self, variants: &[Schema], json: &Json, path: &str) -> Result<Value, SchemaError> {
        if let Some((key, inner)) = json
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next())
        {
            if let Some(i) = variants
                .iter()
                .position(|v| names(v).iter().any(|n| n == key))
            {
                return Ok(Value::Union(
                    i as u32,
                    Box::new(self.value(&variants[i], inner, path)?),
                ));
            }
        }
        for (i, v) in variants.iter().enumerate() {
            if let Ok(value) = self.value(v, json, path) {
                return Ok(Value::Union(i as u32, Box::new(value)));
            }
        }
        let all: Vec<String> = variants.iter().map(type_name).collect();
        Err(SchemaError::Invalid {
            path: path.into(),
            reason: format!(
                "{} fits none of the union's types ({})",
                kind(json),
                all.join(", ")
            ),
        })
    }
}

fn field(path: &str, name: &str) -> String {
    format!("{path}.{name}")
}

fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// The names a union branch is called by in Avro's JSON encoding.
fn names(schema: &Schema) -> Vec<String> {
    match schema {
        Schema::Record(r) => vec![r.name.fullname(None), r.name.name().into()],
        Schema::Enum(e) => vec![e.name.fullname(None), e.name.name().into()],
        Schema::Fixed(f) => vec![f.name.fullname(None), f.name.name().into()],
        Schema::Ref { name } => vec![name.fullname(None), name.name().into()],
        s => vec![type_name(s)],
    }
}

fn type_name(schema: &Schema) -> String {
    match schema {
        Schema::Null => "null",
        Schema::Boolean => "boolean",
        Schema::Int | Schema::Date | Schema::TimeMillis => "int",
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => "long",
        Schema::Float => "float",
        Schema::Double => "double",
        Schema::Bytes | Schema::BigDecimal => "bytes",
        Schema::String | Schema::Uuid(_) => "string",
        Schema::Array(_) => "array",
        Schema::Map(_) => "map",
        Schema::Union(_) => "union",
        Schema::Decimal(d) => match d.inner {
            InnerDecimalSchema::Bytes => "bytes",
            InnerDecimalSchema::Fixed(_) => "fixed",
        },
        Schema::Duration(_) => "fixed",
        Schema::Record(r) => return r.name.fullname(None),
        Schema::Enum(e) => return e.name.fullname(None),
        Schema::Fixed(f) => return f.name.fullname(None),
        Schema::Ref { name } => return name.fullname(None),
    }
    .into()
}

fn int(json: &Json, path: &str, what: &str) -> Result<i32, SchemaError> {
    json.as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| SchemaError::Invalid {
            path: path.into(),
            reason: format!(
                "a 32-bit whole number expected ({what}), found {}",
                shown(json)
            ),
        })
}

fn long(json: &Json, path: &str, what: &str) -> Result<i64, SchemaError> {
    json.as_i64().ok_or_else(|| SchemaError::Invalid {
        path: path.into(),
        reason: format!("a whole number expected ({what}), found {}", shown(json)),
    })
}

fn shown(json: &Json) -> String {
    match json {
        Json::Number(n) => n.to_string(),
        j => kind(j).into(),
    }
}

/// A timestamp: a number in the schema's unit, or RFC 3339 text
/// (2024-03-01T12:30:00.250Z).
fn instant(json: &Json, path: &str, per_second: i64) -> Result<i64, SchemaError> {
    let Json::String(s) = json else {
        return long(json, path, "a timestamp, or RFC 3339 text");
    };
    let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| SchemaError::Invalid {
        path: path.into(),
        reason: format!("'{s}' is not an RFC 3339 timestamp (2024-03-01T12:30:00Z)"),
    })?;
    let nanos = i64::from(t.timestamp_subsec_nanos());
    Ok(t.timestamp() * per_second + nanos / (1_000_000_000 / per_second))
}

/// Bytes in Avro's JSON encoding: a string whose characters are the bytes
/// (U+0000 to U+00FF).
fn latin1(json: &Json, path: &str) -> Result<Vec<u8>, SchemaError> {
    let invalid = |reason: String| SchemaError::Invalid {
        path: path.into(),
        reason,
    };
    let s = json.as_str().ok_or_else(|| {
        invalid(format!(
            "bytes are typed as a string of \\u0000-\\u00ff characters, found {}",
            kind(json)
        ))
    })?;
    s.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .map_err(|_| invalid(format!("'{c}' is not a byte (\\u0000-\\u00ff)")))
        })
        .collect()
}

/// A decimal typed as a number or a string ("12.34"), as the big-endian
/// two's-complement unscaled value Avro writes (the fewest bytes, or the
/// fixed size sign-extended).
fn decimal(
    json: &Json,
    precision: usize,
    scale: usize,
    size: Option<usize>,
) -> Result<apache_avro::Decimal, String> {
    let text = match json {
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.trim().to_string(),
        j => {
            return Err(format!(
                "a decimal (number or \"12.34\") expected, found {}",
                kind(j)
            ))
        }
    };
    let bad = || format!("'{text}' is not a decimal number");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > scale {
        return Err(format!(
            "'{text}' has more than {scale} digits after the point (scale {scale})"
        ));
    }
    let unscaled_digits = format!("{whole}{frac:0<scale$}");
    let unscaled_digits = unscaled_digits.trim_start_matches('0');
    if unscaled_digits.len() > precision {
        return Err(format!(
            "'{text}' has more than {precision} digits (precision {precision})"
        ));
    }
    let mut n: i128 = if unscaled_digits.is_empty() {
        0
    } else {
        unscaled_digits.parse().map_err(|_| bad())?
    };
    if negative {
        n = -n;
    }
    let full = n.to_be_bytes();
    // The fewest bytes that keep the sign.
    let mut start = 0;
    while start < full.len() - 1
        && ((full[start] == 0 && full[start + 1] & 0x80 == 0)
            || (full[start] == 0xff && full[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    let mut bytes = full[start..].to_vec();
    if let Some(size) = size {
        if bytes.len() > size {
            return Err(format!("'{text}' does not fit {size} bytes"));
        }
        let fill = if negative { 0xff } else { 0 };
        let mut padded = vec![fill; size - bytes.len()];
        padded.append(&mut bytes);
        bytes = padded;
    }
    Ok(apache_avro::Decimal::from(bytes))
}
