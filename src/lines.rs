//! kafka-console-producer's line format, so files and pipes written for it
//! produce the same records through `kprod produce`, byte for byte.
//!
//! The rules are those of Kafka 4.3.1's LineMessageReader: a line ends at
//! `\n`, `\r` or `\r\n`; bytes that are not UTF-8 become U+FFFD, as Java's
//! reader decodes them, instead of ending the input; headers come first,
//! then the key, then the value; the first bad line ends the input unless
//! `ignore.error` is set.

use std::io::{self, BufRead};

use crate::engine::record::{self, Header, HeaderSyntax};

/// How a line splits into headers, key and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFormat {
    pub parse_key: bool,
    pub key_separator: String,
    pub parse_headers: bool,
    pub headers_delimiter: String,
    pub headers_separator: String,
    pub headers_key_separator: String,
    pub null_marker: Option<String>,
    /// A line without a separator becomes a value instead of an error.
    pub ignore_error: bool,
}

impl Default for LineFormat {
    fn default() -> Self {
        LineFormat {
            parse_key: false,
            key_separator: "\t".into(),
            parse_headers: false,
            headers_delimiter: "\t".into(),
            headers_separator: ",".into(),
            headers_key_separator: ":".into(),
            null_marker: None,
            ignore_error: false,
        }
    }
}

/// One record read from a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
    /// The record's timestamp as the input gave it (ms since the epoch);
    /// kafka-console-producer's lines never give one.
    pub timestamp: Option<i64>,
}

/// Characters that make Java read `headers.separator` as a regular
/// expression rather than as the text it looks like.
const REGEX_SPECIAL: &[char] = &[
    '\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}',
];

/// One `--property name=value`, split.
pub fn property(p: &str) -> Result<(&str, &str), String> {
    p.split_once('=')
        .ok_or_else(|| format!("--property {p}: not name=value"))
}

/// A `--property` that is true or false.
pub fn property_flag(name: &str, value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("--property {name}: '{value}' is not true or false")),
    }
}

impl LineFormat {
    /// The format described by `--property name=value` options.
    pub fn from_properties(props: &[String]) -> Result<LineFormat, String> {
        let mut f = LineFormat::default();
        for p in props {
            let (name, value) = property(p)?;
            let flag = || property_flag(name, value);
            let text = |what: &str| {
                if value.is_empty() {
                    Err(format!("--property {what}: the separator is empty"))
                } else {
                    Ok(value.to_string())
                }
            };
            match name {
                "parse.key" => f.parse_key = flag()?,
                "parse.headers" => f.parse_headers = flag()?,
                "ignore.error" => f.ignore_error = flag()?,
                "key.separator" => f.key_separator = text(name)?,
                "headers.delimiter" => f.headers_delimiter = text(name)?,
                "headers.separator" => {
                    f.headers_separator = text(name)?;
                    if value.contains(REGEX_SPECIAL) {
                        return Err(format!(
                            "--property headers.separator: '{value}' holds one of {}, which kafka-console-producer reads as a regular expression; choose a plain separator",
                            REGEX_SPECIAL.iter().collect::<String>()
                        ));
                    }
                }
                "headers.key.separator" => f.headers_key_separator = text(name)?,
                "null.marker" => f.null_marker = Some(text(name)?),
                other => {
                    return Err(format!(
                        "--property {other}: unknown; kprod reads parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error"
                    ))
                }
            }
        }
        // The console producer refuses these pairs, as a line could not be
        // split back unambiguously.
        let pairs: [(&str, &String, &str, &String); 3] = [
            (
                "headers.delimiter",
                &f.headers_delimiter,
                "headers.separator",
                &f.headers_separator,
            ),
            (
                "headers.delimiter",
                &f.headers_delimiter,
                "headers.key.separator",
                &f.headers_key_separator,
            ),
            (
                "headers.separator",
                &f.headers_separator,
                "headers.key.separator",
                &f.headers_key_separator,
            ),
        ];
        for (a, x, b, y) in pairs {
            if x == y {
                return Err(format!("--property {a} and {b} may not be equal"));
            }
        }
        if let Some(m) = &f.null_marker {
            for (name, sep) in [
                ("key.separator", &f.key_separator),
                ("headers.separator", &f.headers_separator),
                ("headers.delimiter", &f.headers_delimiter),
                ("headers.key.separator", &f.headers_key_separator),
            ] {
                if m == sep {
                    return Err(format!(
                        "--property null.marker and {name} may not be equal"
                    ));
                }
            }
        }
        Ok(f)
    }

    fn header_syntax(&self) -> HeaderSyntax<'_> {
        HeaderSyntax {
            separator: &self.headers_separator,
            key_separator: &self.headers_key_separator,
            null_marker: self.null_marker.as_deref(),
            bare_name_is_null: self.ignore_error,
            trim: false,
        }
    }

    /// Splits one line (without its end); `number` is for the message.
    pub fn parse(&self, line: &str, number: usize) -> Result<Line, String> {
        let mut rest = line;
        let mut headers = Vec::new();
        if self.parse_headers {
            match rest.split_once(self.headers_delimiter.as_str()) {
                Some((h, r)) => {
                    // Headers equal to the null marker stand for none.
                    if self.null_marker.as_deref() != Some(h) {
                        headers = record::parse_headers(h, &self.header_syntax())
                            .map_err(|e| format!("line {number}: {e}"))?;
                    }
                    rest = r;
                }
                None if self.ignore_error => {}
                None => {
                    return Err(format!(
                        "line {number}: no headers delimiter {:?} in '{line}'",
                        self.headers_delimiter
                    ))
                }
            }
        }
        let mut key = None;
        if self.parse_key {
            match rest.split_once(self.key_separator.as_str()) {
                Some((k, r)) => {
                    key = self.nullable(k);
                    rest = r;
                }
                None if self.ignore_error => {}
                None => {
                    return Err(format!(
                        "line {number}: no key separator {:?} in '{line}'",
                        self.key_separator
                    ))
                }
            }
        }
        Ok(Line {
            key,
            value: self.nullable(rest),
            headers,
            timestamp: None,
        })
    }

    /// As `parse`, for a line the caller is done with: a line that is all
    /// value (kafka-console-producer's default) becomes it without a copy.
    pub fn parse_owned(&self, line: String, number: usize) -> Result<Line, String> {
        if self.parse_key || self.parse_headers || self.null_marker.is_some() {
            return self.parse(&line, number);
        }
        Ok(Line {
            key: None,
            value: Some(line.into_bytes()),
            headers: Vec::new(),
            timestamp: None,
        })
    }

    fn nullable(&self, s: &str) -> Option<Vec<u8>> {
        match &self.null_marker {
            Some(m) if m == s => None,
            _ => Some(s.as_bytes().to_vec()),
        }
    }
}

/// `bytes` as text, each malformed sequence replaced by U+FFFD as Java's
/// UTF-8 decoder replaces it. That is Rust's rule too, except for an encoded
/// surrogate (`ED A0..BF`), which Java replaces whole: its three bytes, or
/// its first two when the third is not a continuation byte.
fn java_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                let n = match bad {
                    [0xED, 0xA0..=0xBF, third, ..] if third & 0xC0 == 0x80 => 3,
                    [0xED, 0xA0..=0xBF, ..] => 2,
                    _ => e.error_len().unwrap_or(bad.len()),
                };
                rest = &bad[n..];
            }
        }
    }
}

/// Reads lines as Java's `BufferedReader.readLine` does: `\n`, `\r` and
/// `\r\n` each end a line, a last line without an end still counts, and
/// bytes that are not UTF-8 are replaced rather than refused.
pub struct Lines<R> {
    inner: R,
    /// The last line ended with `\r`: a `\n` that follows belongs to it.
    skip_lf: bool,
    raw: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    pub fn new(inner: R) -> Lines<R> {
        Lines {
            inner,
            skip_lf: false,
            raw: Vec::new(),
        }
    }

    /// The next line without its end, or `None` at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<String>> {
        self.raw.clear();
        let mut any = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(any.then(|| java_lossy(&self.raw)));
            }
            let mut start = 0;
            if self.skip_lf {
                self.skip_lf = false;
                if buf[0] == b'\n' {
                    start = 1;
                }
            }
            match memchr::memchr2(b'\n', b'\r', &buf[start..]) {
                Some(i) => {
                    let end = start + i;
                    self.skip_lf = buf[end] == b'\r';
                    // A line whole in the buffer is read from there, not
                    // copied aside first.
                    let line = if self.raw.is_empty() {
                        java_lossy(&buf[start..end])
                    } else {
                        self.raw.extend_from_slice(&buf[start..end]);
                        java_lossy(&self.raw)
                    };
                    self.inner.consume(end + 1);
                    return Ok(Some(line));
                }
                None => {
                    any |= buf.len() > start;
                    self.raw.extend_from_slice(&buf[start..]);
                    let n = buf.len();
                    self.inner.consume(n);
                }
            }
        }
    }
}

impl<R: io::Read> Lines<io::BufReader<R>> {
    /// Whether more input is already read from the source, so a caller can
    /// tell a file's lines from a line typed at a terminal.
    pub fn buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(props: &[&str]) -> LineFormat {
        LineFormat::from_properties(&props.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap()
    }

    #[test]
    fn a_plain_line_is_a_value() {
        let l = LineFormat::default().parse("hello\tworld", 1).unwrap();
        assert_eq!(l.key, None);
        assert_eq!(l.value.as_deref(), Some(&b"hello\tworld"[..]));
    }

    #[test]
    fn keys_headers_and_null_marker_follow_the_console_producer() {
        let f = fmt(&[
            "parse.key=true",
            "key.separator=|",
            "parse.headers=true",
            "headers.delimiter=;",
            "null.marker=NULL",
        ]);
        let l = f.parse("trace:abc,trace:NULL,empty:;k1|v1", 3).unwrap();
        assert_eq!(l.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(l.value.as_deref(), Some(&b"v1"[..]));
        let hs: Vec<(&str, Option<&[u8]>)> = l
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_deref()))
            .collect();
        assert_eq!(
            hs,
            vec![
                ("trace", Some(&b"abc"[..])),
                ("trace", None),
                ("empty", Some(&b""[..]))
            ]
        );
        let l = f.parse("NULL;NULL|NULL", 4).unwrap();
        assert_eq!((l.key, l.value, l.headers.len()), (None, None, 0));
        let l = f.parse("NULL;|", 5).unwrap();
        assert_eq!((l.key, l.value), (Some(vec![]), Some(vec![])));
        // Empty headers are one pair without a separator, as in Java.
        assert!(f.parse(";|", 6).unwrap_err().contains("line 6"));
    }

    #[test]
    fn bad_lines_and_properties_are_refused_with_the_reason() {
        let f = fmt(&["parse.key=true"]);
        assert!(f
            .parse("no separator", 7)
            .unwrap_err()
            .contains("line 7: no key separator"));
        let f = fmt(&["parse.key=true", "ignore.error=true"]);
        assert_eq!(
            f.parse("whole", 1).unwrap().value.as_deref(),
            Some(&b"whole"[..])
        );
        assert!(LineFormat::from_properties(&["parse.key=yes".into()])
            .unwrap_err()
            .contains("true or false"));
        assert!(LineFormat::from_properties(&["key.separator=".into()])
            .unwrap_err()
            .contains("empty"));
        assert!(LineFormat::from_properties(&["parse.keys=true".into()])
            .unwrap_err()
            .contains("unknown"));
        let f = fmt(&["parse.headers=true", "null.marker=N"]);
        assert!(f.parse("N:1\tv", 2).unwrap_err().contains("null marker"));
    }

    fn read_all(bytes: &[u8], chunk: usize) -> Vec<String> {
        let mut r = Lines::new(std::io::BufReader::with_capacity(chunk, bytes));
        std::iter::from_fn(|| r.next_line().unwrap()).collect()
    }

    #[test]
    fn lines_end_as_javas_read_line_ends_them() {
        let input = b"a\r\nb\rc\n\nd\xff\xfee\r\r\nlast";
        let want = vec!["a", "b", "c", "", "d\u{fffd}\u{fffd}e", "", "last"];
        // A \r\n cut by the end of a buffer is still one line end.
        for chunk in 1..8 {
            assert_eq!(read_all(input, chunk), want, "buffer of {chunk}");
        }
        assert!(read_all(b"", 4).is_empty());
        assert_eq!(
            read_all(b"s\xed\xa0\x80|\xed\xbfA|\xe0\x80\x80|\xed", 64),
            vec!["s\u{fffd}|\u{fffd}A|\u{fffd}\u{fffd}\u{fffd}|\u{fffd}"]
        );
        assert_eq!(read_all(b"x\r", 4), vec!["x"]);
        assert_eq!(read_all(b"\n", 4), vec![""]);
    }

    #[test]
    fn properties_java_refuses_are_refused() {
        for props in [
            &["headers.delimiter=,"][..],
            &["headers.key.separator=,"],
            &["null.marker=\t"],
            &["null.marker=:"],
            &["headers.separator=|"],
        ] {
            let props: Vec<String> = props.iter().map(|s| s.to_string()).collect();
            assert!(LineFormat::from_properties(&props).is_err(), "{props:?}");
        }
    }
}
