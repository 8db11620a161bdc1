//! The status bar: where kprod is connected, the topic, the totals, and the
//! keys that matter where the focus is (or the latest message).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::ui::app::App;
use crate::ui::keymap;
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let connection = match &app.connection {
        Some(c) if c.embedded => format!("embedded {}", c.bootstrap),
        Some(c) => c.bootstrap.clone(),
        None => "starting…".into(),
    };
    let t = app.totals;
    let first = Line::from(vec![
        Span::styled(connection, theme.text()),
        Span::styled("  topic ", theme.muted()),
        Span::styled(app.topic.clone(), theme.text()),
        Span::styled("  sent ", theme.muted()),
        Span::styled(t.sent.to_string(), theme.text()),
        Span::styled("  acked ", theme.muted()),
        Span::styled(t.acked.to_string(), theme.acked()),
        Span::styled("  failed ", theme.muted()),
        Span::styled(t.failed.to_string(), theme.failed()),
        Span::styled("  in flight ", theme.muted()),
        Span::styled(t.in_flight().to_string(), theme.queued()),
    ]);
    let mut second = Vec::new();
    if let Some((level, text)) = &app.flash {
        second.push(Span::styled(format!("{text}  "), theme.level(*level)));
    }
    for (key, what) in keymap::hints(&app.scopes()) {
        second.push(Span::styled(key, theme.key_hint()));
        second.push(Span::styled(format!(" {what}  "), theme.muted()));
    }
    frame.render_widget(Paragraph::new(vec![first, Line::from(second)]), area);
}
