//! The composer's schema serializers: asking the engine for a key's or
//! value's schema (Ctrl-G, or the command line's --value-schema), taking
//! its answer, and drawing a random record valid for it (Ctrl-O).

use super::{App, Focus};
use crate::engine::schema::session::Ask;
use crate::engine::schema::Format;
use crate::engine::{Command, Level};

/// What the schema prompt takes, as its placeholder says.
pub const SCHEMA_SYNTAX: &str =
    "avro|protobuf|json-schema[-raw] FILE|subject:NAME[:VERSION]|id:N [MESSAGE], or off";

/// The schema prompt's text: a serializer and where its schema is, or
/// `off` (None) for the plain serializers.
pub fn parse_schema(text: &str) -> Result<Option<Ask>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["off"] => Ok(None),
        [serializer, source, rest @ ..] if rest.len() <= 1 => {
            let (format, raw) = Format::parse_serializer(&serializer.to_ascii_lowercase())
                .ok_or_else(|| {
                    format!("'{serializer}' is not avro, protobuf or json-schema (add -raw for no framing)")
                })?;
            Ok(Some(Ask {
                format,
                raw,
                source: source.to_string(),
                message: rest.first().map(|m| m.to_string()),
            }))
        }
        _ => Err(SCHEMA_SYNTAX.into()),
    }
}

/// The prompt's text for a schema already asked for.
pub fn ask_text(ask: &Ask) -> String {
    let mut text = format!("{} {}", ask.serializer(), ask.source);
    if let Some(m) = &ask.message {
        text.push(' ');
        text.push_str(m);
    }
    text
}

impl App {
    /// The key's (or value's) serializer becomes `ask`'s once the engine
    /// has found the schema.
    pub fn ask_schema(&mut self, is_key: bool, ask: Ask) -> Command {
        let field = if is_key {
            &mut self.key
        } else {
            &mut self.value
        };
        field.ask_schema(ask.clone());
        Command::ResolveSchema {
            topic: self.topic.clone(),
            is_key,
            ask,
        }
    }

    /// The schemas asked again for another topic: TopicNameStrategy's
    /// subject is the topic's.
    pub(super) fn schemas_for_topic(&mut self) -> Vec<Command> {
        let asks = [
            (true, self.key.schema.as_ref().map(|s| s.ask.clone())),
            (false, self.value.schema.as_ref().map(|s| s.ask.clone())),
        ];
        asks.into_iter()
            .filter_map(|(is_key, ask)| ask.map(|a| self.ask_schema(is_key, a)))
            .collect()
    }

    /// The schema prompt's answer for the focused field.
    pub(super) fn schema_chosen(&mut self, focus: Focus, text: &str) -> Vec<Command> {
        let is_key = focus == Focus::Key;
        match parse_schema(text) {
            Ok(Some(ask)) => vec![self.ask_schema(is_key, ask)],
            Ok(None) => {
                let field = if is_key {
                    &mut self.key
                } else {
                    &mut self.value
                };
                field.drop_schema();
                Vec::new()
            }
            Err(e) => {
                self.note(Level::Error, e);
                Vec::new()
            }
        }
    }

    /// The engine's answer to ResolveSchema.
    pub(super) fn schema_resolved(
        &mut self,
        is_key: bool,
        ask: Ask,
        result: Result<crate::engine::schema::Encoder, String>,
        registry: Option<(String, bool)>,
    ) {
        if registry.is_some() {
            self.registry = registry;
        }
        let side = if is_key { "key" } else { "value" };
        let field = if is_key {
            &mut self.key
        } else {
            &mut self.value
        };
        let asked = field.schema.as_ref().is_some_and(|s| s.ask == ask);
        if !asked {
            return;
        }
        match result {
            Ok(encoder) => {
                let o = &encoder.origin;
                let mut what = format!("{side} serializer is {}", ask.serializer());
                match (&o.subject, o.version, o.id) {
                    (Some(s), v, Some(id)) => {
                        what += &format!(", subject {s}");
                        if let Some(v) = v {
                            what += &format!(" version {v}");
                        }
                        what += &format!(", schema id {id}");
                    }
                    (_, _, Some(id)) => what += &format!(", schema id {id}"),
                    _ => what += &format!(" from {} (no framing, no registry)", ask.source),
                }
                field.schema_found(&ask, encoder);
                self.note(
                    Level::Info,
                    format!("{what}; type JSON, or Ctrl-O for a random valid record"),
                );
            }
            Err(e) => {
                field.drop_schema();
                self.note(
                    Level::Error,
                    format!("{side} schema {} {}: {e}", ask.serializer(), ask.source),
                );
            }
        }
    }

    /// Ctrl-O: the focused field filled with a random record valid for
    /// its schema.
    pub(super) fn random_record(&mut self) {
        let field = match self.focus {
            Focus::Key => &mut self.key,
            Focus::Value => &mut self.value,
            _ => return,
        };
        if let Err(e) = field.fill_random() {
            self.note(Level::Error, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_takes_a_serializer_a_source_and_a_message() {
        let ask = parse_schema("protobuf-raw orders.proto Parcel")
            .unwrap()
            .unwrap();
        assert_eq!(ask.format, Format::Protobuf);
        assert!(ask.raw);
        assert_eq!(ask.message.as_deref(), Some("Parcel"));
        assert_eq!(ask_text(&ask), "protobuf-raw orders.proto Parcel");
        assert_eq!(parse_schema("off").unwrap(), None);
        assert!(parse_schema("thrift x.thrift")
            .unwrap_err()
            .contains("not avro"));
        assert_eq!(parse_schema("avro").unwrap_err(), SCHEMA_SYNTAX);
    }
}
