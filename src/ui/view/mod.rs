//! Draws the whole screen from the app state; reads state, never changes it.

mod chart;
mod composer;
mod log;
mod popup;
mod records;
mod requests;
mod settings;
mod status;

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, Focus};
use super::theme::Theme;

/// The smallest screen kprod lays its panes out on.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    // Widgets set only what they colour: the theme's background shows
    // through everywhere else.
    frame.render_widget(ratatui::widgets::Block::new().style(theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return;
    }
    let status = status::lines(app, area.width, theme);
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Percentage(52),
        Constraint::Min(6),
        Constraint::Length(status.len() as u16),
    ])
    .areas(area);
    let [composer_area, settings_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let [log_area, chart_area] =
        Layout::horizontal([Constraint::Percentage(66), Constraint::Percentage(34)]).areas(middle);
    // Zoomed, the focused pane takes the room of all four.
    let whole = top.union(middle);
    let pane = app.zoomed.then_some(match app.focus {
        Focus::Settings => Pane::Settings,
        Focus::Log => Pane::Log,
        Focus::Chart => Pane::Chart,
        _ => Pane::Composer,
    });
    for (this, rect) in [
        (Pane::Composer, composer_area),
        (Pane::Settings, settings_area),
        (Pane::Log, log_area),
        (Pane::Chart, chart_area),
    ] {
        let rect = match pane {
            None => rect,
            Some(p) if p == this => whole,
            Some(_) => continue,
        };
        match this {
            Pane::Composer => composer::draw(frame, rect, app, theme),
            Pane::Settings => settings::draw(frame, rect, app, theme),
            Pane::Log if app.requests.shown => requests::draw(frame, rect, app, theme),
            Pane::Log => log::draw(frame, rect, app, theme),
            Pane::Chart => chart::draw(frame, rect, app, theme),
        }
    }
    frame.render_widget(Paragraph::new(status), bottom);
    popup::draw(frame, area, app, theme);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pane {
    Composer,
    Settings,
    Log,
    Chart,
}

fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = vec![
        Line::from("Terminal too small"),
        Line::from(format!(
            "{}x{} here; kprod needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window, or press Ctrl-C to quit."),
    ];
    let y = area.height.saturating_sub(text.len() as u16) / 2;
    let centred = Rect::new(area.x, area.y + y, area.width, area.height - y);
    frame.render_widget(
        Paragraph::new(text)
            .style(theme.text())
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        centred,
    );
}

/// A pane title's note that it is scrolled back, and how far.
fn scrolled<'a>(scroll: usize, theme: &Theme) -> Option<Span<'a>> {
    (scroll > 0).then(|| Span::styled(format!("↑{scroll} (End: follow) "), theme.changed()))
}

/// A pane's frame, styled by whether it has focus.
fn pane<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title.into().style(theme.title(focused)))
}
