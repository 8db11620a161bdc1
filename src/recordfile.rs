//! A file of records for the console to step through: kafka-console-
//! producer's lines (with its --property names: parse.key, key.separator,
//! parse.headers, ...) or JSON Lines of kcat -J's objects (key, payload,
//! headers, partition, timestamp; bytes as text or base64). Read whole and
//! checked whole: a file with a line that is not a record is refused with
//! that line's number and why, and nothing of it is loaded.

use std::path::PathBuf;

use crate::lines::LineFormat;
use crate::replay::{self, Placed};

/// At most this many records, and bytes, are loaded into the console;
/// `kprod produce --file` streams files of any size.
pub const MAX_RECORDS: usize = 100_000;
pub const MAX_BYTES: u64 = 64 << 20;

/// What the prompt takes: `PATH [name=value ...]`.
pub const SYNTAX: &str =
    "PATH [parse.key=true key.separator=: parse.headers=true ...] (.jsonl: kcat -J objects)";

/// The file a prompt's text names, and how its lines are read: JSON Lines
/// by its name (.jsonl, .ndjson, .json), kafka-console-producer's lines
/// with the properties given otherwise.
pub fn parse_spec(spec: &str) -> Result<(PathBuf, Option<LineFormat>), String> {
    let mut words = spec.split_whitespace();
    let path = words
        .next()
        .ok_or_else(|| format!("a file of records: {SYNTAX}"))?;
    let properties: Vec<String> = words.map(str::to_string).collect();
    let json = [".jsonl", ".ndjson", ".json"]
        .iter()
        .any(|ext| path.to_lowercase().ends_with(ext));
    let path = PathBuf::from(shellexpand_home(path));
    match (json, properties.first()) {
        (true, Some(p)) => Err(format!(
            "{p}: JSON Lines take no properties (each object says what it holds)"
        )),
        (true, None) => Ok((path, None)),
        (false, _) => {
            let props: Vec<String> = properties;
            LineFormat::from_properties(&props)
                .map(|f| (path, Some(f)))
                .map_err(|e| e.replace("--property ", ""))
        }
    }
}

/// `~/x` as the shell would have it.
fn shellexpand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => format!("{}/{rest}", home.to_string_lossy()),
        _ => path.to_string(),
    }
}

/// Every record of the file `spec` names, or why it cannot be loaded.
pub fn read(spec: &str) -> Result<Vec<Placed>, String> {
    let (path, format) = parse_spec(spec)?;
    let shown = path.display().to_string();
    let size = std::fs::metadata(&path)
        .map_err(|e| format!("cannot read {shown}: {e}"))?
        .len();
    if size > MAX_BYTES {
        return Err(format!(
            "{shown} is {} MiB; the console loads files of up to {} MiB (kprod produce --file sends any size)",
            size >> 20,
            MAX_BYTES >> 20
        ));
    }
    let file = std::fs::File::open(&path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut lines = crate::lines::Lines::new(std::io::BufReader::new(file));
    let mut records = Vec::new();
    let mut number = 0;
    while let Some(line) = lines
        .next_line()
        .map_err(|e| format!("cannot read {shown}: {e}"))?
    {
        number += 1;
        let record = match &format {
            // A blank line between objects is no record.
            None if line.trim().is_empty() => continue,
            None => replay::placed(&line).map_err(|e| format!("{shown} line {number}: {e}"))?,
            Some(f) => Placed {
                line: f
                    .parse_owned(line, number)
                    .map_err(|e| format!("{shown}: {e}"))?,
                topic: None,
                partition: None,
                offset: None,
            },
        };
        records.push(record);
        if records.len() > MAX_RECORDS {
            return Err(format!(
                "{shown} has more than {MAX_RECORDS} records; the console loads that many (kprod produce --file sends any number)"
            ));
        }
    }
    if records.is_empty() {
        return Err(format!("{shown} holds no records"));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_and_console_producer_lines() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("r.jsonl");
        std::fs::write(
            &jsonl,
            "{\"key\":\"a\",\"payload\":\"AAE=\",\"payload_encoding\":\"base64\",\"partition\":2,\"ts\":1000,\"headers\":[\"h\",\"v\"]}\n\n{\"payload\":\"x\"}\n",
        )
        .unwrap();
        let got = read(jsonl.to_str().unwrap()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].line.value.as_deref(), Some(&[0u8, 1][..]));
        assert_eq!(
            (got[0].partition, got[0].line.timestamp),
            (Some(2), Some(1000))
        );
        assert_eq!(got[0].line.headers[0].name, "h");

        let txt = dir.path().join("r.txt");
        std::fs::write(&txt, "k1:v1\nk2:v2\n").unwrap();
        let spec = format!("{} parse.key=true key.separator=:", txt.display());
        let got = read(&spec).unwrap();
        assert_eq!(got[1].line.key.as_deref(), Some(&b"k2"[..]));
        assert_eq!(got[1].line.value.as_deref(), Some(&b"v2"[..]));
    }

    #[test]
    fn a_bad_line_refuses_the_file_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("r.jsonl");
        std::fs::write(
            &jsonl,
            "{\"payload\":\"x\"}\n{\"payload\":\"x\",\"partition\":\"two\"}\n",
        )
        .unwrap();
        let e = read(jsonl.to_str().unwrap()).unwrap_err();
        assert!(
            e.ends_with("r.jsonl line 2: partition: \"two\" is not a whole number"),
            "{e}"
        );
        let txt = dir.path().join("r.txt");
        std::fs::write(&txt, "k1:v1\nno separator\n").unwrap();
        let e = read(&format!("{} parse.key=true key.separator=:", txt.display())).unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = read(&format!("{} parse.key=maybe", txt.display())).unwrap_err();
        assert!(e.contains("parse.key"), "{e}");
        let e = read(&format!("{} x=1", jsonl.display())).unwrap_err();
        assert!(e.contains("JSON Lines take no properties"), "{e}");
        assert!(read("/nonexistent/r.txt")
            .unwrap_err()
            .contains("cannot read"));
    }
}
