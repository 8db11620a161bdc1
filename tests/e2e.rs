//! The real binary in a real terminal (tmux): type a record, send it with
//! Ctrl-S, read the ack off the screen, quit, and find the shell restored;
//! the same on the secured broker with each kind of Java client.properties.

mod common;

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A private tmux server running kprod, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts kprod in a `width`x`height` window, or says why it cannot.
    fn start(name: &str, width: u16, height: u16, args: &str) -> Option<Tmux> {
        Tmux::start_with_env(name, width, height, "", args)
    }

    /// As `start`, with `env` (`NAME=value ...`) in kprod's environment.
    fn start_with_env(name: &str, width: u16, height: u16, env: &str, args: &str) -> Option<Tmux> {
        // After kprod exits the shell prints its exit code, proving the
        // terminal is back in a state a shell can write to.
        let script = format!(
            "env {env} {} {args}; echo \"kprod exited with $?\"; sleep 30",
            env!("CARGO_BIN_EXE_kprod")
        );
        Tmux::start_command(name, width, height, &["sh", "-c", &script])
    }

    /// A window running `command`.
    fn start_command(name: &str, width: u16, height: u16, command: &[&str]) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "tmux is missing in CI: .ci/run installs it"
            );
            eprintln!("SKIPPED: tmux is not installed (.ci/run installs it)");
            return None;
        }
        let t = Tmux {
            socket: format!("kprod-e2e-{name}-{}", std::process::id()),
        };
        let (w, h) = (width.to_string(), height.to_string());
        let mut args = vec!["new-session", "-d", "-x", &w, "-y", &h];
        args.extend(command);
        t.tmux(&args);
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "0", k]);
            // Text typed too fast can be lost; give each key its frame.
            sleep(Duration::from_millis(60));
        }
    }

    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "0", "-l", text]);
        sleep(Duration::from_millis(200));
    }

    /// Waits until the screen holds `needle` and two captures agree.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = String::new();
        loop {
            let screen = self.tmux(&["capture-pane", "-p", "-t", "0"]);
            if screen.contains(needle) && screen == last {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "'{needle}' never appeared; screen:\n{screen}"
            );
            last = screen;
            sleep(Duration::from_millis(150));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn send_and_see_ack(width: u16, height: u16) {
    let Some(t) = Tmux::start(&format!("{width}x{height}"), width, height, "") else {
        return;
    };
    t.wait_for("demo (6");
    t.text("order-17");
    t.keys(&["Tab"]);
    t.text("{\"amount\": 12}");
    let screen = t.wait_for("Value String · 14 B");
    assert!(screen.contains("order-17"), "{screen}");
    t.keys(&["C-s"]);
    let screen = t.wait_for("#0 acked");
    let ack = screen.lines().find(|l| l.contains("#0 acked")).unwrap();
    assert!(ack.contains("offset 0"), "{ack}");
    assert!(screen.contains("acked 1"), "{screen}");
    assert!(screen.contains("Partitions: 1 acked"), "{screen}");

    // Help from the keymap, then quit: Ctrl-C flushes and leaves.
    t.keys(&["F1"]);
    t.wait_for("Keys (");
    t.keys(&["Escape", "C-c"]);
    let screen = t.wait_for("kprod exited with 0");
    assert!(
        !screen.contains("Event log"),
        "the alternate screen is gone:\n{screen}"
    );
}

#[test]
fn a_record_sent_with_ctrl_s_is_acked_on_screen_at_120x40() {
    send_and_see_ack(120, 40);
}

#[test]
fn a_record_sent_with_ctrl_s_is_acked_on_screen_at_80x24() {
    send_and_see_ack(80, 24);
}

#[test]
fn a_bad_setting_on_the_command_line_is_refused_before_the_screen_opens() {
    let out = Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args(["-X", "linger.ms=-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("linger.ms: '-1' is not valid: must be between 0 and 900000"),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args(["-X", "interceptor.classes=com.example.Audit"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("interceptor.classes cannot be honoured"),
        "{err}"
    );
}

#[test]
fn an_unreachable_broker_is_reported_and_the_screen_stays_live() {
    // Port 1 on loopback: nothing listens there.
    let Some(t) = Tmux::start("unreachable", 100, 30, "-b 127.0.0.1:1") else {
        return;
    };
    let screen = t.wait_for("cannot read the cluster's topics");
    assert!(screen.contains("brokers 127.0.0.1:1"), "{screen}");
    // Keys still work while the broker is away.
    t.keys(&["F1"]);
    t.wait_for("Keys (");
    t.keys(&["Escape"]);
    t.text("k");
    t.keys(&["C-s"]);
    t.wait_for("#0 queued");
    // The record is in flight; one Ctrl-C waits for it, the second quits now.
    t.keys(&["C-c"]);
    t.wait_for("QUITTING: waiting for 1 in flight");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

#[test]
fn a_stats_path_that_cannot_be_written_is_refused_before_the_screen_opens() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/stats.json");
    for (path, why) in [
        (missing.as_path(), "No such file or directory"),
        (dir.path(), "is a directory"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kprod"))
            .arg("--stats")
            .arg(path)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&*path.to_string_lossy()),
            "names the path: {stderr}"
        );
        assert!(stderr.contains(why), "{stderr}");
    }
}

#[test]
fn sigterm_closes_the_console_restores_the_terminal_and_tells_the_fate_of_the_records() {
    let Some(t) = Tmux::start("sigterm", 100, 30, "") else {
        return;
    };
    t.wait_for("demo (6");
    t.keys(&["C-s"]);
    t.wait_for("#0 acked");
    let shell = t.tmux(&["display", "-p", "#{pane_pid}"]);
    let kprod = Command::new("pgrep")
        .args(["-P", shell.trim()])
        .output()
        .unwrap();
    let kprod = String::from_utf8_lossy(&kprod.stdout);
    let kprod = kprod
        .lines()
        .next()
        .expect("kprod runs under the pane's shell");
    assert!(Command::new("kill")
        .args(["-TERM", kprod])
        .status()
        .unwrap()
        .success());
    let screen = t.wait_for("kprod exited with 143");
    assert!(
        screen.contains("closed by signal 15: sent 1, acked 1, failed 0"),
        "{screen}"
    );
    assert!(
        !screen.contains("Event log"),
        "the alternate screen is gone:\n{screen}"
    );
}

/// A paste arrives as one bracketed-paste event: 100 KB land in the value
/// whole (its size in the pane's title says so), and go out as one record.
#[test]
fn a_100_kb_paste_arrives_whole_and_is_sent_as_one_record() {
    let Some(t) = Tmux::start("paste", 120, 40, "") else {
        return;
    };
    t.wait_for("demo (6");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paste.txt");
    let mut text = "x".repeat(100 * 1024 - 1);
    text.push('Z');
    std::fs::write(&file, &text).unwrap();
    // Tab moves from the key to the value; -p pastes as a terminal does
    // when the application asked for bracketed paste.
    t.keys(&["Tab"]);
    t.tmux(&["load-buffer", &file.to_string_lossy()]);
    t.tmux(&["paste-buffer", "-p", "-t", "0"]);
    t.wait_for("Value String · 102400 B");
    t.keys(&["C-s"]);
    let screen = t.wait_for("#0 acked");
    assert!(screen.contains("value 102400 B"), "{screen}");
    assert!(screen.contains("sent 1  acked 1"), "{screen}");
}

/// A panic in a task while the screen is up (the test build panics on
/// request) ends kprod: the terminal is restored, the message is readable
/// on the shell's screen, and the exit code is 101.
#[test]
fn a_panic_in_a_task_restores_the_terminal_and_exits_non_zero() {
    let Some(t) = Tmux::start_with_env(
        "panic",
        100,
        30,
        "KPROD_TEST_PANIC_IN_TASK=1 RUST_BACKTRACE=0",
        "",
    ) else {
        return;
    };
    let screen = t.wait_for("kprod exited with 101");
    assert!(
        screen.contains("a panic asked for by KPROD_TEST_PANIC_IN_TASK"),
        "{screen}"
    );
    assert!(
        screen.contains("kprod: stopped by an internal error"),
        "{screen}"
    );
    assert!(
        !screen.contains("Event log"),
        "the alternate screen is gone:\n{screen}"
    );
}

/// --theme light paints its own background under everything, the help
/// popup included; NO_COLOR leaves every colour to the terminal.
#[test]
fn themes_paint_their_background_and_no_color_turns_colours_off() {
    let Some(t) = Tmux::start("light", 80, 24, "--theme light") else {
        return;
    };
    t.wait_for("demo (6");
    t.keys(&["F1"]);
    t.wait_for("Keys (");
    let coloured = t.tmux(&["capture-pane", "-p", "-e", "-t", "0"]);
    // The light theme's background, #fdfdfd, as a truecolour escape.
    assert!(coloured.contains("48;2;253;253;253"), "{coloured}");
    let Some(t) = Tmux::start_with_env("nocolor", 80, 24, "NO_COLOR=1", "--theme light") else {
        return;
    };
    t.wait_for("demo (6");
    let plain = t.tmux(&["capture-pane", "-p", "-e", "-t", "0"]);
    for colour in ["38;2;", "48;2;", "38;5;", "48;5;"] {
        assert!(!plain.contains(colour), "{colour} under NO_COLOR:\n{plain}");
    }
}

/// Ctrl-Z in an interactive shell stops kprod with the terminal given back
/// (the shell can print its job line), and `fg` brings the screen back whole,
/// still working.
#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_restores_the_screen() {
    if Command::new("bash").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "bash is missing in CI");
        eprintln!("SKIPPED: bash is not installed");
        return;
    }
    // A shell with job control, as a user's is.
    let shell = ["env", "PS1=$ ", "bash", "--norc", "--noprofile", "-i"];
    let Some(t) = Tmux::start_command("suspend", 100, 30, &shell) else {
        return;
    };
    t.wait_for("$");
    t.text(env!("CARGO_BIN_EXE_kprod"));
    t.keys(&["Enter"]);
    t.wait_for("demo (6");
    t.keys(&["C-z"]);
    let shell = t.wait_for("Stopped");
    assert!(
        !shell.contains("Event log"),
        "the screen is the shell's:\n{shell}"
    );
    t.text("fg");
    t.keys(&["Enter"]);
    t.wait_for("Event log");
    t.keys(&["C-s"]);
    let screen = t.wait_for("#0 acked");
    assert!(screen.contains("demo (6"), "{screen}");
}

/// The console on the secured broker (scripts/kafka.sh start-secure) with a
/// Java client.properties as it stands: a record typed and sent with
/// Ctrl-S is acked and read back through the same secured listener, and
/// the screen shows the file's secrets masked, never their values.
fn on_the_secured_broker(kind: &str, listener: &str, width: u16, height: u16) {
    let Some(s) = common::kafka::Secure::shared(kind) else {
        return;
    };
    let topic = format!("tui-{kind}");
    let args = format!(
        "-b {} --producer.config {} -t {topic}",
        s.get(listener),
        s.properties(kind).display()
    );
    let data = tempfile::tempdir().unwrap();
    let env = format!("XDG_DATA_HOME={}", data.path().display());
    let Some(t) = Tmux::start_with_env(&format!("secure-{kind}"), width, height, &env, &args)
    else {
        return;
    };
    t.wait_for(&format!("{topic} "));
    t.text("secured-key");
    t.keys(&["Tab"]);
    t.text("secured-value");
    t.keys(&["C-s"]);
    t.wait_for("#0 acked");
    let screen = t.wait_for("read back 1/1");
    assert!(screen.contains("missing 0"), "{screen}");
    // The row of the file's secret: sasl.jaas.config for a SASL login, the
    // keystore's password for a client certificate.
    let row = match kind {
        "ssl" => "ssl.keystore.password",
        _ => "sasl.jaas.config",
    };
    // The settings pane (after the headers, the partition and the
    // timestamp), scrolled down to the row.
    t.keys(&["Tab", "Tab", "Tab", "Tab"]);
    // The table's row, not a description that names the setting.
    let cell = format!("{row}   ");
    let mut screen = screen;
    for _ in 0..40 {
        if screen.lines().any(|l| l.contains(&cell)) {
            break;
        }
        t.keys(&["Down"]);
        screen = t.tmux(&["capture-pane", "-p", "-t", "0"]);
    }
    let masked = screen
        .lines()
        .find(|l| l.contains(&cell))
        .unwrap_or_else(|| panic!("no {row} row:\n{screen}"));
    assert!(masked.contains("********"), "{masked}");
    for secret in [s.get("PASSWORD"), s.get("STORE_PASSWORD")] {
        assert!(!screen.contains(secret), "a secret on screen:\n{screen}");
    }
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
    // History keeps the record, and nothing of the login.
    let history = data.path().join("kprod/history");
    let mut kept = String::new();
    for f in std::fs::read_dir(&history).unwrap() {
        kept.push_str(&std::fs::read_to_string(f.unwrap().path()).unwrap());
    }
    assert!(kept.contains("secured-value"), "{kept}");
    for secret in [s.get("PASSWORD"), s.get("STORE_PASSWORD")] {
        assert!(!kept.contains(secret), "a secret in history:\n{kept}");
    }
}

/// The example a teacher loads: begin, one record to payment and order,
/// commit; the log groups the records under the transaction and the
/// verifier's read-back under both isolation levels counts them.
fn a_transaction_across_two_topics(width: u16, height: u16) {
    let args = format!(
        "--producer.config {}/assets/payments.properties -t payment,order",
        env!("CARGO_MANIFEST_DIR")
    );
    let Some(t) = Tmux::start(&format!("txn-{width}x{height}"), width, height, &args) else {
        return;
    };
    t.wait_for("txn none");
    t.wait_for("topic payment + order");
    t.keys(&["Tab"]);
    t.text("paid-17");
    t.keys(&["F5"]);
    t.wait_for("OPEN T1");
    t.keys(&["C-s"]);
    let screen = t.wait_for("T1 #1 acked");
    assert!(screen.contains("T1 #0 acked"), "{screen}");
    assert!(screen.contains("OPEN T1 2 rec"), "{screen}");
    t.keys(&["F6"]);
    let screen = t.wait_for("read_committed 2/2");
    assert!(screen.contains("T1 committed: 2 records"), "{screen}");
    assert!(screen.contains("last T1 committed"), "{screen}");
    // A second producer with the same id fences this one (on the embedded
    // cluster by the injected error); Ctrl-B re-initialises it.
    t.keys(&["F5"]);
    t.wait_for("OPEN T2");
    t.keys(&["C-s"]);
    t.wait_for("T2 #3 acked");
    t.keys(&["F8", "F6"]);
    t.wait_for("FENCED (Ctrl-B");
    t.keys(&["C-b"]);
    t.wait_for("producer rebuilt");
    t.wait_for("txn none");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

#[test]
fn the_console_produces_and_verifies_through_sasl_ssl_with_scram_sha_512() {
    on_the_secured_broker("sasl-ssl-scram", "SASL_SSL", 120, 40);
}

#[test]
fn the_console_produces_and_verifies_through_ssl_with_a_client_certificate() {
    on_the_secured_broker("ssl", "SSL", 120, 40);
}

#[test]
fn the_console_produces_and_verifies_through_sasl_ssl_with_oauthbearer() {
    on_the_secured_broker("sasl-ssl-oauth", "SASL_SSL", 120, 40);
}

#[test]
fn the_console_produces_and_verifies_through_sasl_plaintext_with_plain_at_80x24() {
    on_the_secured_broker("sasl-plaintext-plain", "SASL_PLAINTEXT", 80, 24);
}

/// F3 in the console: a profile made in the editor (its password as a
/// reference to the environment), saved to profiles.toml without the
/// secret, then picked: the connection is rebuilt on the secured broker's
/// SASL_PLAINTEXT listener, and a record sent there is acked and read back.
#[test]
fn a_profile_made_in_the_console_is_saved_without_its_secret_switched_to_and_changed() {
    let Some(s) = common::kafka::Secure::shared("profile picker") else {
        return;
    };
    let config = tempfile::tempdir().unwrap();
    let env = format!(
        "XDG_CONFIG_HOME={} KPROD_TEST_PASSWORD={}",
        config.path().display(),
        s.get("PASSWORD")
    );
    let Some(t) = Tmux::start_with_env("profiles", 120, 40, &env, "") else {
        return;
    };
    t.wait_for("demo (6");
    t.keys(&["F3"]);
    t.wait_for("no profiles yet");
    t.keys(&["n"]);
    t.wait_for("new profile");
    // The form: name, bootstrap, topic, security.protocol = PLAINTEXT.
    t.keys(&["End"]);
    t.text("lab");
    t.keys(&["Down", "End"]);
    t.text(s.get("SASL_PLAINTEXT"));
    t.keys(&["Down", "End"]);
    t.text("tui-profiled");
    t.keys(&["Down", "End"]);
    for _ in 0.."PLAINTEXT".len() {
        t.keys(&["BSpace"]);
    }
    t.text("SASL_PLAINTEXT");
    for line in [
        "sasl.mechanism = PLAIN".to_string(),
        format!("sasl.username = {}", s.get("USER")),
        // The secret typed as it is: refused, and never shown back.
        format!("sasl.password = {}", s.get("PASSWORD")),
    ] {
        t.keys(&["Enter"]);
        t.text(&line);
    }
    t.keys(&["C-s"]);
    let screen = t.wait_for("is a secret and is not kept in the file");
    assert!(screen.contains("line 7"), "{screen}");
    // Written as a reference instead.
    for _ in 0..s.get("PASSWORD").len() {
        t.keys(&["BSpace"]);
    }
    t.text("env:KPROD_TEST_PASSWORD");
    t.keys(&["C-s"]);
    t.wait_for("profile 'lab' saved");
    let file = config.path().join("kprod/profiles.toml");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains("KPROD_TEST_PASSWORD") && saved.contains("SASL_PLAINTEXT"),
        "{saved}"
    );
    assert!(
        !saved.contains(s.get("PASSWORD")),
        "a secret in the file:\n{saved}"
    );

    // Picked: the connection is rebuilt with it.
    t.wait_for("Connection profiles");
    t.keys(&["Enter"]);
    t.wait_for("Topic tui-profiled ");
    t.wait_for(&format!("brokers {}", s.get("SASL_PLAINTEXT")));
    t.text("after-switch");
    t.keys(&["C-s"]);
    t.wait_for("#0 acked");
    let screen = t.wait_for("read back 1/1");
    assert!(!screen.contains(s.get("PASSWORD")), "{screen}");

    // Changed: its topic, in the same editor; the reference stays.
    t.keys(&["F3"]);
    t.wait_for("Connection profiles");
    t.keys(&["e"]);
    let screen = t.wait_for("profile 'lab'");
    assert!(
        screen.contains("sasl.password = env:KPROD_TEST_PASSWORD"),
        "{screen}"
    );
    t.keys(&["Down", "Down", "End"]);
    for _ in 0.."tui-profiled".len() {
        t.keys(&["BSpace"]);
    }
    t.text("tui-edited");
    t.keys(&["C-s"]);
    t.wait_for("profile 'lab' saved");
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        saved.contains("tui-edited") && saved.contains("KPROD_TEST_PASSWORD"),
        "{saved}"
    );
    assert!(!saved.contains(s.get("PASSWORD")), "{saved}");
    t.keys(&["Escape", "C-c"]);
    t.wait_for("kprod exited with 0");
}

#[test]
fn a_transaction_across_two_topics_is_committed_and_verified_at_120x40() {
    a_transaction_across_two_topics(120, 40);
}

#[test]
fn a_transaction_across_two_topics_is_committed_and_verified_at_80x24() {
    a_transaction_across_two_topics(80, 24);
}

/// On a real broker a commit writes a control record: the partition lab
/// lists the offset it took and says why offsets skip there.
#[test]
fn a_commit_on_a_real_broker_shows_its_marker_offset_in_the_partition_lab() {
    let test = "a_commit_on_a_real_broker_shows_its_marker_offset_in_the_partition_lab";
    let Some(kafka) = common::kafka::Cluster::shared(test) else {
        return;
    };
    let args = format!(
        "-b {} --producer.config {}/assets/payments.properties -X transactional.id=tui-markers -t tui-markers",
        kafka.bootstrap,
        env!("CARGO_MANIFEST_DIR")
    );
    let Some(t) = Tmux::start("txn-markers", 120, 40, &args) else {
        return;
    };
    t.wait_for("txn none");
    t.wait_for("Topic tui-markers ");
    t.keys(&["Tab"]);
    t.text("paid-1");
    t.keys(&["F5"]);
    t.wait_for("OPEN T1");
    t.keys(&["C-s"]);
    t.wait_for("T1 #0 acked");
    t.keys(&["F6"]);
    t.wait_for("read_committed 1/1");
    // The record took offset 0 of its partition, and its commit marker 1.
    let screen = t.wait_for("markers 1: p");
    let line = screen
        .lines()
        .find(|l| l.contains("markers 1: p"))
        .unwrap_or_default();
    assert!(line.contains("@1"), "{screen}");
    assert!(screen.contains("offsets skip there"), "{screen}");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

/// The embedded cluster's first broker and the embedded registry's URL, as
/// the screen shows them.
fn embedded_addresses(screen: &str) -> (String, String) {
    (
        word_after(screen, "embedded 127.0.0.1:"),
        word_after(screen, "schema registry at "),
    )
}

/// The word the screen shows after `marker`.
fn word_after(screen: &str, marker: &str) -> String {
    let at = screen
        .find(marker)
        .unwrap_or_else(|| panic!("no '{marker}' on screen:\n{screen}"))
        + marker.len();
    screen[at..]
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap()
        .to_string()
}

/// A schema from the command line: the composer names its subject and id
/// and marks the framing in the wire bytes, refuses a record the schema
/// does not take before anything is sent, and fills in a random valid
/// record with Ctrl-O; `{schema}` bursts draw one a record. confluent-kafka's
/// deserializer reads every record back through kprod's embedded registry.
#[test]
fn the_composer_writes_avro_that_confluent_kafka_reads_through_the_embedded_registry() {
    let test = "the_composer_writes_avro_that_confluent_kafka_reads_through_the_embedded_registry";
    let Some(python) = common::confluent::confluent_python(test) else {
        return;
    };
    let args = format!(
        "-t tui-avro --value-serializer avro --value-schema {}/tests/vectors/schemas/order.avsc",
        env!("CARGO_MANIFEST_DIR")
    );
    let Some(t) = Tmux::start("avro", 120, 40, &args) else {
        return;
    };
    t.wait_for("subject tui-avro-value, schema id 1");
    let screen = t.wait_for("Value avro · tui-avro-value id 1");
    let (port, registry) = embedded_addresses(&screen);
    let bootstrap = format!("127.0.0.1:{port}");
    t.keys(&["Tab"]);
    t.text("{\"id\": 1}");
    t.wait_for("$.item: required field missing");
    t.keys(&["C-s"]);
    t.wait_for("not sent: value as avro: $.item: required field missing");
    t.keys(&["C-u", "C-o"]);
    let screen = t.wait_for("magic 00 │ id 00 00 00 01 │");
    // The record drawn, as the composer lays it out.
    let field = |name: &str| {
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("\"{name}\": ")))
            .unwrap_or_else(|| panic!("no {name} drawn:\n{screen}"));
        let value = line.split(&format!("\"{name}\": ")).nth(1).unwrap();
        let value = value
            .split('│')
            .next()
            .unwrap()
            .trim()
            .trim_end_matches(',');
        serde_json::from_str::<serde_json::Value>(value).unwrap()
    };
    let drawn = serde_json::json!({"id": field("id"), "item": field("item")});
    t.keys(&["C-s"]);
    t.wait_for("#0 acked");
    t.keys(&["C-u"]);
    t.text("{schema}");
    t.keys(&["C-r"]);
    t.text("20");
    t.keys(&["Enter"]);
    t.wait_for("read back 21/21");

    let values: Vec<Vec<u8>> = common::readback::read_all(&bootstrap, "tui-avro")
        .into_iter()
        .filter_map(|r| r.value)
        .collect();
    assert_eq!(values.len(), 21);
    let decoded =
        common::confluent::confluent_decoded(&python, &registry, "avro", "tui-avro", &values);
    assert_eq!(decoded.len(), 21);
    assert!(decoded.contains(&drawn), "{drawn} not in {decoded:?}");
    for d in &decoded {
        assert!(d["id"].is_i64() && d["item"].is_string(), "{d}");
    }
    let distinct: std::collections::HashSet<String> =
        decoded.iter().map(|d| d.to_string()).collect();
    assert!(distinct.len() > 10, "bursts draw anew: {decoded:?}");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

/// Ctrl-G gives the value a schema in the console: a Protobuf message
/// other than the file's first, framed with its message indexes, at the
/// smallest screen; Ctrl-E goes back to the plain serializers.
#[test]
fn ctrl_g_gives_the_value_a_protobuf_schema_at_80x24() {
    let Some(t) = Tmux::start("protobuf", 80, 24, "") else {
        return;
    };
    t.wait_for("demo (6");
    t.keys(&["Tab", "C-g"]);
    t.wait_for(" Value schema ");
    t.text(&format!(
        "protobuf {}/tests/vectors/schemas/orders.proto Shipment",
        env!("CARGO_MANIFEST_DIR")
    ));
    t.keys(&["Enter"]);
    t.wait_for("Value protobuf · demo-value id 1");
    t.text("{\"parcels\": [{\"label\": \"box\"}]}");
    // Shipment is the file's second message: indexes [1], as 02 02; too
    // narrow for the labels, the parts stand apart by separators.
    t.wait_for("└ 00 │ 00000001 │ 0202 │ 12 05 0a 03");
    t.keys(&["C-s"]);
    t.wait_for("#0 acked");
    t.keys(&["C-e"]);
    t.wait_for("Value String · ");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

/// A timestamp typed in the composer, ISO-8601 or epoch ms, is the
/// record's CreateTime: the ack line shows it with its date. One that does
/// not parse is refused with the reason, and nothing is sent.
#[test]
fn a_timestamp_typed_in_the_composer_is_the_records_create_time() {
    let test = "a_timestamp_typed_in_the_composer_is_the_records_create_time";
    let Some(kafka) = common::kafka::Cluster::shared(test) else {
        return;
    };
    let args = format!("-b {} -t tui-timestamps", kafka.bootstrap);
    let Some(t) = Tmux::start("timestamps", 120, 40, &args) else {
        return;
    };
    t.wait_for("  Time  now");
    t.keys(&["Tab", "Tab", "Tab", "Tab"]);
    t.text("yesterday");
    t.wait_for("timestamp 'yesterday' is not a time");
    t.keys(&["C-s"]);
    t.wait_for("not sent: timestamp 'yesterday' is not a time");
    t.keys(&["C-u"]);
    t.text("2024-03-01T12:30:00.250Z");
    t.keys(&["C-s"]);
    let screen = t.wait_for("#0 acked");
    let ack = screen.lines().find(|l| l.contains("#0 acked")).unwrap();
    assert!(ack.contains("created 2024-03-0"), "{ack}");
    t.keys(&["C-u"]);
    t.text("1700000000123");
    t.keys(&["C-s"]);
    t.wait_for("#1 acked");
    t.wait_for("read back 2/2");
    let mut stamps: Vec<i64> = common::readback::read_all(&kafka.bootstrap, "tui-timestamps")
        .iter()
        .filter_map(|r| r.timestamp)
        .collect();
    stamps.sort();
    assert_eq!(stamps, [1700000000123, 1709296200250]);
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

/// A topic whose message.timestamp.type is LogAppendTime: the topic view
/// (Ctrl-T) shows the setting, and a record sent with a time typed in the
/// composer is acked with the broker's append time instead.
#[test]
fn log_append_time_shows_in_the_topic_view_and_replaces_the_typed_time() {
    let test = "log_append_time_shows_in_the_topic_view_and_replaces_the_typed_time";
    let Some(kafka) = common::kafka::Cluster::shared(test) else {
        return;
    };
    let topic = "tui-append-time";
    let out = Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", common::kafka::Cluster::libs().display()))
        .args([
            "org.apache.kafka.tools.TopicCommand",
            "--bootstrap-server",
            &kafka.bootstrap,
            "--create",
            "--if-not-exists",
            "--topic",
            topic,
            "--partitions",
            "1",
            "--config",
            "message.timestamp.type=LogAppendTime",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = format!("-b {} -t {topic}", kafka.bootstrap);
    let Some(t) = Tmux::start("append-time", 120, 40, &args) else {
        return;
    };
    t.wait_for("tui-append-time (1)");
    t.keys(&["C-t"]);
    t.wait_for("message.timestamp.type LogAppendTime");
    t.keys(&["Escape", "Tab", "Tab", "Tab", "Tab"]);
    t.text("1700000000123");
    t.keys(&["C-s"]);
    let screen = t.wait_for("#0 acked");
    let ack = screen.lines().find(|l| l.contains("#0 acked")).unwrap();
    assert!(ack.contains(" appended "), "{ack}");
    assert!(
        !ack.contains("2023-"),
        "the broker's time, not the typed one: {ack}"
    );
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

/// F9 saves the composed record as a template file, which outlives kprod;
/// F10 lists it beside the shipped examples with a preview, and Enter
/// loads it into the composer to send. A file with a mistake is refused
/// with its line and the reason.
#[test]
fn a_template_saved_with_f9_is_loaded_after_a_restart_and_sent() {
    let config = tempfile::tempdir().unwrap();
    let env = format!("XDG_CONFIG_HOME={}", config.path().display());
    {
        let Some(t) = Tmux::start_with_env("template-save", 120, 40, &env, "") else {
            return;
        };
        t.wait_for("demo (6");
        t.text("order-{seq}");
        t.keys(&["Tab"]);
        t.text("{\"qty\": 3}");
        t.keys(&["Tab"]);
        t.text("source: qa");
        t.keys(&["Tab", "Tab"]);
        t.text("1700000000123");
        t.keys(&["F9"]);
        t.wait_for("Save the record as a template");
        t.text("qa order");
        t.keys(&["Enter"]);
        t.wait_for("' ' cannot be in a template's name");
        t.keys(&["C-u"]);
        t.text("qa-order");
        t.keys(&["Enter"]);
        t.wait_for("template saved to");
        t.keys(&["C-c"]);
        t.wait_for("kprod exited with 0");
    }
    let dir = config.path().join("kprod/templates");
    let saved = std::fs::read_to_string(dir.join("qa-order.toml")).unwrap();
    assert!(saved.contains("text = \"order-{seq}\""), "{saved}");
    std::fs::write(
        dir.join("broken.toml"),
        "topic = \"x\"\npartition = \"two\"\n",
    )
    .unwrap();

    let Some(t) = Tmux::start_with_env("template-load", 120, 40, &env, "") else {
        return;
    };
    t.wait_for("demo (6");
    t.keys(&["F10"]);
    // Sorted by name: broken, the two shipped examples, qa-order.
    t.wait_for("example-order (shipped)");
    t.keys(&["Enter"]);
    t.wait_for("broken: line 2: ");
    t.keys(&["Down", "Down", "Down"]);
    t.wait_for("text = \"order-{seq}\"");
    t.keys(&["Enter"]);
    t.wait_for("template 'qa-order' loaded");
    let screen = t.wait_for("Headers 1");
    assert!(screen.contains("source: qa"), "{screen}");
    assert!(screen.contains("1700000000123"), "{screen}");
    t.keys(&["C-s"]);
    let screen = t.wait_for("#0 acked");
    let ack = screen.lines().find(|l| l.contains("#0 acked")).unwrap();
    assert!(ack.contains("2023-11-1"), "the template's timestamp: {ack}");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

/// Ctrl-W writes the run's events as `kprod produce` names them, and the
/// verifier's summary last, to a JSON Lines file whose path the screen
/// shows.
#[test]
fn ctrl_w_exports_the_run_as_json_lines() {
    let data = tempfile::tempdir().unwrap();
    let env = format!("XDG_DATA_HOME={}", data.path().display());
    let Some(t) = Tmux::start_with_env("export", 120, 40, &env, "") else {
        return;
    };
    t.wait_for("demo (6");
    t.text("k");
    t.keys(&["C-s"]);
    t.wait_for("#0 acked");
    t.keys(&["C-r"]);
    t.text("20");
    t.keys(&["Enter"]);
    t.wait_for("read back 21/21");
    t.keys(&["C-w"]);
    t.wait_for("run exported: ");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
    let dir = data.path().join("kprod/exports");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .expect("an export")
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let named = |n: &str| events.iter().filter(|e| e["name"] == n).count();
    assert_eq!(named("producer_send_success"), 21, "{text}");
    assert_eq!(named("producer_send_queued"), 21, "{text}");
    assert_eq!(named("connected"), 1, "{text}");
    let last = events.last().unwrap();
    assert_eq!(last["name"], "verification_summary", "{last}");
    assert_eq!(last["read_back"], 21, "{last}");
}

/// A key, value and headers as a consumer reads them, less the verifier's
/// id, with the partition: what "the same record" means.
type Sent = (
    i32,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
);

/// F4 in two runs. In the first, a file with an error is refused with its
/// line and reason, and two good files (kcat -J objects with bytes that
/// are not text; kafka-console-producer lines) are opened, stepped
/// through and sent, all of one and a selection of the other. After a
/// restart history holds them all; it is searched, and one record and
/// then every record are sent again: a consumer reads them back with the
/// same bytes, to the same partitions. One is loaded into the composer to
/// edit.
#[test]
fn files_of_records_are_sent_from_the_console_and_history_resends_them_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let env = format!("XDG_DATA_HOME={}", dir.display());
    std::fs::write(
        dir.join("bad.jsonl"),
        "{\"payload\":\"ok\"}\n{\"payload\":\"x\",\"partition\":\"two\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("orders.jsonl"),
        concat!(
            r#"{"key":"order-1","payload":"AAH/","payload_encoding":"base64","partition":2,"headers":[{"key":"bin","value":"/wA=","value_encoding":"base64"},{"key":"none","value":null}]}"#,
            "\n",
            r#"{"key":"order-2","payload":"café ✓","headers":["trace","abc"]}"#,
            "\n",
            r#"{"key":null,"payload":"keyless"}"#,
            "\n",
        ),
    )
    .unwrap();
    std::fs::write(dir.join("lines.txt"), "k1:first\nk2:second\nk3:third\n").unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    {
        let Some(t) = Tmux::start_with_env("records-file", 120, 40, &env, "") else {
            return;
        };
        t.wait_for("demo (6");
        t.keys(&["F4"]);
        t.wait_for("Nothing kept yet");
        t.keys(&["C-o"]);
        t.wait_for("Open a file of records");
        t.text(&path("bad.jsonl"));
        t.keys(&["Enter"]);
        let screen = t.wait_for("is not a whole");
        assert!(
            screen.contains("bad.jsonl line 2: partition: \"two\""),
            "{screen}"
        );
        t.keys(&["C-u"]);
        t.text(&path("orders.jsonl"));
        t.keys(&["Enter"]);
        // The first record as it will be sent: its bytes in hex.
        let screen = t.wait_for("3 of 3 records");
        assert!(screen.contains("3 B, not text"), "{screen}");
        assert!(screen.contains("00 01 ff"), "{screen}");
        assert!(screen.contains("bin: (bytes) ff 00"), "{screen}");
        t.keys(&["C-a"]);
        t.wait_for("3 record(s) from");
        t.keys(&["C-o"]);
        t.text(&format!(
            "{} parse.key=true key.separator=:",
            path("lines.txt")
        ));
        t.keys(&["Enter"]);
        t.wait_for("3 records from");
        // k2 and k3 marked, then sent together.
        t.keys(&["Down", "Tab", "Tab"]);
        t.wait_for("2 marked");
        t.keys(&["Enter"]);
        t.wait_for("2 record(s) from");
        t.keys(&["Escape"]);
        t.wait_for("acked 5");
        t.keys(&["C-c"]);
        t.wait_for("kprod exited with 0");
    }
    let (kept, unreadable) = kprod::history::read(&dir.join("kprod/history")).unwrap();
    assert_eq!((kept.len(), unreadable), (5, 0), "{kept:?}");
    let first = kept
        .iter()
        .find(|e| e.record.line.key.as_deref() == Some(b"order-1"))
        .unwrap();
    assert_eq!(first.record.line.value.as_deref(), Some(&[0u8, 1, 255][..]));
    assert_eq!(first.record.partition, Some(2));
    let as_sent = |e: &kprod::history::Entry| -> Sent {
        (
            e.record.partition.unwrap(),
            e.record.line.key.clone(),
            e.record.line.value.clone(),
            e.record
                .line
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
        )
    };

    let Some(t) = Tmux::start_with_env("records-history", 120, 40, &env, "") else {
        return;
    };
    let screen = t.wait_for("demo (6");
    let bootstrap = format!("127.0.0.1:{}", word_after(&screen, "embedded 127.0.0.1:"));
    t.keys(&["F4"]);
    t.wait_for("History: 5 of 5 records");
    t.text("key:k");
    t.wait_for("History: 2 of 5 records");
    // Newest first: k3 is highlighted.
    t.keys(&["Enter"]);
    t.wait_for("1 record(s) from history sent again");
    t.keys(&["C-u"]);
    t.wait_for("History: 5 of 5 records");
    t.keys(&["C-a"]);
    t.wait_for("5 record(s) from history sent again");
    t.keys(&["Escape"]);
    t.wait_for("acked 6");
    let read: Vec<Sent> = common::readback::read_all(&bootstrap, "demo")
        .into_iter()
        .map(|r| {
            let headers = r
                .headers
                .into_iter()
                .filter(|(k, _)| k != "kprod.id")
                .collect();
            (r.partition, r.key, r.value, headers)
        })
        .collect();
    let mut expected: Vec<Sent> = kept.iter().map(as_sent).collect();
    expected.push(as_sent(
        kept.iter()
            .find(|e| e.record.line.key.as_deref() == Some(b"k3"))
            .unwrap(),
    ));
    let (mut read, mut expected) = (read, expected);
    read.sort();
    expected.sort();
    assert_eq!(read, expected);

    // Loaded into the composer: the text, to edit and send.
    t.keys(&["F4"]);
    t.wait_for("History: 11 of 11 records");
    t.text("café");
    t.wait_for("of 11 records");
    t.keys(&["C-e"]);
    let screen = t.wait_for("record loaded into the composer");
    assert!(screen.contains("café ✓"), "{screen}");
    assert!(screen.contains("trace: abc"), "{screen}");
    t.keys(&["C-s"]);
    t.wait_for("acked 7");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}

/// A disk that fills up (history.jsonl on /dev/full) stops history with a
/// notice on screen; the record is acked all the same and the run goes on.
#[test]
fn a_full_disk_stops_history_with_a_notice_and_the_run_goes_on() {
    let data = tempfile::tempdir().unwrap();
    let history = data.path().join("kprod/history");
    std::fs::create_dir_all(&history).unwrap();
    std::os::unix::fs::symlink("/dev/full", history.join("history.jsonl")).unwrap();
    let env = format!("XDG_DATA_HOME={}", data.path().display());
    let Some(t) = Tmux::start_with_env("history-full", 120, 40, &env, "") else {
        return;
    };
    t.wait_for("demo (6");
    t.text("k");
    t.keys(&["C-s"]);
    t.wait_for("#0 acked");
    let screen = t.wait_for("history stopped: ");
    assert!(screen.contains("(No space"), "{screen}");
    t.keys(&["C-s"]);
    t.wait_for("#1 acked");
    t.keys(&["C-c"]);
    t.wait_for("kprod exited with 0");
}
