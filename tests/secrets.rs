//! Secret settings are masked wherever kprod writes them: `kprod produce`'s
//! events and messages, the settings pane, its edit prompt and the log's
//! "producer rebuilt" line.

mod common;

use std::process::{Command, Stdio};

use common::console::Console;
use crossterm::event::KeyCode;
use kprod::engine::settings::{is_secret, Settings};
use kprod::engine::Event;
use kprod::ui::app::Focus;

const SECRET: &str = "hunter2";

fn produce(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kprod"))
        .arg("produce")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn which_properties_are_secret() {
    for name in [
        "sasl.password",
        "sasl.jaas.config",
        "ssl.key.password",
        "ssl.keystore.password",
        "ssl.truststore.password",
        "sasl.oauthbearer.client.secret",
        "my.PASSWORD.file",
        "some.secret",
    ] {
        assert!(is_secret(name), "{name}");
    }
    for name in ["sasl.username", "acks", "ssl.key.location"] {
        assert!(!is_secret(name), "{name}");
    }
}

#[test]
fn kprod_produce_never_prints_a_password() {
    let (code, out) = produce(&["-X", &format!("sasl.password={SECRET}"), "--count", "2"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("startup_complete"), "{out}");
    assert!(out.contains("\"sasl.password\":\"********\""), "{out}");
    assert!(!out.contains(SECRET), "{out}");
    // Refused, and the message names the property but not its value.
    let pair = format!("sasl.jaas.config=x password=\"{SECRET}\";");
    let (code, out) = produce(&["-X", &pair, "--count", "1"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("sasl.jaas.config"), "{out}");
    assert!(!out.contains(SECRET), "{out}");
    // Taken (kprod speaks TLS), and masked wherever it is shown.
    let (code, out) = produce(&[
        "-X",
        &format!("ssl.keystore.password={SECRET}"),
        "--count",
        "1",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\"ssl.keystore.password\":\"********\""),
        "{out}"
    );
    assert!(!out.contains(SECRET), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_settings_pane_its_prompt_and_the_log_mask_a_password() {
    let mut settings = Settings::default();
    settings.set("sasl.password", SECRET).unwrap();
    let mut c = Console::start_with(140, 50, settings).await;
    while c.app.focus != Focus::Settings {
        c.press(KeyCode::Tab);
    }
    let row = c
        .app
        .setting_names()
        .iter()
        .position(|n| n == "sasl.password")
        .expect("the property is listed");
    for _ in 0..row {
        c.press(KeyCode::Down);
    }
    let screen = c.screen();
    assert!(screen.contains("sasl.password"), "{screen}");
    assert!(screen.contains("********"), "{screen}");
    assert!(!screen.contains(SECRET), "{screen}");

    // Edited behind a mask: the typed characters do not show either.
    c.press(KeyCode::Enter);
    assert!(c.app.popup.is_some(), "the edit prompt is open");
    c.type_text("-new");
    let screen = c.screen();
    assert!(
        !screen.contains(SECRET) && !screen.contains("-new"),
        "{screen}"
    );
    c.press(KeyCode::Enter);
    assert_eq!(c.app.pending.get("sasl.password"), Some("hunter2-new"));
    c.press(KeyCode::Char('a'));
    c.pump_until(|e| matches!(e, Event::Applied { .. })).await;
    let log = c.last_log().to_string();
    assert!(log.contains("producer rebuilt: sasl.password"), "{log}");
    assert!(!log.contains(SECRET), "{log}");
    let screen = c.screen();
    assert!(!screen.contains(SECRET), "{screen}");

    // A property added as name=value is masked once its name says secret.
    c.press(KeyCode::Char('+'));
    c.type_text("ssl.truststore.password=");
    c.type_text(SECRET);
    let screen = c.screen();
    assert!(!screen.contains(SECRET), "{screen}");
}
