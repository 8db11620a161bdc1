//! The partition chart: acked records per partition since the last reset, one
//! bar per partition with its count written on it.

use ratatui::layout::{Direction, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};
use ratatui::Frame;

use super::pane;
use crate::ui::app::{App, Focus};
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Focus::Chart;
    let total: u64 = app.chart.iter().sum();
    let block = pane(format!(" Acked/partition ({total}) "), focused, theme);
    if app.chart.is_empty() {
        let text = Paragraph::new("waiting for the topic's partitions").style(theme.muted());
        frame.render_widget(text.block(block), area);
        return;
    }
    let bars: Vec<Bar> = app
        .chart
        .iter()
        .enumerate()
        .map(|(p, n)| {
            Bar::default()
                .value(*n)
                .label(Line::from(format!("p{p}")))
                .text_value(n.to_string())
                .style(theme.bar())
                .value_style(theme.bar_text())
        })
        .collect();
    let chart = BarChart::default()
        .block(block)
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .data(BarGroup::default().bars(&bars));
    frame.render_widget(chart, area);
}
