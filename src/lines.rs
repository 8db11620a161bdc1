//! kafka-console-producer's line format, so files and pipes written for it
//! produce the same records through `kprod produce`.

use crate::engine::record::Header;

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
}

impl LineFormat {
    /// The format described by `--property name=value` options.
    pub fn from_properties(props: &[String]) -> Result<LineFormat, String> {
        let mut f = LineFormat::default();
        for p in props {
            let (name, value) = p
                .split_once('=')
                .ok_or_else(|| format!("--property {p}: not name=value"))?;
            let flag = || match value.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(format!("--property {name}: '{value}' is not true or false")),
            };
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
                "headers.separator" => f.headers_separator = text(name)?,
                "headers.key.separator" => f.headers_key_separator = text(name)?,
                "null.marker" => f.null_marker = Some(text(name)?),
                other => {
                    return Err(format!(
                        "--property {other}: unknown; kprod reads parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error"
                    ))
                }
            }
        }
        Ok(f)
    }

    /// Splits one line (without its newline); `number` is for the message.
    pub fn parse(&self, line: &str, number: usize) -> Result<Line, String> {
        let mut rest = line;
        let mut headers = Vec::new();
        if self.parse_headers {
            match rest.split_once(self.headers_delimiter.as_str()) {
                Some((h, r)) => {
                    headers = self.headers(h, number)?;
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
        })
    }

    fn nullable(&self, s: &str) -> Option<Vec<u8>> {
        match &self.null_marker {
            Some(m) if m == s => None,
            _ => Some(s.as_bytes().to_vec()),
        }
    }

    fn headers(&self, text: &str, number: usize) -> Result<Vec<Header>, String> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        text.split(self.headers_separator.as_str())
            .map(|h| {
                let (name, value) = match h.split_once(self.headers_key_separator.as_str()) {
                    Some((n, v)) => (n, self.nullable(v)),
                    None => (h, None),
                };
                if self.null_marker.as_deref() == Some(name) {
                    return Err(format!("line {number}: a header name equals null.marker"));
                }
                Ok(Header {
                    name: name.to_string(),
                    value,
                })
            })
            .collect()
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
        let l = f
            .parse("trace:abc,tenant,trace:NULL,empty:;k1|v1", 3)
            .unwrap();
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
                ("tenant", None),
                ("trace", None),
                ("empty", Some(&b""[..]))
            ]
        );
        let l = f.parse(";NULL|NULL", 4).unwrap();
        assert_eq!((l.key, l.value, l.headers.len()), (None, None, 0));
        let l = f.parse(";|", 5).unwrap();
        assert_eq!((l.key, l.value), (Some(vec![]), Some(vec![])));
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
        assert!(f.parse("N:1\tv", 2).unwrap_err().contains("null.marker"));
    }
}
