//! Record templates for bursts and flows: text with generators in braces,
//! `{seq}`, `{uuid}`, `{now}`, `{int:1:100}`, `{choice:a|b|c}`, `{str:8}`,
//! parsed once and filled in for every record. Braces that are not a
//! generator stay as they are, so a JSON document (nested or not) is a
//! template as it stands.

use std::fmt::Write as _;

use thiserror::Error;

/// What a template is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(Vec<u8>),
    /// The record's number in its burst, from 0.
    Seq,
    /// A random version 4 UUID.
    Uuid,
    /// Milliseconds since the epoch when the record is made.
    Now,
    /// The time as RFC 3339 (UTC, milliseconds).
    NowIso,
    /// A random whole number in an inclusive range.
    Int(i64, i64),
    /// One of the choices, at random.
    Choice(Vec<Vec<u8>>),
    /// Random letters and digits, this many.
    Str(usize),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Part>);

/// The generators, for help texts and errors.
pub const GENERATORS: &str = "{seq} {uuid} {now} {now:iso} {int:MIN:MAX} {choice:a|b|c} {str:LEN}";

/// A generator with bad arguments: `generator` is what stood in its braces.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{{{generator}}}: {problem}")]
pub struct TemplateError {
    pub generator: String,
    pub problem: Problem,
}

/// What is wrong with a generator's arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Problem {
    #[error("{{now}} or {{now:iso}}")]
    Now,
    #[error("{{int:MIN:MAX}}, e.g. {{int:1:100}}")]
    IntForm,
    #[error("MIN is above MAX")]
    MinAboveMax,
    #[error("MIN and MAX are whole numbers that fit in 64 bits")]
    IntRange,
    #[error("{{choice:a|b|c}} needs at least one choice")]
    NoChoice,
    #[error("{{str:LEN}}, LEN from 0 to 1000000")]
    StrLen,
    #[error("needs arguments: {GENERATORS}")]
    NoArguments,
    #[error("no record drawn at random fits the schema (its patterns or combinations refuse every draw); type one")]
    NoDraw,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl Template {
    /// Parses `text`; a generator with bad arguments is an error that names it.
    pub fn parse(text: &[u8]) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'{' {
                if let Some(len) = text[i + 1..].iter().position(|b| *b == b'}') {
                    let inner = &text[i + 1..i + 1 + len];
                    if let Some(part) = generator(inner)? {
                        if !lit.is_empty() {
                            parts.push(Part::Text(std::mem::take(&mut lit)));
                        }
                        parts.push(part);
                        i += len + 2;
                        continue;
                    }
                }
            }
            lit.push(text[i]);
            i += 1;
        }
        if !lit.is_empty() {
            parts.push(Part::Text(lit));
        }
        Ok(Template(parts))
    }

    /// Writes record `seq` into `out` (cleared first).
    pub fn render(&self, seq: u64, out: &mut Vec<u8>) {
        out.clear();
        for part in &self.0 {
            match part {
                Part::Text(t) => out.extend_from_slice(t),
                Part::Seq => push_fmt(out, format_args!("{seq}")),
                Part::Uuid => {
                    let (a, b) = (fastrand::u64(..), fastrand::u64(..));
                    // Version 4, variant 10.
                    let a = (a & !0xF000) | 0x4000;
                    let b = (b & !(0xC000 << 48)) | (0x8000 << 48);
                    push_fmt(
                        out,
                        format_args!(
                            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                            a >> 32,
                            (a >> 16) & 0xFFFF,
                            a & 0xFFFF,
                            b >> 48,
                            b & 0xFFFF_FFFF_FFFF
                        ),
                    );
                }
                Part::Now => push_fmt(
                    out,
                    format_args!("{}", chrono::Utc::now().timestamp_millis()),
                ),
                Part::NowIso => push_fmt(
                    out,
                    format_args!(
                        "{}",
                        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    ),
                ),
                Part::Int(lo, hi) => push_fmt(out, format_args!("{}", fastrand::i64(*lo..=*hi))),
                Part::Choice(c) => out.extend_from_slice(&c[fastrand::usize(..c.len())]),
                Part::Str(n) => out.extend((0..*n).map(|_| ALNUM[fastrand::usize(..ALNUM.len())])),
            }
        }
    }

    /// Record `seq` as a new vector.
    pub fn rendered(&self, seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        self.render(seq, &mut out);
        out
    }
}

fn push_fmt(out: &mut Vec<u8>, args: std::fmt::Arguments) {
    let mut s = String::new();
    let _ = s.write_fmt(args);
    out.extend_from_slice(s.as_bytes());
}

/// The generator `{inner}` names, `None` if it is not one (literal braces).
fn generator(inner: &[u8]) -> Result<Option<Part>, TemplateError> {
    let Ok(inner) = std::str::from_utf8(inner) else {
        return Ok(None);
    };
    let (name, args) = match inner.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (inner, None),
    };
    let bad = |problem| {
        Err(TemplateError {
            generator: inner.into(),
            problem,
        })
    };
    Ok(Some(match (name, args) {
        ("seq", None) => Part::Seq,
        ("uuid", None) => Part::Uuid,
        ("now", None) => Part::Now,
        ("now", Some("iso")) => Part::NowIso,
        ("now", Some(_)) => return bad(Problem::Now),
        ("int", Some(a)) => {
            let Some((lo, hi)) = a.split_once(':') else {
                return bad(Problem::IntForm);
            };
            match (lo.trim().parse::<i64>(), hi.trim().parse::<i64>()) {
                (Ok(lo), Ok(hi)) if lo <= hi => Part::Int(lo, hi),
                (Ok(_), Ok(_)) => return bad(Problem::MinAboveMax),
                _ => return bad(Problem::IntRange),
            }
        }
        ("choice", Some(a)) => {
            let c: Vec<Vec<u8>> = a.split('|').map(|s| s.as_bytes().to_vec()).collect();
            if a.is_empty() {
                return bad(Problem::NoChoice);
            }
            Part::Choice(c)
        }
        ("str", Some(a)) => match a.trim().parse::<usize>() {
            Ok(n) if n <= 1_000_000 => Part::Str(n),
            _ => return bad(Problem::StrLen),
        },
        ("int" | "choice" | "str", None) => return bad(Problem::NoArguments),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &Template, seq: u64) -> String {
        String::from_utf8(t.rendered(seq)).unwrap()
    }

    #[test]
    fn generators_fill_in_and_json_braces_stay() {
        let t = Template::parse(
            br#"{"user":{"id":{int:1:5},"tier":"{choice:gold|silver}","n":{seq}},"code":"{str:6}"}"#,
        )
        .unwrap();
        for seq in 0..50 {
            let v: serde_json::Value = serde_json::from_str(&s(&t, seq)).unwrap();
            assert_eq!(v["user"]["n"], seq);
            assert!((1..=5).contains(&v["user"]["id"].as_i64().unwrap()));
            assert!(["gold", "silver"].contains(&v["user"]["tier"].as_str().unwrap()));
            let code = v["code"].as_str().unwrap();
            assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
        assert_eq!(
            s(&Template::parse(b"{plain} {} {").unwrap(), 3),
            "{plain} {} {"
        );
    }

    #[test]
    fn uuids_are_version_4_and_time_is_now() {
        let t = Template::parse(b"{uuid}").unwrap();
        let u = s(&t, 0);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!("89ab".contains(&u[19..20]), "{u}");
        assert_ne!(u, s(&t, 0));
        let now = chrono::Utc::now().timestamp_millis();
        let t: i64 = s(&Template::parse(b"{now}").unwrap(), 0).parse().unwrap();
        assert!((now - t).abs() < 5_000);
        let iso = s(&Template::parse(b"{now:iso}").unwrap(), 0);
        assert!(chrono::DateTime::parse_from_rfc3339(&iso).is_ok(), "{iso}");
    }

    #[test]
    fn bad_arguments_are_refused_by_name() {
        for (t, want) in [
            ("{int:5:1}", "{int:5:1}: MIN is above MAX"),
            ("{int:1}", "{int:1}: {int:MIN:MAX}"),
            ("{int:a:b}", "whole numbers"),
            ("{str:x}", "{str:x}: {str:LEN}"),
            ("{choice:}", "at least one choice"),
            ("{int}", "needs arguments"),
            ("{now:unix}", "{now} or {now:iso}"),
        ] {
            let err = Template::parse(t.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(want), "{t}: {err}");
        }
    }
}
