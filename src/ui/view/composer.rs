//! The composer pane: topic, partition, key, value and headers of the record
//! that Ctrl-S sends, with byte lengths and null shown as the user types.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;

use super::pane;
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

    let [target, key, value, headers] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(4),
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
    let long = match app.partition_count() {
        Some(n) => format!("Topic {} ({n} partitions)  Partition ", app.topic),
        None => format!("Topic {}  Partition ", app.topic),
    };
    // Leave the partition field room to be typed in.
    let label = if long.chars().count() + 8 <= area.width as usize {
        long
    } else {
        match app.partition_count() {
            Some(n) => format!("Topic {} ({n})  Partition ", app.topic),
            None => format!("Topic {}  Partition ", app.topic),
        }
    };
    let width = (label.chars().count() as u16).min(area.width);
    let [label_area, input_area] =
        Layout::horizontal([Constraint::Length(width), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(label).style(theme.text()), label_area);
    let focused = app.focus == Focus::Partition;
    let mut input = app.partition.clone();
    style_input(&mut input, focused, theme);
    if let Err(e) = app.parsed_partition() {
        input.set_style(theme.failed());
        let [field, why] =
            Layout::horizontal([Constraint::Length(6), Constraint::Min(1)]).areas(input_area);
        frame.render_widget(&input, field);
        frame.render_widget(Paragraph::new(e).style(theme.failed()), why);
    } else {
        frame.render_widget(&input, input_area);
    }
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
    let title = Line::from(vec![
        Span::styled(format!(" {name} "), theme.title(focused)),
        Span::styled(format!("{} · ", field.serializer.name()), theme.muted()),
        size,
        Span::raw(" "),
    ]);
    // What goes on the wire, or why nothing can.
    let bottom = match &wire {
        Ok(Some(b)) if field.serializer != Serializer::String || !b.is_ascii() => Some(
            Span::styled(format!(" {} ", hex_preview(b, 16)), theme.muted()),
        ),
        Err(e) => Some(Span::styled(format!(" {e} "), theme.failed())),
        _ => None,
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title);
    if let Some(b) = bottom {
        block = block.title_bottom(Line::from(b));
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
