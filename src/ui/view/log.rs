//! The event log pane: the newest lines that pass the filter, scrolled as the
//! user asks, coloured by what happened.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{pane, scrolled};
use crate::ui::app::{App, Filter, Focus, Status};
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Focus::Log;
    let mut title = vec![Span::styled(" Event log ", theme.title(focused))];
    if app.log.filter != Filter::All {
        title.push(Span::styled(
            format!("[{}] ", app.log.filter.name()),
            theme.changed(),
        ));
    }
    title.extend(scrolled(app.log.scroll, theme));
    let block = pane(Line::from(title), focused, theme);
    let inner = block.inner(area);
    let height = inner.height as usize;
    let width = (inner.width as usize).max(1);
    // Newest first, wrapped to the pane, until the pane is full: only the
    // lines on screen are touched, however long the log.
    let mut shown: Vec<Line> = Vec::with_capacity(height);
    for l in app.log.visible().rev().skip(app.log.scroll) {
        let style = match l.status {
            Status::Queued | Status::Batch => theme.queued(),
            Status::Acked => theme.acked(),
            Status::Failed | Status::Issue => theme.failed(),
            Status::Notice(level) => theme.level(level),
        };
        let pieces = wrap(&l.shown(width), width);
        for piece in pieces.into_iter().rev() {
            shown.push(Line::from(Span::styled(piece, style)));
        }
        if shown.len() >= height {
            break;
        }
    }
    shown.truncate(height);
    shown.reverse();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// Splits a line into pieces of at most `width` characters, at a space
/// where there is one.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > width {
        let cut = rest[..=width]
            .iter()
            .rposition(|c| *c == ' ')
            .filter(|&i| i > 0)
            .unwrap_or(width);
        pieces.push(rest[..cut].iter().collect());
        let skip = if rest[cut] == ' ' { cut + 1 } else { cut };
        rest.drain(..skip);
    }
    pieces.push(rest.into_iter().collect());
    pieces
}
