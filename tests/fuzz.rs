//! Property tests: every parser a user reaches is fed arbitrary and
//! near-valid input, and must never panic and never refuse without saying
//! why. Case counts are fixed so the file runs in seconds.

use kprod::engine::compare;
use kprod::engine::faults;
use kprod::engine::pace::burst_size;
use kprod::engine::partition::Rules;
use kprod::engine::settings::Settings;
use kprod::engine::template::Template;
use kprod::lines::LineFormat;
use kprod::ui::app::App;
use kprod::ui::theme::Theme;
use proptest::prelude::*;
use std::io::Write;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // A failure is shrunk, but not for ever.
        max_shrink_iters: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Whether a refusal came with words; returns the value when accepted.
fn refuses_with_words<T, E: std::fmt::Display>(
    result: Result<T, E>,
) -> Result<Option<T>, TestCaseError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.to_string().trim().is_empty() => {
            Err(TestCaseError::fail("refused with an empty message"))
        }
        Err(_) => Ok(None),
    }
}

/// Numbers as people type them, and as they mistype them.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,20}",
        "[0-9]{0,6}\\.[0-9]{0,6}",
        "-?[0-9]{1,4}(\\.[0-9]{1,3})?e-?[0-9]{1,3}",
        Just("inf".to_string()),
        Just("NaN".to_string()),
        Just("1e-300".to_string()),
        Just("1e308".to_string()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
    ]
}

fn burst_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        number(),
        (number(), number()).prop_map(|(n, r)| format!("{n}@{r}")),
        (number(), number(), "[smh ]?").prop_map(|(r, t, u)| format!("{r}/s {t}{u}")),
        "[0-9@/s. mh-]{0,16}",
    ]
}

fn fault_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("down"),
        Just("up"),
        Just("slow"),
        Just("lose-acks"),
        Just("fail"),
        Just("leader"),
        Just("clear"),
        Just("@"),
        Just("@5s"),
        Just("@100"),
        Just("@acked"),
        Just("NOT_LEADER_OR_FOLLOWER"),
        Just("demo"),
        Just("-1"),
        Just("0"),
        Just("1"),
        Just("99999999999999999999"),
        Just("1e-300"),
    ];
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop_oneof![word.prop_map(String::from), number()], 0..6)
            .prop_map(|w| w.join(" ")),
    ]
}

fn template_text() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        Just("{seq}".to_string()),
        Just("{uuid}".to_string()),
        Just("{now}".to_string()),
        Just("{now:iso}".to_string()),
        (number(), number()).prop_map(|(a, b)| format!("{{int:{a}:{b}}}")),
        "[a-z|]{0,8}".prop_map(|c| format!("{{choice:{c}}}")),
        number().prop_map(|n| format!("{{str:{n}}}")),
        "[{}:a-z0-9]{0,8}",
        any::<String>(),
    ];
    prop_oneof![
        prop::collection::vec(part, 0..5).prop_map(|p| p.concat().into_bytes()),
        any::<Vec<u8>>(),
    ]
}

fn rules_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "key (prefix|suffix|equals|regex|contains) [a-z^$.*(\\[]{0,6} -> (partition )?[0-9-]{1,4}",
        "header [a-z]{0,4}(=[a-z]{0,3})? -> [0-9]{1,3}",
        "# .{0,10}",
        "[a-z =>\\-0-9]{0,20}",
        any::<String>(),
    ];
    prop::collection::vec(line, 0..5).prop_map(|l| l.join("\n"))
}

fn properties_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[a-z.]{1,20}[=: ][a-z0-9.\\\\]{0,10}",
        "[#!] .{0,10}",
        "(acks|linger\\.ms|batch\\.size|compression\\.type)[ =:]+[a-z0-9-]{0,6}",
        "\\\\u[0-9a-fA-F]{0,4}",
        ".{0,20}\\\\",
        any::<String>(),
    ];
    prop::collection::vec(line, 0..6).prop_map(|l| l.join("\n"))
}

fn setting_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("acks".to_string()),
        Just("linger.ms".to_string()),
        Just("batch.size".to_string()),
        Just("batch.num.messages".to_string()),
        Just("compression.type".to_string()),
        Just("enable.idempotence".to_string()),
        Just("max.in.flight.requests.per.connection".to_string()),
        Just("partitioner".to_string()),
        Just("partitioner.rules".to_string()),
        Just("message.max.bytes".to_string()),
        Just("queue.buffering.max.kbytes".to_string()),
        "[a-z.]{0,16}",
        any::<String>(),
    ]
}

fn setting_value() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        Just("all".to_string()),
        Just("true".to_string()),
        Just("rules".to_string()),
        Just("zstd".to_string()),
        "[a-z_]{0,10}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn the_burst_prompt_never_panics(text in burst_text()) {
        if let Some((count, rate)) = refuses_with_words(burst_size(&text))? {
            prop_assert!(count >= 1);
            if let Some(r) = rate {
                prop_assert!(r.is_finite() && r >= kprod::engine::pace::MIN_RATE);
                // The engine turns count/rate into a wait: it must fit.
                std::time::Duration::try_from_secs_f64(count as f64 / r)
                    .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            }
        }
    }

    #[test]
    fn fault_lines_never_panic(text in fault_text()) {
        refuses_with_words(faults::parse(&text))?;
        refuses_with_words(faults::parse_scheduled(&text))?;
    }

    #[test]
    fn templates_never_panic(text in template_text(), seq in any::<u64>()) {
        if let Some(t) = refuses_with_words(Template::parse(&text))? {
            let mut out = Vec::new();
            t.render(seq, &mut out);
        }
    }

    #[test]
    fn rule_files_never_panic(text in rules_text()) {
        refuses_with_words(Rules::parse(&text))?;
    }

    #[test]
    fn console_producer_lines_never_panic(
        props in prop::collection::vec(
            prop_oneof![
                "(parse\\.key|parse\\.headers|ignore\\.error)=(true|false|[a-z]{0,3})",
                "(key\\.separator|headers\\.delimiter|headers\\.separator|headers\\.key\\.separator|null\\.marker)=.{0,3}",
                any::<String>(),
            ],
            0..4,
        ),
        lines in prop::collection::vec(any::<String>(), 0..4),
        number in any::<usize>(),
    ) {
        if let Some(format) = refuses_with_words(LineFormat::from_properties(&props))? {
            for line in &lines {
                refuses_with_words(format.parse(line, number))?;
            }
        }
    }
}

proptest! {
    // These build a librdkafka configuration or touch the disk per case.
    #![proptest_config(config(128))]

    #[test]
    fn setting_values_never_panic(name in setting_name(), value in setting_value()) {
        let mut settings = Settings::default();
        let set = settings.set(&name, &value).map_err(|e| e.to_string());
        if refuses_with_words(set)?.is_some() {
            refuses_with_words(settings.check().map_err(|e| e.to_string()))?;
            refuses_with_words(settings.partitioner())?;
        }
        let pair = format!("{name}={value}");
        refuses_with_words(Settings::default().set_pair(&pair).map_err(|e| e.to_string()))?;
        refuses_with_words(Settings::default().set_pair(&value).map_err(|e| e.to_string()))?;
    }

    #[test]
    fn the_compare_prompt_never_panics(
        head in burst_text(),
        sides in prop::collection::vec(
            prop_oneof![
                (setting_name(), setting_value()).prop_map(|(n, v)| format!("{n}={v}")),
                Just("current".to_string()),
                Just("codecs".to_string()),
                Just(String::new()),
            ],
            0..4,
        ),
    ) {
        let text = format!("{head} {}", sides.join(" vs "));
        refuses_with_words(compare::parse(&Settings::default(), &text))?;
    }

    #[test]
    fn properties_files_never_panic(text in properties_text(), bytes in any::<Vec<u8>>()) {
        for content in [text.into_bytes(), bytes] {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(&content).unwrap();
            refuses_with_words(kprod::cli::read_properties(file.path()))?;
        }
    }

    #[test]
    fn theme_files_never_panic(
        text in prop_oneof![
            "(background|text|border|accent|key_hint|changed|error) = \"[a-z#0-9]{0,8}\"",
            "[a-z_]{0,8} = [0-9\\[\\]{}\"a-z]{0,8}",
            any::<String>(),
        ],
    ) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        refuses_with_words(Theme::load(Some(file.path())))?;
    }

    #[test]
    fn jaas_logins_never_panic(
        text in prop_oneof![
            "[a-zA-Z.]{0,30} (required|optional|x)? ?([a-z]{1,8} ?= ?(\"[^\"]{0,8}\"?|[a-z]{0,5}) ?){0,3};?",
            any::<String>(),
        ],
    ) {
        refuses_with_words(kprod::engine::security::parse_jaas(&text))?;
        let mut settings = Settings::default();
        refuses_with_words(settings.set("sasl.jaas.config", &text))?;
    }

    #[test]
    fn profile_files_never_panic(
        text in prop_oneof![
            "\\[[a-z]{0,5}(\\.(settings|secrets))?\\]\n([a-z\".]{0,12} = (\"[a-z0-9:]{0,6}\"|\\{ env = \"[A-Z]{0,4}\" \\}|[0-9]{0,3})\n){0,3}",
            any::<String>(),
        ],
    ) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        refuses_with_words(kprod::profile::load(file.path()))?;
    }

    /// The console's profile editor: whatever is typed, a profile and its
    /// name or a refusal in words, and a secret's value never echoed.
    #[test]
    fn profile_forms_never_panic(
        text in prop_oneof![
            "(name|bootstrap|topic|properties|acks|sasl\\.password|security\\.protocol)[ =]{0,3}(env:[A-Z]{0,3}|prompt|[a-z0-9:.]{0,8})(\n[a-z.]{0,12} ?= ?[a-z0-9:]{0,6}){0,4}",
            any::<String>(),
        ],
    ) {
        if let Some((name, p)) = refuses_with_words(kprod::ui::app::parse_form(&text))? {
            let again = kprod::ui::app::parse_form(&kprod::ui::app::form(&name, &p));
            prop_assert_eq!(again.ok(), Some((name, p)));
        }
    }

    #[test]
    fn header_lines_never_panic(lines in prop::collection::vec(any::<String>(), 0..4)) {
        let mut app = App::new("demo", Settings::default());
        // The editor holds lines, never a newline inside one.
        let lines: Vec<String> = lines.iter().flat_map(|l| l.lines().map(String::from)).collect();
        app.headers = tui_textarea::TextArea::new(lines);
        refuses_with_words(app.parsed_headers())?;
    }
}

/// What the fuzzing found: a rate too slow for a clock's duration panicked
/// an engine task and the run still exited 0. Now it is refused up front.
#[test]
fn a_rate_too_slow_to_pace_is_refused_as_a_user_types_it() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args(["produce", "--count", "3", "--rate", "1e-300"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'1e-300' records a second is slower than one a day"),
        "{err}"
    );

    for prompt in ["3@1e-300", "1e-300/s 10s"] {
        let e = burst_size(prompt).unwrap_err().to_string();
        assert!(e.contains("slower than one a day"), "{prompt}: {e}");
    }
    let e = compare::parse(&Settings::default(), "3@1e-300 acks=1 vs acks=all")
        .unwrap_err()
        .to_string();
    assert!(e.contains("slower than one a day"), "{e}");
}
