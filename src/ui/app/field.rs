//! A key or value as composed: the text, whether it is null, its serializer
//! (or its schema's), and the wire bytes of its first record, worked out
//! when the field changes so that drawing never renders templates. The
//! Bytes (file) serializer's file is read by the runner when asked for, and
//! handed back; a schema is found by the engine, and handed back.

use base64::Engine as _;
use crossterm::event::{KeyCode, KeyEvent};
use tui_textarea::TextArea;

use crate::engine::record::RANDOM;
use crate::engine::schema::session::Ask;
use crate::engine::schema::Encoder;
use crate::engine::serde::Serializer;
use crate::engine::template::Template;

/// A schema serializer for the field: what was asked, and the encoder the
/// engine found, once it has.
#[derive(Debug, Clone)]
pub struct Schema {
    pub ask: Ask,
    pub encoder: Option<Encoder>,
}

/// A text field that can also be null, with the serializer that turns
/// what is typed into wire bytes.
pub struct Field {
    pub text: TextArea<'static>,
    pub null: bool,
    pub serializer: Serializer,
    /// Multi-line fields keep line breaks; single-line ones ignore Enter.
    multi_line: bool,
    wire: Result<Option<Vec<u8>>, String>,
    /// The Bytes (file) serializer's file as last read: its path, and its
    /// bytes or why there are none. Kept for one path only.
    file: Option<(String, Result<Vec<u8>, String>)>,
    /// The file asked for and not yet read.
    asked: Option<String>,
    /// The schema serializer, which stands in for `serializer` while set.
    pub schema: Option<Schema>,
    /// Where `{schema}` and Ctrl-O draw random records from: held here, so
    /// `update` stays a function of the state.
    rng: fastrand::Rng,
}

/// What the engine is given for a key or value.
pub type ForEngine = (Option<Vec<u8>>, Serializer, Option<Encoder>);

impl Field {
    pub fn new(multi_line: bool, null: bool) -> Field {
        let mut f = Field {
            text: TextArea::default(),
            null,
            serializer: Serializer::String,
            multi_line,
            wire: Ok(None),
            file: None,
            asked: None,
            schema: None,
            rng: fastrand::Rng::new(),
        };
        f.refresh();
        f
    }

    /// What was typed: `None` when null.
    pub fn typed(&self) -> Option<Vec<u8>> {
        (!self.null).then(|| self.text.lines().join("\n").into_bytes())
    }

    /// The bytes the (first) record carries, or why there are none: `{seq}`
    /// counts as 0, as in the first record of a burst, and other generators
    /// give one sample, drawn when the field last changed.
    pub fn wire(&self) -> &Result<Option<Vec<u8>>, String> {
        &self.wire
    }

    /// What the engine is given for this field, with the serializer it
    /// applies to each record. A file goes as its bytes in base64, read
    /// here once: the engine would read it again for every record, and no
    /// template touches base64's letters.
    pub fn for_engine(&self) -> Result<ForEngine, String> {
        if let Err(e) = &self.wire {
            return Err(e.clone());
        }
        if let Some(schema) = &self.schema {
            // The JSON as typed: the engine fills in a burst's generators,
            // then the schema writes each record.
            let encoder = schema
                .encoder
                .clone()
                .ok_or("the schema is not found yet")?;
            return Ok((self.typed(), Serializer::String, Some(encoder)));
        }
        match (&self.wire, self.serializer) {
            (Ok(Some(bytes)), Serializer::File) => Ok((
                Some(
                    base64::engine::general_purpose::STANDARD
                        .encode(bytes)
                        .into_bytes(),
                ),
                Serializer::Base64,
                None,
            )),
            (_, s) => Ok((self.typed(), s, None)),
        }
    }

    /// The serializer's name as the pane shows it.
    pub fn serializer_name(&self) -> String {
        match &self.schema {
            Some(s) => s.ask.serializer(),
            None => self.serializer.name().to_string(),
        }
    }

    /// A schema asked for: the field waits for the engine's answer.
    pub fn ask_schema(&mut self, ask: Ask) {
        self.schema = Some(Schema { ask, encoder: None });
        self.refresh();
    }

    /// The engine's answer for `ask`; one for a schema no longer asked for
    /// changes nothing. Whether it was taken.
    pub fn schema_found(&mut self, ask: &Ask, encoder: Encoder) -> bool {
        match &mut self.schema {
            Some(s) if s.ask == *ask => {
                s.encoder = Some(encoder);
                self.refresh();
                true
            }
            _ => false,
        }
    }

    /// Back to the plain serializers, as before the schema.
    pub fn drop_schema(&mut self) {
        self.schema = None;
        self.refresh();
    }

    /// The field's text replaced by a record drawn at random from its
    /// schema, laid out over lines; or why there is none.
    pub fn fill_random(&mut self) -> Result<(), String> {
        let encoder =
            match &self.schema {
                Some(Schema {
                    encoder: Some(e), ..
                }) => e.clone(),
                Some(_) => return Err("the schema is not found yet".into()),
                None => return Err(
                    "no schema: Ctrl-G gives the field an avro, protobuf or json-schema serializer"
                        .into(),
                ),
            };
        let drawn = encoder.random(&mut self.rng)?;
        let text = if self.multi_line {
            serde_json::to_string_pretty(&drawn)
        } else {
            serde_json::to_string(&drawn)
        }
        .map_err(|e| e.to_string())?;
        let lines: Vec<String> = text.lines().map(String::from).collect();
        self.text = TextArea::new(lines);
        self.null = false;
        self.refresh();
        Ok(())
    }

    /// A key press for the text; returns whether the text changed. What is
    /// typed makes a null field a string again.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        if !self.multi_line && key.code == KeyCode::Enter {
            return false;
        }
        let changed = self.text.input(key);
        if changed {
            self.null = false;
            self.refresh();
        }
        changed
    }

    /// Pasted text, inserted at the cursor in one go.
    pub fn paste(&mut self, text: &str) {
        insert_pasted(&mut self.text, text, self.multi_line);
        self.null = false;
        self.refresh();
    }

    /// A template's text (None: null) with its serializer.
    pub fn set_text(&mut self, text: Option<&str>, serializer: Serializer) {
        self.text = TextArea::new(
            text.unwrap_or_default()
                .split('\n')
                .map(str::to_string)
                .collect(),
        );
        self.null = text.is_none();
        self.serializer = serializer;
        self.file = None;
        self.refresh();
    }

    /// Ctrl-U: the text gone, at once (a null field stays null).
    pub fn clear(&mut self) {
        self.text = TextArea::default();
        self.refresh();
    }

    pub fn toggle_null(&mut self) {
        self.null = !self.null;
        self.refresh();
    }

    pub fn cycle_serializer(&mut self) {
        // Out of a schema, the plain serializers start over.
        if self.schema.take().is_some() {
            self.serializer = Serializer::String;
            self.file = None;
            self.refresh();
            return;
        }
        self.serializer = self.serializer.next();
        // Chosen again, the file is read again: it may have changed.
        self.file = None;
        self.refresh();
    }

    /// The file the Bytes (file) serializer needs read, once per path: the
    /// runner reads it and `file_read` takes the answer.
    pub fn file_wanted(&mut self) -> Option<String> {
        let path = self.file_path()?;
        let known = self.file.as_ref().is_some_and(|(p, _)| *p == path);
        if known || self.asked.as_ref() == Some(&path) {
            return None;
        }
        self.asked = Some(path.clone());
        Some(path)
    }

    /// A file read, or why not; an answer for a path the field no longer
    /// names changes nothing.
    pub fn file_read(&mut self, path: String, result: Result<Vec<u8>, String>) {
        if self.asked.as_ref() == Some(&path) {
            self.asked = None;
        }
        if self.file_path().as_ref() == Some(&path) {
            self.file = Some((path, result));
            self.refresh();
        }
    }

    /// The path typed for Bytes (file), as its first record names it.
    fn file_path(&self) -> Option<String> {
        if self.serializer != Serializer::File {
            return None;
        }
        let first = Template::parse(&self.typed()?).ok()?.rendered(0);
        let path = String::from_utf8_lossy(&first).trim().to_string();
        (!path.is_empty()).then_some(path)
    }

    /// Works the wire bytes out again.
    pub fn refresh(&mut self) {
        self.wire = self.compute();
    }

    fn compute(&mut self) -> Result<Option<Vec<u8>>, String> {
        let Some(typed) = self.typed() else {
            return Ok(None);
        };
        if let Some(schema) = &self.schema {
            let name = schema.ask.serializer();
            let Some(encoder) = &schema.encoder else {
                return Err(format!("{name}: finding the schema {}", schema.ask.source));
            };
            // `{schema}` alone: one record of the burst, drawn now.
            let record = if typed.trim_ascii() == RANDOM.as_bytes() {
                let drawn = encoder.random(&mut self.rng)?;
                drawn.to_string().into_bytes()
            } else {
                Template::parse(&typed)
                    .map_err(|e| format!("template: {e}"))?
                    .rendered(0)
            };
            return encoder
                .encode(&record)
                .map(Some)
                .map_err(|e| format!("{name}: {e}"));
        }
        let first = Template::parse(&typed)
            .map_err(|e| format!("template: {e}"))?
            .rendered(0);
        if self.serializer == Serializer::File {
            return match (self.file_path(), &self.file) {
                (None, _) => Err("Bytes (file): type the path of a file to send".into()),
                (Some(path), Some((read_from, read))) if path == *read_from => {
                    read.clone().map(Some)
                }
                (Some(path), _) => Err(format!("Bytes (file): reading {path}")),
            };
        }
        self.serializer
            .serialize(&first)
            .map(|b| Some(b.into_owned()))
            .map_err(|e| format!("{}: {e}", self.serializer.name()))
    }
}

/// Pasted text into a text area at its cursor; a single-line area gets
/// line breaks as spaces, so nothing pasted is lost.
pub fn insert_pasted(area: &mut TextArea<'static>, text: &str, multi_line: bool) {
    // Terminals send a pasted line break as CR.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if multi_line {
        area.insert_str(text);
    } else {
        area.insert_str(text.replace('\n', " "));
    }
}
