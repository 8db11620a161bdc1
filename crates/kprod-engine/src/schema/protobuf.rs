//! Protobuf: a schema as .proto text (compiled at run time by protox) or as
//! the base64 FileDescriptorProto some serializers register, one message of
//! it chosen, and the JSON a user types read by protobuf's own JSON mapping
//! (well-known types included) into that message.

use std::collections::HashMap;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use protox::file::{File, FileResolver, GoogleFileResolver};

use super::SchemaError;

/// The message records are written as, and its place in its file.
pub struct Protobuf {
    message: MessageDescriptor,
    indexes: Vec<i32>,
}

/// The name the main schema is compiled under: what it imports is found
/// by the names its references give.
const MAIN: &str = "kprod-schema.proto";

/// A schema's text and the files it imports, by import name, all in memory.
struct Sources {
    files: HashMap<String, String>,
    google: GoogleFileResolver,
}

impl FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.files.get(name) {
            Some(text) => match descriptor(text) {
                // Under the name it is opened by, whatever it was
                // registered as.
                Some(bytes) => {
                    let mut file =
                        prost_reflect::prost_types::FileDescriptorProto::decode(bytes.as_slice())
                            .map_err(|e| protox::Error::new(std::io::Error::other(e.to_string())))?;
                    file.name = Some(name.into());
                    Ok(File::from_file_descriptor_proto(file))
                }
                None => File::from_source(name, text),
            },
            None => self.google.open_file(name),
        }
    }
}

/// The bytes of a base64 FileDescriptorProto, if the text is one (.proto
/// text always has spaces or semicolons, which base64 never does).
fn descriptor(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if t.is_empty() || t.contains(|c: char| c.is_whitespace() || c == ';') {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(t).ok()
}

impl Protobuf {
    /// `text` with the files it imports (`references`: import name, text),
    /// and the message named (full or short name; the file's first if none).
    pub fn parse(
        text: &str,
        references: &[(String, String)],
        message: Option<&str>,
    ) -> Result<Protobuf, SchemaError> {
        let bad = |reason: String| SchemaError::Parse {
            format: "Protobuf",
            reason,
        };
        let mut files: HashMap<String, String> = references.iter().cloned().collect();
        files.insert(MAIN.into(), text.into());
        let mut compiler = protox::Compiler::with_file_resolver(Sources {
            files,
            google: GoogleFileResolver::new(),
        });
        compiler.include_imports(true);
        compiler.open_file(MAIN).map_err(|e| bad(e.to_string()))?;
        let main = MAIN;
        let pool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(main)
            .ok_or_else(|| bad("the schema compiled to nothing".into()))?;
        let all: Vec<MessageDescriptor> = pool
            .all_messages()
            .filter(|m| m.parent_file().name() == main)
            .collect();
        let chosen = match message {
            None => file
                .messages()
                .next()
                .ok_or_else(|| bad("the schema defines no message".into()))?,
            Some(name) => {
                let name = name.trim_start_matches('.');
                all.iter()
                    .find(|m| m.full_name() == name)
                    .or_else(|| {
                        let tail = format!(".{name}");
                        let short: Vec<_> = all
                            .iter()
                            .filter(|m| m.full_name().ends_with(&tail))
                            .collect();
                        (short.len() == 1).then(|| short[0])
                    })
                    .cloned()
                    .ok_or_else(|| {
                        let names: Vec<&str> = all.iter().map(|m| m.full_name()).collect();
                        SchemaError::NoMessage {
                            name: name.into(),
                            known: names.join(", "),
                        }
                    })?
            }
        };
        Ok(Protobuf {
            indexes: indexes(&chosen),
            message: chosen,
        })
    }

    pub(super) fn message(&self) -> &MessageDescriptor {
        &self.message
    }

    pub fn record_name(&self) -> String {
        self.message.full_name().into()
    }

    /// The message indexes of Confluent's framing, as written after the id:
    /// a lone 0 for the file's first message, else the count and each
    /// index, as zigzag varints.
    pub fn indexes_bytes(&self) -> Vec<u8> {
        if self.indexes == [0] {
            return vec![0];
        }
        let mut out = Vec::new();
        let mut put = |n: i32| {
            prost::encoding::encode_varint(u64::from(((n << 1) ^ (n >> 31)) as u32), &mut out)
        };
        put(self.indexes.len() as i32);
        for &i in &self.indexes {
            put(i);
        }
        out
    }

    pub fn encode(&self, json: &[u8]) -> Result<Vec<u8>, SchemaError> {
        let mut de = serde_json::Deserializer::from_slice(json);
        let mut track = serde_path_to_error::Track::new();
        let message: Result<DynamicMessage, _> = serde::de::DeserializeSeed::deserialize(
            self.message.clone(),
            serde_path_to_error::Deserializer::new(&mut de, &mut track),
        );
        let message = message.map_err(|e| {
            let path = track.path().to_string();
            SchemaError::Invalid {
                path: if path == "." {
                    "$".into()
                } else {
                    format!("$.{path}")
                },
                reason: e.to_string(),
            }
        })?;
        de.end().map_err(|e| SchemaError::Json(e.to_string()))?;
        Ok(message.encode_to_vec())
    }
}

/// Where a message sits: its index in its file, then in each enclosing
/// message, outermost first.
fn indexes(message: &MessageDescriptor) -> Vec<i32> {
    let mut out = Vec::new();
    let mut m = message.clone();
    loop {
        let place = match m.parent_message() {
            Some(parent) => {
                let i = parent.child_messages().position(|c| c == m).unwrap_or(0);
                out.push(i as i32);
                m = parent;
                continue;
            }
            None => m.parent_file().messages().position(|c| c == m).unwrap_or(0),
        };
        out.push(place as i32);
        break;
    }
    out.reverse();
    out
}
