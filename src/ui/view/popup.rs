//! Popups over the panes: the help screen generated from the keymap, the
//! one-line prompts (burst size, a setting's value, a new property) and the
//! topic picker.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::engine::cluster::EMBEDDED_NO_ISR;
use crate::engine::Level;
use crate::ui::app::{App, Ask, Popup};
use crate::ui::keymap::{self, Scope, BINDINGS};
use crate::ui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.popup {
        None => {}
        Some(Popup::Help(scroll)) => help(frame, area, *scroll, theme),
        Some(Popup::Prompt { ask, input, error }) => {
            let rect = centred(area, 70, 7);
            frame.render_widget(Clear, rect);
            let block = framed(prompt_title(ask), theme);
            let inner = block.inner(rect);
            frame.render_widget(block, rect);
            let [field, message] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
            frame.render_widget(input.as_ref(), field);
            let text = match error {
                Some(e) => Span::styled(e.clone(), theme.failed()),
                None => Span::styled(prompt_hint(ask), theme.muted()),
            };
            frame.render_widget(
                Paragraph::new(Line::from(text)).wrap(Wrap { trim: true }),
                message,
            );
        }
        Some(Popup::Topics { selected }) => topics(frame, area, app, *selected, theme),
    }
}

/// The topic list beside the selected topic's partitions: leader, replicas
/// and in-sync replicas, refreshed as the cluster reports them.
fn topics(frame: &mut Frame, area: Rect, app: &App, selected: usize, theme: &Theme) {
    let rect = centred(area, 100, area.height.saturating_sub(2));
    frame.render_widget(Clear, rect);
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
            ListItem::new(Line::from(vec![
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
    let brokers = format!("brokers: {}", ids(&app.brokers));
    lines.push(Line::from(Span::styled(brokers, theme.muted())));
    if app.connection.as_ref().is_some_and(|c| c.embedded) {
        lines.push(Line::from(Span::styled(
            EMBEDDED_NO_ISR,
            theme.level(Level::Warn),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), right);
}

fn prompt_title(ask: &Ask) -> String {
    match ask {
        Ask::BurstCount => " Burst: how many records? ".into(),
        Ask::NewTopic => " New topic: name partitions replicas [min.insync.replicas] ".into(),
        Ask::SettingValue(name) => format!(" {name} = "),
        Ask::Property => " Add a librdkafka property: name=value ".into(),
    }
}

fn prompt_hint(ask: &Ask) -> String {
    match ask {
        Ask::BurstCount => "{seq} in key or value becomes 0..N-1. Enter sends, Esc cancels.".into(),
        Ask::NewTopic => "e.g. orders 6 3 2. Enter creates, Esc cancels.".into(),
        Ask::SettingValue(_) => "Enter keeps it (apply with a), Esc cancels.".into(),
        Ask::Property => {
            "Any librdkafka property; Java names map to theirs. Enter adds, Esc cancels.".into()
        }
    }
}

/// Every binding, grouped by scope, straight from the keymap; scrolls when
/// the screen is shorter than the list.
fn help(frame: &mut Frame, area: Rect, scroll: usize, theme: &Theme) {
    let scopes = [
        Scope::Global,
        Scope::Nullable,
        Scope::NotTyping,
        Scope::Settings,
        Scope::Log,
        Scope::Chart,
        Scope::Picker,
        Scope::Prompt,
        Scope::Help,
    ];
    let mut lines = Vec::new();
    for scope in scopes {
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
    frame.render_widget(Clear, rect);
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

fn framed(title: String, theme: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.title(true)))
}

fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
