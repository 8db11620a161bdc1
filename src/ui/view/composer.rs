//! The composer pane: topic, partition, key, value and headers of the record
//! that Ctrl-S sends, with byte lengths and null shown as the user types.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;

use super::pane;
use crate::engine::schema::Format;
use crate::engine::serde::{hex_preview, Serializer};
use crate::ui::app::{App, Field, Focus};
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let composing = app.focus.is_text();
    let mut block = pane(" Record ", composing, theme);
    // Why Ctrl-S would refuse, where there is room to say it.
    if let Err(e) = app.draft() {
        block = block.title_bottom(Line::from(Span::styled(format!(" {e} "), theme.failed())));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // The headers box grows with its lines (up to 8 rows), as long as the
    // value keeps three.
    let wanted = (app.headers.lines().len() as u16 + 2).clamp(4, 8);
    let room = inner.height.saturating_sub(1 + 3 + 3).max(3);
    let [target, key, value, headers] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(wanted.min(room)),
    ])
    .areas(inner);

    draw_target(frame, target, app, theme);
    draw_field(frame, key, "Key", &app.key, app.focus == Focus::Key, theme);
    draw_field(
        frame,
        value,
        "Value",
        &app.value,
        app.focus == Focus::Value,
        theme,
    );
    draw_headers(frame, headers, app, theme);
}

/// Topic and partition on one line; the partition is typed in place.
fn draw_target(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // The longest labels that leave the partition 6 columns and the
    // timestamp room for epoch milliseconds.
    let count = app.partition_count();
    let forms: [(String, &str); 3] = [
        (
            match count {
                Some(n) => format!("Topic {} ({n} partitions)  Partition ", app.topic),
                None => format!("Topic {}  Partition ", app.topic),
            },
            "  Timestamp ",
        ),
        (
            match count {
                Some(n) => format!("Topic {} ({n})  Partition ", app.topic),
                None => format!("Topic {}  Partition ", app.topic),
            },
            " Time ",
        ),
        (
            match count {
                Some(n) => format!("{} ({n}) part ", app.topic),
                None => format!("{} part ", app.topic),
            },
            " time ",
        ),
    ];
    let fits =
        |(l, t): &(String, &str)| l.chars().count() + 6 + t.len() + 12 <= area.width as usize;
    let (label, time_label) = forms.iter().find(|f| fits(f)).unwrap_or(&forms[2]).clone();
    let width = (label.chars().count() as u16).min(area.width);
    let [label_area, input_area] =
        Layout::horizontal([Constraint::Length(width), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(label).style(theme.text()), label_area);
    // Partition, then the timestamp: its label and what was typed (now
    // when empty); a timestamp that does not parse is shown in the failure
    // colour, and the pane's foot says why.
    let [partition_area, time_label_area, time_area] = Layout::horizontal([
        Constraint::Length(6),
        Constraint::Length(time_label.len() as u16),
        Constraint::Min(3),
    ])
    .areas(input_area);
    let focused = app.focus == Focus::Partition;
    let mut input = app.partition.clone();
    style_input(&mut input, focused, theme);
    if let Err(e) = app.parsed_partition() {
        input.set_style(theme.failed());
        let [field, why] =
            Layout::horizontal([Constraint::Length(6), Constraint::Min(1)]).areas(input_area);
        frame.render_widget(&input, field);
        frame.render_widget(Paragraph::new(e).style(theme.failed()), why);
        return;
    }
    frame.render_widget(&input, partition_area);
    frame.render_widget(
        Paragraph::new(time_label).style(theme.text()),
        time_label_area,
    );
    let mut time = app.timestamp.clone();
    style_input(&mut time, app.focus == Focus::Timestamp, theme);
    if app.parsed_timestamp().is_err() {
        time.set_style(theme.failed());
    }
    frame.render_widget(&time, time_area);
}

fn draw_field(
    frame: &mut Frame,
    area: Rect,
    name: &str,
    field: &Field,
    focused: bool,
    theme: &Theme,
) {
    let wire = field.wire();
    let size = match &wire {
        Ok(Some(b)) => Span::styled(format!("{} B", b.len()), theme.muted()),
        Ok(None) => Span::styled("null", theme.null()),
        Err(_) => Span::styled("not sendable", theme.failed()),
    };
    let mut title = vec![
        Span::styled(format!(" {name} "), theme.title(focused)),
        Span::styled(format!("{} · ", field.serializer_name()), theme.muted()),
    ];
    // Where the schema came from: what a deserializer will look up.
    if let Some(encoder) = field.schema.as_ref().and_then(|s| s.encoder.as_ref()) {
        let o = &encoder.origin;
        let mut from = String::new();
        if let Some(s) = &o.subject {
            from += s;
        }
        if let Some(v) = o.version {
            from += &format!(" v{v}");
        }
        if let Some(id) = o.id {
            from += &format!(" id {id}");
        }
        if !from.is_empty() {
            title.push(Span::styled(format!("{} · ", from.trim()), theme.muted()));
        }
    }
    title.extend([size, Span::raw(" ")]);
    // What goes on the wire, or why nothing can.
    let bottom = match &wire {
        Ok(Some(b)) => wire_line(field, b, area.width.saturating_sub(2) as usize, theme),
        Err(e) => Some(Line::from(Span::styled(format!(" {e} "), theme.failed()))),
        _ => None,
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Line::from(title));
    if let Some(b) = bottom {
        block = block.title_bottom(b);
    }
    if field.null {
        let hint = if field.text.is_empty() {
            "null  (type to give one, Ctrl-N: empty)"
        } else {
            "null  (type or Ctrl-N: back to the text)"
        };
        let text = Paragraph::new(hint).style(theme.null()).block(block);
        frame.render_widget(text, area);
        return;
    }
    let mut text = field.text.clone();
    style_input(&mut text, focused, theme);
    text.set_block(block);
    frame.render_widget(&text, area);
}

/// The wire bytes under a field, when they are not the text as typed: a
/// framed record's magic byte and schema id (and Protobuf's message
/// indexes) marked off from the payload, as a deserializer reads them.
/// Where the labels do not fit in `room`, the parts are told apart by
/// colour and separators alone.
fn wire_line(field: &Field, bytes: &[u8], room: usize, theme: &Theme) -> Option<Line<'static>> {
    let framed = field
        .schema
        .as_ref()
        .and_then(|s| s.encoder.as_ref())
        .filter(|e| e.origin.id.is_some());
    let Some(encoder) = framed else {
        let plain = field.serializer == Serializer::String && field.schema.is_none();
        return (!plain || !bytes.is_ascii()).then(|| {
            Line::from(Span::styled(
                format!(" {} ", hex_preview(bytes, 16)),
                theme.muted(),
            ))
        });
    };
    let indexes = match encoder.format {
        Format::Protobuf => encoder.indexes_len(),
        _ => 0,
    };
    let (head, rest) = bytes.split_at(bytes.len().min(5 + indexes));
    let (magic, id, msg) = (
        &head[..head.len().min(1)],
        head.get(1..5).unwrap_or_default(),
        head.get(5..).unwrap_or_default(),
    );
    let labelled = |labels: bool, shown: usize| {
        let sep = if labels { " " } else { "" };
        let hex = |b: &[u8]| {
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(sep)
        };
        let label = |l: &str| {
            if labels {
                format!("{l} ")
            } else {
                String::new()
            }
        };
        let mut spans = vec![
            Span::styled(format!(" {}", label("magic")), theme.muted()),
            Span::styled(hex(magic), theme.key_hint()),
            Span::styled(format!(" │ {}", label("id")), theme.muted()),
            Span::styled(hex(id), theme.changed()),
        ];
        if indexes > 0 {
            spans.push(Span::styled(format!(" │ {}", label("msg")), theme.muted()));
            spans.push(Span::styled(hex(msg), theme.changed()));
        }
        spans.push(Span::styled(
            format!(" │ {} ", hex_preview(rest, shown)),
            theme.muted(),
        ));
        Line::from(spans)
    };
    // The labels, with as much of the payload as fits beside them (its
    // tail told as "… (+N B)"); else no labels.
    // (With none shown, the tail's "… (+N B)" is in the width already.)
    let fixed = labelled(true, 0).width() + 1;
    let shown = room.saturating_sub(fixed) / 3;
    Some(if shown >= 4 || fixed + 3 * rest.len() <= room {
        labelled(true, shown.max(4))
    } else {
        labelled(false, 12)
    })
}

fn draw_headers(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Focus::Headers;
    let status = match app.parsed_headers() {
        Ok(h) => Span::styled(format!("{} ", h.len()), theme.muted()),
        Err(_) => Span::styled("? ", theme.failed()),
    };
    let title = Line::from(vec![
        Span::styled(" Headers ", theme.title(focused)),
        status,
    ]);
    let mut text = app.headers.clone();
    style_input(&mut text, focused, theme);
    text.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border(focused))
            .title(title),
    );
    frame.render_widget(&text, area);
}

/// Only the focused field shows a cursor.
fn style_input(input: &mut TextArea<'static>, focused: bool, theme: &Theme) {
    input.set_style(theme.text());
    input.set_cursor_line_style(ratatui::style::Style::default());
    input.set_placeholder_style(theme.muted());
    if focused {
        input.set_cursor_style(
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED),
        );
    } else {
        input.set_cursor_style(theme.text());
    }
}
