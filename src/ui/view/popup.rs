//! Popups over the panes: the help screen generated from the keymap, the
//! one-line prompts (burst size, a setting's value, a new property, a
//! comparison), the topic, theme and profile pickers, the profile and
//! partition rule editors and the comparison's results.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, List, ListItem, ListState, Paragraph, Row, Table, Wrap,
};
use ratatui::Frame;

use super::chart::bytes;
use crate::engine::compare::Outcome;
use crate::engine::partition::RULES_SYNTAX;
use crate::engine::Level;
use crate::ui::app::{App, Ask, Focus, Popup, PROFILE_FORM};
use crate::ui::keymap::{self, Scope, BINDINGS};
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.popup {
        None => {}
        Some(Popup::Help(scroll)) => help(frame, area, *scroll, theme),
        Some(Popup::Prompt { ask, input, error }) => {
            let rect = centred(area, 70, 7);
            clear(frame, rect, theme);
            let block = framed(prompt_title(ask), theme);
            let inner = block.inner(rect);
            frame.render_widget(block, rect);
            let [field, message] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
            frame.render_widget(input.as_ref(), field);
            let text = match error {
                Some(e) => Span::styled(e.clone(), theme.failed()),
                None => Span::styled(prompt_hint(app, ask), theme.muted()),
            };
            frame.render_widget(
                Paragraph::new(Line::from(text)).wrap(Wrap { trim: true }),
                message,
            );
        }
        Some(Popup::Topics { selected }) => topics(frame, area, app, *selected, theme),
        Some(Popup::Themes { selected }) => {
            let rect = centred(area, 40, (app.themes.len() as u16 + 2).min(area.height));
            clear(frame, rect, theme);
            let block = framed(" Themes (Enter use · Esc close) ".into(), theme);
            let inner = block.inner(rect);
            frame.render_widget(block, rect);
            let items: Vec<ListItem> = app
                .themes
                .iter()
                .map(|n| ListItem::new(Span::styled(n.clone(), theme.text())))
                .collect();
            let mut state = ListState::default().with_selected(Some(*selected));
            frame.render_stateful_widget(
                List::new(items).highlight_style(theme.selected()),
                inner,
                &mut state,
            );
        }
        Some(Popup::Profiles { selected }) => profiles(frame, area, app, *selected, theme),
        Some(Popup::Templates { selected, error }) => {
            templates(frame, area, app, *selected, error.as_deref(), theme)
        }
        Some(Popup::Records(list)) => super::records::draw(frame, area, app, list, theme),
        Some(Popup::ProfileEditor { was, editor, error }) => {
            let rect = centred(area, 90, area.height.saturating_sub(4));
            clear(frame, rect, theme);
            let what = match was {
                Some(name) => format!("profile '{name}'"),
                None => "new profile".into(),
            };
            let block = framed(format!(" {what} ({}) ", hints(Scope::ProfileEditor)), theme);
            let inner = block.inner(rect);
            frame.render_widget(block, rect);
            let [text, message] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(inner);
            frame.render_widget(editor.as_ref(), text);
            let line = match error {
                Some(e) => Span::styled(e.clone(), theme.failed()),
                None => Span::styled(PROFILE_FORM, theme.muted()),
            };
            frame.render_widget(
                Paragraph::new(Line::from(line)).wrap(Wrap { trim: true }),
                message,
            );
        }
        Some(Popup::Rules {
            path,
            editor,
            error,
        }) => {
            let rect = centred(area, 90, area.height.saturating_sub(4));
            clear(frame, rect, theme);
            let block = framed(
                format!(
                    " Partition rules: {} (Ctrl-S save and apply · Esc cancel) ",
                    path.display()
                ),
                theme,
            );
            let inner = block.inner(rect);
            frame.render_widget(block, rect);
            let [text, message] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(inner);
            frame.render_widget(editor.as_ref(), text);
            let line = match error {
                Some(e) => Span::styled(e.clone(), theme.failed()),
                None => Span::styled(RULES_SYNTAX, theme.muted()),
            };
            frame.render_widget(
                Paragraph::new(Line::from(line)).wrap(Wrap { trim: true }),
                message,
            );
        }
        Some(Popup::Compare) => compare(frame, area, app, theme),
    }
}

/// A scope's hints from the keymap, as a popup's title gives them.
pub(super) fn hints(scope: Scope) -> String {
    keymap::hints(&[scope])
        .into_iter()
        .map(|(key, what)| format!("{key} {what}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The profiles with what each connects to; its secrets only by where
/// they come from.
fn profiles(frame: &mut Frame, area: Rect, app: &App, selected: usize, theme: &Theme) {
    let height = (app.profiles.len().max(1) as u16 + 2).min(area.height);
    let rect = centred(area, 90, height);
    clear(frame, rect, theme);
    let block = framed(
        format!(" Connection profiles ({}) ", hints(Scope::Profiles)),
        theme,
    );
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if app.profiles.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no profiles yet: n makes one", theme.muted())),
            inner,
        );
        return;
    }
    let items: Vec<ListItem> = app
        .profiles
        .iter()
        .map(|(name, p)| {
            let security = p
                .settings
                .get("security.protocol")
                .map_or(String::new(), |s| format!(" {s}"));
            let text = format!(
                "{name}  {}{security}  topic {}",
                p.bootstrap.as_deref().unwrap_or("(brokers from -b)"),
                p.topic.as_deref().unwrap_or("(default)")
            );
            ListItem::new(Span::styled(text, theme.text()))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(
        List::new(items).highlight_style(theme.selected()),
        inner,
        &mut state,
    );
}

/// The comparison side by side: one column a variant, filled in as each
/// finishes.
fn compare(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(c) = &app.compare else { return };
    let rect = centred(area, 110, area.height.saturating_sub(2));
    clear(frame, rect, theme);
    let done = c.outcomes.len();
    let state = if done < c.labels.len() {
        format!("running {}/{}", done + 1, c.labels.len())
    } else {
        "done".into()
    };
    let block = framed(
        format!(
            " Compare: {} records each{} (+1 warm-up, not counted), {state} (c again · Esc close) ",
            c.count,
            c.rate.map(|r| format!(" at {r}/s")).unwrap_or_default()
        ),
        theme,
    );
    let inner = block.inner(rect);
    frame.render_widget(block, rect);

    let letter = |i: usize| char::from(b'A' + (i % 26) as u8).to_string();
    let mut legend: Vec<Line> = c
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Line::from(vec![
                Span::styled(format!("{} ", letter(i)), theme.title(true)),
                Span::styled(l.clone(), theme.text()),
            ])
        })
        .collect();
    for (i, o) in c.outcomes.iter().enumerate() {
        if let Err(e) = o {
            legend.push(Line::from(Span::styled(
                format!("{}: could not run: {e}", letter(i)),
                theme.failed(),
            )));
        }
    }
    let [top, table_area] =
        Layout::vertical([Constraint::Length(legend.len() as u16), Constraint::Min(1)])
            .areas(inner);
    frame.render_widget(Paragraph::new(legend), top);

    let ok: Vec<Option<&Outcome>> = (0..c.labels.len())
        .map(|i| c.outcomes.get(i).and_then(|o| o.as_ref().ok()))
        .collect();
    let mut rows: Vec<Row> = METRICS
        .iter()
        .map(|(name, figure)| {
            let mut cells = vec![Cell::from(Span::styled(*name, theme.muted()))];
            cells.extend(
                ok.iter()
                    .map(|o| Cell::from(o.map_or_else(|| "…".to_string(), figure))),
            );
            Row::new(cells)
        })
        .collect();
    let parts = ok
        .iter()
        .flatten()
        .map(|o| o.partitions.len())
        .chain(app.partition_count().map(|n| n as usize))
        .max()
        .unwrap_or(0);
    for p in 0..parts {
        let mut cells = vec![Cell::from(Span::styled(
            format!("p{p} acked"),
            theme.muted(),
        ))];
        cells.extend(ok.iter().map(|o| {
            Cell::from(match o {
                Some(o) => o.partitions.get(p).copied().unwrap_or(0).to_string(),
                None => "…".into(),
            })
        }));
        rows.push(Row::new(cells));
    }
    let mut widths = vec![Constraint::Length(16)];
    widths.extend(c.labels.iter().map(|_| Constraint::Min(10)));
    let mut header = vec![Cell::from("")];
    header.extend(
        (0..c.labels.len()).map(|i| Cell::from(Span::styled(letter(i), theme.title(true)))),
    );
    frame.render_widget(
        Table::new(rows, widths).header(Row::new(header)),
        table_area,
    );
}

/// The topic list beside the selected topic's partitions: leader, replicas
/// and in-sync replicas, refreshed as the cluster reports them.
fn topics(frame: &mut Frame, area: Rect, app: &App, selected: usize, theme: &Theme) {
    let rect = centred(area, 100, area.height.saturating_sub(2));
    clear(frame, rect, theme);
    let block = framed(
        " Topics (Enter use · n new · r refresh · Esc close) ".into(),
        theme,
    );
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let Some(list) = app.topics.as_ref().filter(|t| !t.is_empty()) else {
        let text = match &app.topics {
            Some(_) => "The cluster has no topics. n creates one.",
            None => "Asking the cluster for its topics…",
        };
        frame.render_widget(Paragraph::new(text).style(theme.muted()), inner);
        return;
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(inner);
    let items: Vec<ListItem> = list
        .iter()
        .map(|t| {
            let hurt = t
                .layout
                .iter()
                .any(|p| p.leader < 0 || p.isr.len() < p.replicas.len());
            let style = if hurt { theme.failed() } else { theme.text() };
            let mark = match (t.name == app.topic, app.also.contains(&t.name)) {
                (true, _) => "● ",
                (_, true) => "+ ",
                _ => "  ",
            };
            ListItem::new(Line::from(vec![
                Span::styled(mark, theme.muted()),
                Span::styled(t.name.clone(), style),
                Span::styled(format!(" ({})", t.partitions), theme.muted()),
            ]))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(
        List::new(items).highlight_style(theme.selected()),
        left,
        &mut state,
    );

    let Some(topic) = list.get(selected) else {
        return;
    };
    let ids = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{:<5}{:<8}{:<14}{}",
            "part", "leader", "replicas", "in sync"
        ),
        theme.muted(),
    ))];
    for p in &topic.layout {
        let short = p.isr.len() < p.replicas.len();
        let leader = if p.leader < 0 {
            "none".to_string()
        } else {
            p.leader.to_string()
        };
        let style = if p.leader < 0 || short {
            theme.failed()
        } else {
            theme.text()
        };
        lines.push(Line::from(Span::styled(
            format!(
                "{:<5}{:<8}{:<14}{}",
                p.id,
                leader,
                ids(&p.replicas),
                ids(&p.isr)
            ),
            style,
        )));
    }
    // The topic's own settings, as the brokers report them: how a record's
    // timestamp is kept, how many replicas acks=all needs.
    match app.topic_configs.get(&topic.name) {
        Some(configs) if !configs.is_empty() => {
            lines.push(Line::from(""));
            for (name, value) in configs {
                lines.push(Line::from(vec![
                    Span::styled(format!("{name} "), theme.muted()),
                    Span::styled(value.clone(), theme.text()),
                ]));
            }
        }
        _ => {}
    }
    let brokers = format!("brokers: {}", ids(&app.brokers));
    lines.push(Line::from(Span::styled(brokers, theme.muted())));
    if app.connection.as_ref().is_some_and(|c| c.embedded) {
        lines.push(Line::from(Span::styled(
            crate::words::no_isr(),
            theme.level(Level::Warn),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), right);
}

/// How one variant shows one figure.
type Figure = fn(&Outcome) -> String;

/// The comparison's rows: each figure's name and how one variant shows it.
const METRICS: &[(&str, Figure)] = &[
    ("acked", |o| o.acked.to_string()),
    ("failed", |o| o.failed.to_string()),
    ("records/s", |o| format!("{:.0}", o.records_per_sec())),
    ("MB/s", |o| format!("{:.2}", o.mb_per_sec())),
    ("partitions", |o| {
        let used: Vec<u64> = o.partitions.iter().copied().filter(|n| *n > 0).collect();
        match (used.iter().min(), used.iter().max()) {
            (Some(min), Some(max)) => format!("{} used, {min}-{max}", used.len()),
            _ => "none".into(),
        }
    }),
    ("batches (stats)", |o| o.sent.batches.to_string()),
    ("records/batch", |o| {
        format!("{:.1}", o.sent.records_per_batch())
    }),
    ("wire/batch", |o| bytes(o.sent.bytes_per_batch())),
    ("record bytes", |o| bytes(o.record_bytes)),
    ("wire bytes", |o| bytes(o.sent.wire_bytes)),
    ("wire/records", |o| match o.record_bytes {
        0 => "-".into(),
        r => format!("{:.0}%", o.sent.wire_bytes as f64 * 100.0 / r as f64),
    }),
    ("latency p50", |o| ms(o.latency[0])),
    ("latency p95", |o| ms(o.latency[1])),
    ("latency p99", |o| ms(o.latency[2])),
    ("latency max", |o| ms(o.latency[3])),
];

fn ms(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn prompt_title(ask: &Ask) -> String {
    match ask {
        Ask::BurstCount => " Burst: N records, N@RATE, or RATE/s DURATION ".into(),
        Ask::NewTopic => " New topic: name partitions replicas [min.insync.replicas] ".into(),
        Ask::SettingValue(name) => format!(" {name} = "),
        Ask::Property => " Add a librdkafka property: name=value ".into(),
        Ask::Compare => " Compare: COUNT SETTINGS vs SETTINGS ".into(),
        Ask::Fault => " Fault ".into(),
        Ask::TemplateName => " Save the record as a template named ".into(),
        Ask::RecordsFile => " Open a file of records ".into(),
        Ask::Schema(Focus::Key) => " Key schema ".into(),
        Ask::Schema(_) => " Value schema ".into(),
    }
}

/// Which brokers a fault can name: those of the cluster in use, as it
/// reported them, and how faults reach it.
fn fault_brokers(app: &App) -> String {
    let ids = match app.brokers.as_slice() {
        [] => "not known yet".to_string(),
        ids => ids
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    match &app.connection {
        Some(c) if c.embedded => format!(
            "B: a broker id, or TOPIC/P for that partition's leader. Brokers {ids} of the embedded cluster."
        ),
        Some(c) if c.proxy.is_some() => format!(
            "B: a broker id, or TOPIC/P for that partition's leader. Brokers {ids} of {}, through kprod's proxy.",
            c.bootstrap
        ),
        Some(c) => format!(
            "Brokers {ids} of {}: faults there need kprod's proxy in the way (--proxy).",
            c.bootstrap
        ),
        None => format!("Brokers {ids}."),
    }
}

fn prompt_hint(app: &App, ask: &Ask) -> String {
    match ask {
        Ask::BurstCount => format!(
            "e.g. 100000 · 50000@1000 · 500/s 2m. Key and value generators: {}. Ctrl-P pauses, Ctrl-X stops. Enter sends.",
            crate::engine::template::GENERATORS
        ),
        Ask::NewTopic => "e.g. orders 6 3 2. Enter creates, Esc cancels.".into(),
        Ask::SettingValue(_) => "Enter keeps it (apply with a), Esc cancels.".into(),
        Ask::Property => {
            "Any librdkafka property; Java names map to theirs. Enter adds, Esc cancels.".into()
        }
        Ask::Fault => format!(
            "{}. {} Lost acks: the broker appends, the answer comes after request.timeout.ms. Enter makes it happen.",
            crate::engine::faults::FAULT_SYNTAX,
            fault_brokers(app)
        ),
        Ask::RecordsFile => format!(
            "{}. Other files are kafka-console-producer's lines, read with its --property names. Each record is shown as it will be sent before it is. Enter opens.",
            crate::recordfile::SYNTAX
        ),
        Ask::TemplateName => format!(
            "Letters, digits, - _ . ; kept in {} as NAME.toml, a file you can edit. Enter saves, Esc cancels.",
            crate::templates::dir().map_or_else(|| "the config directory".into(), |d| d.display().to_string())
        ),
        Ask::Schema(_) => format!(
            "{}. JSON typed in the field is written by the schema; {} alone in a burst draws a random valid record each time. Enter finds it, Esc cancels.",
            crate::ui::app::SCHEMA_SYNTAX,
            crate::engine::record::RANDOM
        ),
        Ask::Compare => {
            "The composed record as a burst under each side. e.g. 1000 linger.ms=0 vs linger.ms=50 · 2000 codecs (all five) · 500@100 paces 100/s · current: as applied. Enter runs.".into()
        }
    }
}

/// The record templates, and the selected one's file as a preview (or why
/// it did not load).
fn templates(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    selected: usize,
    error: Option<&str>,
    theme: &Theme,
) {
    let shipped = |n: &str| crate::templates::SHIPPED.iter().any(|(s, _)| *s == n);
    let items: Vec<ListItem> = app
        .templates
        .keys()
        .map(|n| {
            let mark = if shipped(n) { " (shipped)" } else { "" };
            ListItem::new(Line::from(vec![
                Span::styled(n.clone(), theme.text()),
                Span::styled(mark, theme.muted()),
            ]))
        })
        .collect();
    let mut lines: Vec<Line> = Vec::new();
    if let Some(e) = error {
        lines.push(Line::from(Span::styled(e.to_string(), theme.failed())));
        lines.push(Line::from(""));
    }
    if let Some(text) = app.templates.values().nth(selected) {
        lines.extend(
            text.lines()
                .map(|l| Line::from(Span::styled(l.to_string(), theme.text()))),
        );
    }
    let rect = centred(area, 100, area.height.saturating_sub(2));
    let title = format!(" Record templates ({}) ", hints(Scope::Templates));
    list_and_preview(frame, rect, title, None, items, selected, lines, theme);
}

/// A popup of a list beside a preview of its selected item, under a line
/// of its own if given: the template picker and the record list.
#[allow(clippy::too_many_arguments)]
pub(super) fn list_and_preview(
    frame: &mut Frame,
    rect: Rect,
    title: String,
    top: Option<Line>,
    items: Vec<ListItem>,
    selected: usize,
    preview: Vec<Line>,
    theme: &Theme,
) {
    clear(frame, rect, theme);
    let block = framed(title, theme);
    let mut inner = block.inner(rect);
    frame.render_widget(block, rect);
    if let Some(top) = top {
        let [line, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
        frame.render_widget(Paragraph::new(top), line);
        inner = rest;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(38), Constraint::Percentage(62)])
            .spacing(1)
            .areas(inner);
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(
        List::new(items).highlight_style(theme.selected()),
        left,
        &mut state,
    );
    frame.render_widget(Paragraph::new(preview).wrap(Wrap { trim: false }), right);
}

/// Every binding, grouped by scope, straight from the keymap; scrolls when
/// the screen is shorter than the list.
fn help(frame: &mut Frame, area: Rect, scroll: usize, theme: &Theme) {
    let mut lines = Vec::new();
    for scope in Scope::IN_HELP {
        lines.push(Line::from(Span::styled(scope.title(), theme.title(true))));
        for b in BINDINGS.iter().filter(|b| b.scope == scope) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<11}", keymap::label(b)), theme.key_hint()),
                Span::styled(b.help, theme.text()),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(
        "Headers: one per line, `name: value`; a name alone has a null value.",
        theme.muted(),
    )));
    let rect = centred(area, 90, area.height.saturating_sub(2));
    clear(frame, rect, theme);
    let visible = rect.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let more = if scroll + visible < lines.len() {
        "↓ more, "
    } else {
        ""
    };
    let block = framed(format!(" Keys ({more}Esc closes) "), theme);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .block(block),
        rect,
    );
}

pub(super) fn framed(title: String, theme: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.title(true)))
}

pub(super) fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Empties the popup's place and paints the theme's background there: a
/// cleared cell takes the terminal's own colours, which a light theme on a
/// dark terminal does not have.
pub(super) fn clear(frame: &mut Frame, rect: Rect, theme: &Theme) {
    frame.render_widget(Clear, rect);
    frame.render_widget(Block::new().style(theme.base()), rect);
}
