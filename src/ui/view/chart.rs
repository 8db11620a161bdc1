//! The partition lab: acked records per partition since the last reset, one
//! bar each, with the batches that carried them (how many, how full), and
//! under the bars what librdkafka's statistics say of all the topic's
//! batches (how many, how large) and what compression made of the records.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::pane;
use crate::ui::app::{App, Focus};
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Focus::Chart;
    let total: u64 = app.chart.iter().sum();
    let block = pane(format!(" Partitions: {total} acked "), focused, theme);
    if app.chart.is_empty() {
        let text = Paragraph::new("waiting for the topic's partitions").style(theme.muted());
        frame.render_widget(text.block(block), area);
        return;
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let max = app.chart.iter().copied().max().unwrap_or(0).max(1);
    // "p12 " + bar + " 123456 b1234×999"
    let label_w = format!("p{}", app.chart.len() - 1).len() + 1;
    let tail_w = 18usize;
    let bar_w = (inner.width as usize)
        .saturating_sub(label_w + tail_w)
        .max(1);
    let mut lines: Vec<Line> = Vec::new();
    // Bars come first: the lines under them get the rows the bars leave.
    let height = inner.height as usize;
    let rows = |t: &String| {
        t.chars()
            .count()
            .max(1)
            .div_ceil(inner.width.max(1) as usize)
    };
    let mut footer = summary(app);
    while !footer.is_empty() && app.chart.len() + footer.iter().map(rows).sum::<usize>() > height {
        footer.pop();
    }
    let shown = if app.chart.len() <= height {
        app.chart.len()
    } else {
        height.saturating_sub(1)
    };
    for (p, n) in app.chart.iter().enumerate().take(shown) {
        let batches = match app.batches.get(p) {
            Some(b) if b.batches > 0 => {
                format!(" b{}×{:.0}", b.batches, b.records as f64 / b.batches as f64)
            }
            _ => String::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<label_w$}", format!("p{p}")), theme.muted()),
            Span::styled(bar(*n, max, bar_w), theme.bar()),
            Span::styled(format!(" {n}"), theme.text()),
            Span::styled(batches, theme.muted()),
        ]));
    }
    if shown < app.chart.len() {
        lines.push(Line::from(Span::styled(
            format!("… {} more partitions", app.chart.len() - shown),
            theme.muted(),
        )));
    }
    lines.extend(
        footer
            .into_iter()
            .map(|t| Line::from(Span::styled(t, theme.muted()))),
    );
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// A bar of `width` cells for `n` of `max`, in eighths of a cell.
fn bar(n: u64, max: u64, width: usize) -> String {
    const PARTS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let eighths = (n as u128 * width as u128 * 8 / max as u128) as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8 - 1]);
    }
    let used = s.chars().count();
    s.push_str(&" ".repeat(width.saturating_sub(used)));
    s
}

/// Batches and compression over all partitions, from librdkafka's
/// statistics: the lines under the bars.
fn summary(app: &App) -> Vec<String> {
    // Markers first: a short pane drops the last lines, and after a
    // transaction its markers are what the lab is about.
    let mut lines = markers(app);
    lines.extend(summary_of_batches(app));
    lines
}

/// The offsets transaction markers took, and why the log has gaps there.
fn markers(app: &App) -> Vec<String> {
    let Some(r) = &app.txn.report else {
        return Vec::new();
    };
    if app.connection.as_ref().is_some_and(|c| c.embedded) {
        return vec!["no marker offsets: the embedded cluster writes none; on a real broker each commit or abort takes one offset per partition".into()];
    }
    let listed: Vec<String> = r
        .marker_offsets
        .iter()
        .filter(|(t, ..)| *t == app.topic)
        .take(8)
        .map(|(_, p, o)| format!("p{p}@{o}"))
        .collect();
    vec![format!(
        "markers {}: {}: each commit or abort writes a control record that takes an offset, which no reader returns, so offsets skip there",
        r.markers,
        listed.join(" ")
    )]
}

fn summary_of_batches(app: &App) -> Vec<String> {
    let sent = &app.sent;
    if sent.batches == 0 {
        let when = match app.applied.statistics_interval_ms() {
            0 => "off (statistics.interval.ms=0)".to_string(),
            ms => format!("every {ms} ms"),
        };
        return vec![
            "b: batches×records each".into(),
            format!("librdkafka stats: {when}"),
        ];
    }
    let raw: u64 = app.batches.iter().map(|b| b.record_bytes).sum();
    let wire: u64 = app.batches.iter().map(|b| b.wire_bytes).sum();
    let codec = app
        .batches
        .iter()
        .rev()
        .find(|b| !b.codec.is_empty())
        .map_or("", |b| b.codec.as_str());
    vec![
        format!(
            "stats: {} batches, {:.1} records, {} each",
            sent.batches,
            sent.records_per_batch(),
            bytes(sent.bytes_per_batch())
        ),
        format!(
            "records {} → wire {} ({:.0}%, {codec})",
            bytes(raw),
            bytes(wire),
            wire as f64 * 100.0 / raw.max(1) as f64
        ),
    ]
}

/// Bytes for a person: B, KB, MB (powers of 1024).
pub fn bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} B"),
        10_000..=9_999_999 => format!("{:.1} KB", n as f64 / 1024.0),
        _ => format!("{:.1} MB", n as f64 / 1_048_576.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_in_eighths() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██  ");
        assert_eq!(bar(1, 16, 4), "▎   ");
        assert_eq!(bar(0, 10, 3), "   ");
    }
}
