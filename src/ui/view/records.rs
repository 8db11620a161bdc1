//! The record list (F4): history or a file's records on the left, the
//! highlighted one on the right exactly as it will be sent: where it goes,
//! its timestamp, its key, value and headers, and their sizes.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;
use ratatui::Frame;

use super::popup::{centred, list_and_preview};
use crate::engine::serde::{as_text, hex_preview};
use crate::history::Entry;
use crate::ui::app::{clock, short, App, RecordList, Source};
use crate::ui::theme::Theme;

/// Bytes shown of a value that is not text, and lines of one that is.
const HEX_SHOWN: usize = 48;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, list: &RecordList, theme: &Theme) {
    let rect = centred(area, 120, area.height.saturating_sub(2));
    let now = app.now_ms();
    let items: Vec<ListItem> = list
        .shown
        .iter()
        .map(|&i| {
            let e = &list.all[i];
            let mark = if list.marked.contains(&i) {
                "✓ "
            } else {
                "  "
            };
            let to = app.target(&list.source, e);
            let place = match (to.partition, e.record.offset) {
                (Some(p), Some(o)) => format!("p{p}@{o}"),
                (Some(p), None) => format!("p{p}"),
                (None, _) => "auto".into(),
            };
            let when = match list.source {
                Source::History => clock(e.at, now),
                Source::File(_) => format!("#{}", i + 1),
            };
            let style = match e.failed {
                Some(_) => theme.failed(),
                None => theme.text(),
            };
            ListItem::new(Line::from(vec![
                Span::styled(mark, theme.key_hint()),
                Span::styled(format!("{when} "), theme.muted()),
                Span::styled(
                    format!(
                        "{} {place} {}",
                        to.topic,
                        short(e.record.line.key.as_deref(), 12)
                    ),
                    style,
                ),
            ]))
        })
        .collect();
    let title = format!(" {} ", list.title());
    let preview = match list.current() {
        Some(e) => preview(app, &list.source, e, now, theme),
        None => vec![Line::from(Span::styled(
            match list.all.is_empty() {
                true => "Nothing kept yet: records the console sends are kept here, across runs.",
                false => "No record matches the search.",
            },
            theme.muted(),
        ))],
    };
    let search = Line::from(vec![
        Span::styled("search: ", theme.muted()),
        Span::styled(format!("{}▏", list.query), theme.text()),
        Span::styled(
            match (
                list.query.is_empty() && app.flash.is_none(),
                list.unreadable,
            ) {
                (true, 0) => "  (type: words anywhere, or topic: key: value:)".to_string(),
                (_, 0) => String::new(),
                (_, n) => format!("  ({n} line(s) cut short were left out)"),
            },
            theme.muted(),
        ),
        // What the last key did: the status bar is under the list.
        match &app.flash {
            Some((level, text)) => Span::styled(format!("  {text}"), theme.level(*level)),
            None => Span::raw(""),
        },
    ]);
    list_and_preview(
        frame,
        rect,
        title,
        Some(search),
        items,
        list.selected,
        preview,
        theme,
    );
}

/// The highlighted record as it will be sent.
fn preview(app: &App, source: &Source, e: &Entry, now: i64, theme: &Theme) -> Vec<Line<'static>> {
    let to = app.target(source, e);
    let line = &e.record.line;
    let mut out = Vec::new();
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), theme.muted()),
            Span::styled(value, theme.text()),
        ])
    };
    out.push(field("goes to", to.topic.to_string()));
    out.push(field(
        "partition",
        to.partition
            .map_or("the partitioner's choice".into(), |p| p.to_string()),
    ));
    out.push(field(
        "timestamp",
        match (to.timestamp, source) {
            (Some(t), _) => format!("{} ({t}, from the file)", clock(t, now)),
            (None, Source::History) => "now (the original's below)".into(),
            (None, Source::File(_)) => "now".into(),
        },
    ));
    out.extend(bytes("key", line.key.as_deref(), theme));
    out.extend(bytes("value", line.value.as_deref(), theme));
    match line.headers.len() {
        0 => out.push(field("headers", "none".into())),
        n => {
            out.push(field("headers", format!("{n}")));
            for h in &line.headers {
                let v = match h.value.as_deref() {
                    None => "null".to_string(),
                    Some(b) => match as_text(b) {
                        Some(t) => t.to_string(),
                        None => format!("(bytes) {}", hex_preview(b, HEX_SHOWN)),
                    },
                };
                out.push(Line::from(Span::styled(
                    format!("  {}: {v}", h.name),
                    theme.text(),
                )));
            }
        }
    }
    if let Source::History = source {
        out.push(Line::from(""));
        let mut was = format!("was sent {}", clock(e.at, now));
        if let Some(o) = e.record.offset {
            was.push_str(&format!(", offset {o}"));
        }
        if let Some(t) = line.timestamp {
            was.push_str(&format!(", timestamp {}", clock(t, now)));
        }
        out.push(Line::from(Span::styled(was, theme.muted())));
        if let Some(code) = &e.failed {
            out.push(Line::from(Span::styled(
                format!("it failed: {code}"),
                theme.failed(),
            )));
        }
    }
    out
}

/// A key or value: its size, then its text, or hex when it is not text.
fn bytes(name: &str, b: Option<&[u8]>, theme: &Theme) -> Vec<Line<'static>> {
    let head = |what: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), theme.muted()),
            Span::styled(what, theme.text()),
        ])
    };
    match b {
        None => vec![head("null".into())],
        Some(b) => match as_text(b) {
            Some(t) => {
                let mut lines = vec![head(format!("{} B", b.len()))];
                lines.extend(
                    t.lines()
                        .map(|l| Line::from(Span::styled(format!("  {l}"), theme.text()))),
                );
                lines
            }
            None => vec![
                head(format!("{} B, not text", b.len())),
                Line::from(Span::styled(
                    format!("  {}", hex_preview(b, HEX_SHOWN)),
                    theme.text(),
                )),
            ],
        },
    }
}
