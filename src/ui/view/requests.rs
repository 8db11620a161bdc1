//! The request view, in the log pane's place: every produce request as it
//! goes out and as it ends, newest at the bottom: when, broker, partition,
//! records, bytes, attempt, round-trip time and outcome.

use chrono::TimeZone;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{pane, scrolled};
use crate::engine::requests::{Outcome, Request};
use crate::ui::app::{App, Focus};
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Focus::Log;
    let r = &app.requests;
    let mut title = vec![
        Span::styled(" Produce requests ", theme.title(focused)),
        Span::styled(
            format!("{} kept, n: event log ", r.recent.len()),
            theme.muted(),
        ),
    ];
    title.extend(scrolled(app.log.scroll, theme));
    let block = pane(Line::from(title), focused, theme);
    let inner = block.inner(area);
    let rows = (inner.height as usize).saturating_sub(1);
    // A narrow pane keeps the outcome: seconds only, no size.
    let narrow = inner.width < 67;
    let header = if narrow {
        "sec.ms  b partition   recs try     rtt outcome"
    } else {
        "time         broker partition   recs try     rtt outcome    bytes"
    };
    let mut lines = vec![Line::from(Span::styled(header, theme.muted()))];
    if r.recent.is_empty() {
        lines.push(Line::from(Span::styled(
            "No produce request yet: send a record (Ctrl-S) or a burst (Ctrl-R).",
            theme.muted(),
        )));
    }
    let newest = r.recent.len().saturating_sub(app.log.scroll);
    let first = newest.saturating_sub(rows);
    for q in r.recent.range(first..newest) {
        lines.push(row(q, narrow, theme));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn row<'a>(q: &Request, narrow: bool, theme: &Theme) -> Line<'a> {
    let time = chrono::Local
        .timestamp_millis_opt(q.sent_ms)
        .single()
        .map(|t| {
            t.format(if narrow { "%S%.3f" } else { "%H:%M:%S%.3f" })
                .to_string()
        })
        .unwrap_or_default();
    let rtt = q
        .rtt_ms
        .map(|ms| format!("{ms:>5.1}ms"))
        .unwrap_or_else(|| "      -".into());
    let (outcome, style) = match &q.outcome {
        Outcome::InFlight => ("in flight".to_string(), theme.queued()),
        Outcome::Delivered => ("delivered".to_string(), theme.acked()),
        Outcome::Failed(e) => (format!("refused: {e}"), theme.failed()),
        Outcome::TimedOut(_) => ("timed out".to_string(), theme.failed()),
    };
    let attempt = if q.is_retry() {
        format!("#{}", q.attempt)
    } else {
        String::new()
    };
    // The partition always shows; a long topic name gives way.
    let partition = format!(" [{}]", q.partition);
    let room = 11usize.saturating_sub(partition.len());
    let topic: String = if q.topic.chars().count() > room {
        let cut: String = q.topic.chars().take(room.saturating_sub(1)).collect();
        cut + "…"
    } else {
        q.topic.clone()
    };
    let place = format!("{topic}{partition}");
    let broker = if narrow { 2 } else { 6 };
    let text = format!(
        "{time} {:>broker$} {place:<11.11} {:>4} {attempt:>3} {rtt} ",
        q.broker, q.records
    );
    let attempt_style = if q.is_retry() {
        theme.changed()
    } else {
        theme.text()
    };
    let mut spans = vec![
        Span::styled(text, attempt_style),
        Span::styled(format!("{outcome:<10}"), style),
    ];
    if !narrow {
        spans.push(Span::styled(format!(" {:>6} B", q.bytes), theme.muted()));
    }
    Line::from(spans)
}
