//! The status bar: where kprod is connected, the topic, the totals, and the
//! keys that matter where the focus is (or the latest message).

use std::time::Instant;

use ratatui::text::{Line, Span};

use crate::ui::app::{App, Flow, Totals};
use crate::ui::keymap;
use crate::ui::theme::Theme;

/// The status bar's lines for a screen `width` wide.
pub fn lines<'a>(app: &App, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let t = app.totals;
    let mut first = vec![
        Span::styled("sent ", theme.muted()),
        Span::styled(t.sent.to_string(), theme.text()),
        Span::styled("  acked ", theme.muted()),
        Span::styled(t.acked.to_string(), theme.acked()),
        Span::styled("  failed ", theme.muted()),
        Span::styled(t.failed.to_string(), theme.failed()),
        Span::styled("  in flight ", theme.muted()),
        Span::styled(t.in_flight().to_string(), theme.queued()),
        Span::styled("  │ ", theme.muted()),
    ];
    first.extend(requests(app, theme));
    let verified = Line::from(verification(app, theme));
    let mut second = vec![
        Span::styled("topic ", theme.muted()),
        Span::styled(app.targets(), theme.text()),
        Span::styled("  ", theme.muted()),
    ];
    second.extend(transaction(app, theme));
    // Totals first; the broker list gets what room is left, at least one
    // address (enough for another client to bootstrap from).
    let used: usize = second.iter().map(|s| s.content.chars().count()).sum();
    // A message shares the line: then the broker list takes its short form.
    let room = match app.flash {
        Some(_) => 0,
        None => (width as usize).saturating_sub(used),
    };
    second.push(Span::styled(connection(app, room), theme.text()));
    let mut third = Vec::new();
    if app.quitting {
        second.push(Span::styled(
            format!(
                "QUITTING: waiting for {} in flight; Ctrl-C again quits now  ",
                t.in_flight()
            ),
            theme.level(crate::engine::Level::Warn),
        ));
    } else if let Some((level, text)) = &app.flash {
        second.push(Span::styled(format!("  {text}"), theme.level(*level)));
    }
    for (key, what) in keymap::hints(&app.scopes()) {
        third.push(Span::styled(key, theme.key_hint()));
        third.push(Span::styled(format!(" {what}  "), theme.muted()));
    }
    let mut lines = Vec::with_capacity(6);
    if let Some(f) = &app.flow {
        lines.extend(flow(f, &t, app.now(), theme));
    }
    lines.extend([
        Line::from(first),
        verified,
        Line::from(second),
        Line::from(third),
    ]);
    lines
}

/// The burst's progress, pace and latency, live; its totals once it ends.
/// Two lines at any width: on one, the figures did not fit 80 columns, and
/// a line that fits only while the figures are short made the panes above
/// jump a row up and down as they changed.
fn flow<'a>(f: &Flow, t: &Totals, now: Instant, theme: &Theme) -> [Line<'a>; 2] {
    let done = f.done(t);
    let tally = &f.tally;
    let q = |p: f64| tally.latency_us(p) as f64 / 1000.0;
    let latency = if tally.acked == 0 {
        String::new()
    } else {
        format!(
            " · p50 {:.1} p95 {:.1} p99 {:.1} max {:.1} ms",
            q(0.5),
            q(0.95),
            q(0.99),
            tally.max_latency_us() as f64 / 1000.0
        )
    };
    if f.finished(t) {
        let secs = f.active(now).as_secs_f64().max(1e-3);
        let word = if f.stopped { "stopped" } else { "done" };
        let head = vec![
            Span::styled(format!("burst {word}: "), theme.title(true)),
            Span::styled(
                format!("{done} of {} in {secs:.1} s", f.target),
                theme.text(),
            ),
        ];
        let figures = format!(
            "{:.0} rec/s · {:.2} MB/s{latency}",
            done as f64 / secs,
            tally.key_value_bytes as f64 / 1_048_576.0 / secs
        );
        return [Line::from(head), figures_line(figures, theme)];
    }
    let share = done as f64 / f.target.max(1) as f64;
    const WIDTH: usize = 16;
    let filled = ((share * WIDTH as f64) as usize).min(WIDTH);
    let (rate, mb) = f.rate_now();
    let left_to_send = f.target.saturating_sub(f.sent(t));
    let eta = match f.rate {
        Some(r) => Some(left_to_send as f64 / r),
        None if rate > 0.0 => Some(f.target.saturating_sub(done) as f64 / rate),
        None => None,
    };
    let state = if f.paused_at.is_some() {
        " PAUSED (Ctrl-P resumes, Ctrl-X stops)".to_string()
    } else {
        eta.map(|s| format!(" {s:.0} s left")).unwrap_or_default()
    };
    let goal = f.rate.map(|r| format!(" (target {r})")).unwrap_or_default();
    let head = vec![
        Span::styled("burst ", theme.title(true)),
        Span::styled("█".repeat(filled), theme.bar()),
        Span::styled("░".repeat(WIDTH - filled), theme.muted()),
        Span::styled(
            format!(" {:.0}% {done}/{}", share * 100.0, f.target),
            theme.text(),
        ),
        Span::styled(state, theme.level(crate::engine::Level::Warn)),
    ];
    let figures = format!("{rate:.0} rec/s{goal} · {mb:.2} MB/s{latency}");
    [Line::from(head), figures_line(figures, theme)]
}

/// The burst's figures, under its progress.
fn figures_line<'a>(figures: String, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(format!("      {figures}"), theme.text()))
}

fn connection(app: &App, room: usize) -> String {
    let Some(c) = &app.connection else {
        return "starting…".into();
    };
    let kind = if c.embedded { "embedded " } else { "brokers " };
    let via = if c.proxy.is_some() { " via proxy" } else { "" };
    // The registry a deserializer must be pointed at, once one is in use.
    let registry = match &app.registry {
        Some((url, true)) => format!("  registry {url} (embedded)"),
        Some((url, false)) => format!("  registry {url}"),
        None => String::new(),
    };
    let full = format!("{kind}{}{via}{registry}", c.bootstrap);
    if full.chars().count() <= room {
        return full;
    }
    let mut servers = c.bootstrap.split(',');
    let first = servers.next().unwrap_or("");
    let rest = servers.count();
    let short = if rest == 0 {
        format!("{kind}{first}{via}")
    } else {
        format!("{kind}{first} (+{rest}){via}")
    };
    if (short.chars().count() + registry.chars().count()) <= room {
        short + &registry
    } else {
        short
    }
}

/// Where the transaction stands: none, open (records, age), committing,
/// aborting, fenced; nothing for a producer that is not transactional.
fn transaction<'a>(app: &App, theme: &Theme) -> Vec<Span<'a>> {
    use crate::ui::app::Phase;
    if app.applied.transactional_id().is_none() {
        return Vec::new();
    }
    let t = &app.txn;
    let (text, style) = match t.phase {
        Phase::None if t.ready.is_none() && app.fatal.is_none() => {
            ("not ready".to_string(), theme.muted())
        }
        Phase::None => {
            let last = t
                .ended
                .as_ref()
                .map(|e| format!(" (last {e})"))
                .unwrap_or_default();
            (format!("none{last}"), theme.muted())
        }
        Phase::Open => {
            let age = t
                .since
                .map_or(0, |s| app.now().saturating_duration_since(s).as_secs());
            (
                format!("OPEN T{} {} rec {age}s", t.number, t.records),
                theme.level(crate::engine::Level::Warn),
            )
        }
        Phase::Committing => (format!("COMMITTING T{}", t.number), theme.queued()),
        Phase::Aborting => (format!("ABORTING T{}", t.number), theme.queued()),
        Phase::Fenced => ("FENCED (Ctrl-B re-initialises)".to_string(), theme.failed()),
    };
    vec![
        Span::styled("txn ", theme.muted()),
        Span::styled(text, style),
        Span::styled("  ", theme.muted()),
    ]
}

/// A count that is red when it is not zero: something went wrong.
fn count<'a>(label: &str, n: u64, theme: &Theme) -> Span<'a> {
    let style = if n == 0 {
        theme.muted()
    } else {
        theme.failed()
    };
    Span::styled(format!("{label} {n}  "), style)
}

/// What the produce requests met: retries, timeouts, errors, and the
/// idempotent producer's id and epoch.
fn requests<'a>(app: &App, theme: &Theme) -> Vec<Span<'a>> {
    let r = &app.requests;
    let count = |label: &str, n: u64| count(label, n, theme);
    let mut spans = vec![
        count("retries", r.retries),
        count("timeouts", r.timeouts),
        count("errors", r.errors),
    ];
    if let Some((id, epoch)) = r.pid {
        spans.push(Span::styled(
            format!("pid {id} epoch {epoch}"),
            theme.muted(),
        ));
    }
    spans
}

/// The verifier's counts, problems first so they survive a narrow screen.
fn verification<'a>(app: &App, theme: &Theme) -> Vec<Span<'a>> {
    if app.connection.as_ref().is_some_and(|c| !c.verify) {
        return vec![Span::styled("verify: off (--no-verify)", theme.muted())];
    }
    let Some(summary) = &app.verification else {
        return vec![Span::styled("verify: waiting for acks", theme.muted())];
    };
    let t = summary.total();
    let count = |label: &str, n: u64| count(label, n, theme);
    // The embedded cluster keeps an idempotent producer's retried batches
    // (rdkafka_mock.c): a duplicate there is not what a real broker shows.
    let embedded = app.connection.as_ref().is_some_and(|c| c.embedded);
    let idempotent = app.applied.idempotent();
    let dup_note = if embedded && idempotent && t.duplicated > 0 {
        Span::styled(
            "(embedded cluster: no idempotent dedupe, see log)  ",
            theme.level(crate::engine::Level::Warn),
        )
    } else {
        Span::raw("")
    };
    let txns = match &app.txn.report {
        Some(r) => {
            let (records, committed, aborted, missing) = r.totals();
            let note = if embedded {
                " (embedded: unfiltered)"
            } else {
                ""
            };
            Span::styled(
                format!("txn read_committed {committed}/{records}, aborted {aborted}, missing {missing}{note}  "),
                theme.muted(),
            )
        }
        None => Span::raw(""),
    };
    vec![
        Span::styled("verify: ", theme.muted()),
        txns,
        count("missing", t.missing),
        count("dup", t.duplicated),
        count("reordered", t.reordered),
        count("misplaced", t.misplaced),
        Span::styled(
            format!("read back {}/{}  ", t.read_back, t.acked),
            theme.muted(),
        ),
        if t.failed_written > 0 {
            count("failed, but written", t.failed_written)
        } else {
            Span::raw("")
        },
        dup_note,
    ]
}
