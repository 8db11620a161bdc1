//! The settings pane: every producer setting under its Java name, the
//! librdkafka property it maps to, its default and value; the selected row
//! explained, and whether the pending set can be applied.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::pane;
use crate::engine::settings::{shown, spec};
use crate::ui::app::{App, Focus};
use crate::ui::theme::Theme;

/// Below this width the librdkafka and default columns move to the footer.
const WIDE: u16 = 90;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Focus::Settings;
    let dirty = app.pending != app.applied;
    // What the • marks are held against, always: a class reads the
    // differences off the pane. Where the title would not fit, it says
    // the same in fewer words.
    let against = format!("• {} vs {} ", app.differing(), app.defaults.name());
    let unapplied = if dirty { "* not applied (a) " } else { "" };
    let (name, unapplied) =
        match " Producer settings ".len() + unapplied.len() + against.chars().count() + 2
            <= area.width as usize
        {
            true => (" Producer settings ", unapplied),
            false => (" Settings ", if dirty { "* (a) " } else { "" }),
        };
    let title = Line::from(vec![
        Span::styled(name, theme.title(focused)),
        Span::styled(unapplied, theme.changed()),
        Span::styled(against, theme.muted()),
    ]);
    let block = pane(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let [table_area, footer] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(inner);
    let wide = area.width >= WIDE;
    let names = app.setting_names();
    let rows = names.iter().map(|name| {
        let value = app.pending.get(name).unwrap_or("");
        let changed = app.applied.get(name) != Some(value);
        let value_style = if changed {
            theme.changed()
        } else {
            theme.text()
        };
        let mark = if changed { "*" } else { " " };
        let differs = if app.differs(name) { "•" } else { " " };
        let (lib, default) = match spec(name) {
            Some(s) => (s.maps_to(), shown(name, &app.defaults.of(s)).into_owned()),
            None => (name.clone(), "-".into()),
        };
        // A value another setting overrides shows what is in force.
        let value_cell = match app.pending.forced(name) {
            Some((forced, _)) if forced != value => {
                Span::styled(format!("{forced} (forced)"), theme.changed())
            }
            _ => Span::styled(shown(name, value).into_owned(), value_style),
        };
        let mut cells = vec![
            Cell::from(format!("{mark}{differs}{name}")),
            Cell::from(value_cell),
        ];
        if wide {
            cells.push(Cell::from(Span::styled(lib.to_string(), theme.muted())));
            cells.push(Cell::from(Span::styled(default.to_string(), theme.muted())));
        }
        Row::new(cells)
    });
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Length(38),
            Constraint::Length(15),
            Constraint::Min(12),
            Constraint::Length(15),
        ]
    } else {
        vec![Constraint::Min(20), Constraint::Length(15)]
    };
    let mut header = vec!["setting (Java name)", "value"];
    if wide {
        header.extend(["librdkafka", app.defaults.name()]);
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.muted()))
        .row_highlight_style(if focused {
            theme.selected()
        } else {
            theme.text()
        });
    let mut state = TableState::default().with_selected(Some(app.setting_row));
    frame.render_stateful_widget(table, table_area, &mut state);

    frame.render_widget(
        Paragraph::new(footer_lines(app, theme)).wrap(Wrap { trim: true }),
        footer,
    );
}

/// The selected setting explained, then what stands in the way of applying.
fn footer_lines<'a>(app: &App, theme: &Theme) -> Vec<Line<'a>> {
    let names = app.setting_names();
    let mut lines = Vec::new();
    let problem = app.pending.check().err();
    if let Some(e) = &problem {
        lines.push(Line::from(Span::styled(
            format!("cannot apply: {e}"),
            theme.failed(),
        )));
    }
    if let Some(name) = names.get(app.setting_row) {
        // Where the value in force came from, so that a layered setup
        // (profile, file, -X, edits) can be read back; nothing for a default.
        let from = match (
            app.pending.get(name) != app.applied.get(name),
            app.origins.get(name),
        ) {
            (true, _) => " · changed, not applied".to_string(),
            (false, Some(origin)) => format!(" · set by {origin}"),
            (false, None) => String::new(),
        };
        match spec(name) {
            Some(s) => {
                // In full: the table's column may cut a long name.
                lines.push(Line::from(Span::styled(
                    format!(
                        "librdkafka: {} · {}default {}{from}",
                        s.maps_to(),
                        // Named when it is not the usual one.
                        match app.defaults {
                            crate::engine::settings::Defaults::Java => String::new(),
                            d => format!("{} ", d.name()),
                        },
                        shown(name, &app.defaults.of(s))
                    ),
                    theme.muted(),
                )));
                if let Some((value, why)) = app.pending.forced(name) {
                    lines.push(Line::from(Span::styled(
                        format!("in force: {value}, {why}"),
                        theme.changed(),
                    )));
                }
                lines.push(Line::from(Span::styled(s.help, theme.text())));
            }
            None => match crate::engine::security::becomes(name) {
                Some(to) => lines.push(Line::from(Span::styled(
                    format!("{name} (Java) becomes {to}{from}"),
                    theme.text(),
                ))),
                None => lines.push(Line::from(Span::styled(
                    format!("{name}: a librdkafka property set as given{from}"),
                    theme.text(),
                ))),
            },
        }
    }
    lines
}
