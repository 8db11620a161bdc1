//! A key or value as composed: the text, whether it is null, its serializer,
//! and the wire bytes of its first record, worked out when the field changes
//! so that drawing never renders templates or reads files.

use std::io::Read;

use base64::Engine as _;
use crossterm::event::{KeyCode, KeyEvent};
use tui_textarea::TextArea;

use crate::engine::serde::Serializer;
use crate::engine::template::Template;

/// The largest file Bytes (file) sends: well above Kafka's default record
/// limit (1 MB), and small enough to hold and decode for every record of a
/// burst.
pub const FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// A text field that can also be null, with the serializer that turns
/// what is typed into wire bytes.
pub struct Field {
    pub text: TextArea<'static>,
    pub null: bool,
    pub serializer: Serializer,
    /// Multi-line fields keep line breaks; single-line ones ignore Enter.
    multi_line: bool,
    wire: Result<Option<Vec<u8>>, String>,
}

impl Field {
    pub fn new(multi_line: bool, null: bool) -> Field {
        let mut f = Field {
            text: TextArea::default(),
            null,
            serializer: Serializer::String,
            multi_line,
            wire: Ok(None),
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
    pub fn for_engine(&self) -> Result<(Option<Vec<u8>>, Serializer), String> {
        match (&self.wire, self.serializer) {
            (Err(e), _) => Err(e.clone()),
            (Ok(Some(bytes)), Serializer::File) => Ok((
                Some(
                    base64::engine::general_purpose::STANDARD
                        .encode(bytes)
                        .into_bytes(),
                ),
                Serializer::Base64,
            )),
            (Ok(_), s) => Ok((self.typed(), s)),
        }
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

    pub fn toggle_null(&mut self) {
        self.null = !self.null;
        self.refresh();
    }

    pub fn cycle_serializer(&mut self) {
        self.serializer = self.serializer.next();
        self.refresh();
    }

    /// Works the wire bytes out again; the only place that reads a file.
    pub fn refresh(&mut self) {
        self.wire = self.compute();
    }

    fn compute(&self) -> Result<Option<Vec<u8>>, String> {
        let Some(typed) = self.typed() else {
            return Ok(None);
        };
        let first = Template::parse(&typed)
            .map_err(|e| format!("template: {e}"))?
            .rendered(0);
        if self.serializer == Serializer::File {
            let path = String::from_utf8_lossy(&first);
            return read_file(path.trim()).map(Some);
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

/// A regular file's bytes, up to FILE_LIMIT. Anything else is refused
/// before it is opened: a FIFO or a terminal would block the read for good.
pub fn read_file(path: &str) -> Result<Vec<u8>, String> {
    let name = "Bytes (file)";
    if path.is_empty() {
        return Err(format!("{name}: type the path of a file to send"));
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: cannot read {path}: {e}"))?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if is_fifo(&kind) {
            "a FIFO"
        } else {
            "a device or other special file"
        };
        return Err(format!(
            "{name}: {path} is {what}; only a regular file is sent"
        ));
    }
    if meta.len() > FILE_LIMIT {
        return Err(format!(
            "{name}: {path} is {} bytes, over the limit of {} MiB",
            meta.len(),
            FILE_LIMIT / 1024 / 1024
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(FILE_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{name}: cannot read {path}: {e}"))?;
    // It may have grown since it was looked at.
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(format!(
            "{name}: {path} is over the limit of {} MiB",
            FILE_LIMIT / 1024 / 1024
        ));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn is_fifo(kind: &std::fs::FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(kind)
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::FileType) -> bool {
    false
}
