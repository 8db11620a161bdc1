//! Connection profiles through the command line: `--profile NAME` from
//! profiles.toml in kprod's config directory (XDG_CONFIG_HOME here), the
//! order settings apply in, secrets from the environment, and
//! `kprod profiles`.

use std::process::{Command, Stdio};

mod common;

/// Runs kprod with `args` and XDG_CONFIG_HOME at `config`; exit code and
/// everything it printed.
fn kprod(config: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kprod"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn profiles(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("kprod")).unwrap();
    std::fs::write(dir.path().join("kprod/profiles.toml"), text).unwrap();
    dir
}

fn startup(out: &str) -> serde_json::Value {
    out.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["name"] == "startup_complete")
        .unwrap_or_else(|| panic!("no startup_complete: {out}"))
}

#[test]
fn a_profile_gives_topic_and_settings_and_the_command_line_goes_over_it() {
    let dir = profiles(
        "[lesson]\ntopic = \"lesson-topic\"\n[lesson.settings]\n\"linger.ms\" = \"7\"\n\"batch.size\" = \"1000\"\n",
    );
    let (code, out) = kprod(
        dir.path(),
        &[],
        &[
            "produce",
            "--profile",
            "lesson",
            "-X",
            "linger.ms=9",
            "--count",
            "3",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let s = startup(&out);
    assert_eq!(s["topic"], "lesson-topic", "{out}");
    assert_eq!(
        s["settings"]["linger.ms"], "9",
        "-X goes over the profile: {out}"
    );
    assert_eq!(s["settings"]["batch.size"], "1000", "{out}");
    // -t goes over the profile's topic.
    let (_, out) = kprod(
        dir.path(),
        &[],
        &[
            "produce",
            "--profile",
            "lesson",
            "-t",
            "other",
            "--count",
            "1",
        ],
    );
    assert_eq!(startup(&out)["topic"], "other", "{out}");
}

#[test]
fn a_bad_profile_or_name_is_refused_before_anything_starts() {
    let dir = profiles("[leaky.settings]\n\"sasl.password\" = \"hunter2\"\n");
    let (code, out) = kprod(
        dir.path(),
        &[],
        &["produce", "--profile", "leaky", "--count", "1"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("holds sasl.password in plain text"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
    let dir = profiles("[a]\n[b]\n");
    let (code, out) = kprod(
        dir.path(),
        &[],
        &["produce", "--profile", "c", "--count", "1"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no profile 'c'") && out.contains("has a, b"),
        "{out}"
    );
    let dir =
        profiles("[env]\n[env.secrets]\n\"sasl.password\" = { env = \"KPROD_TEST_UNSET_VAR\" }\n");
    let (code, out) = kprod(
        dir.path(),
        &[],
        &["produce", "--profile", "env", "--count", "1"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("KPROD_TEST_UNSET_VAR, which is not set"),
        "{out}"
    );
}

/// On the secured broker: a profile that names the brokers, SCRAM over TLS
/// and a truststore, with the password in the environment. The records are
/// produced and verified, and the password is nowhere in the output, in
/// `kprod profiles` or in the config directory.
#[test]
fn a_profile_reaches_a_secured_cluster_with_its_password_from_the_environment() {
    let Some(s) = common::kafka::Secure::shared("profile on a secured cluster") else {
        return;
    };
    let dir = profiles(&format!(
        "[secured]\nbootstrap = \"{}\"\ntopic = \"profiled\"\n\n[secured.settings]\n\"security.protocol\" = \"SASL_SSL\"\n\"sasl.mechanism\" = \"SCRAM-SHA-512\"\n\"sasl.username\" = \"{}\"\n\"ssl.truststore.location\" = \"{}\"\n\"ssl.truststore.type\" = \"PKCS12\"\n\n[secured.secrets]\n\"sasl.password\" = {{ env = \"KPROD_TEST_PASSWORD\" }}\n\"ssl.truststore.password\" = {{ env = \"KPROD_TEST_STORE_PASSWORD\" }}\n",
        s.get("SASL_SSL"),
        s.get("USER"),
        s.get("TRUSTSTORE_P12"),
    ));
    let env = [
        ("KPROD_TEST_PASSWORD", s.get("PASSWORD")),
        ("KPROD_TEST_STORE_PASSWORD", s.get("STORE_PASSWORD")),
    ];
    let (code, out) = kprod(
        dir.path(),
        &env,
        &[
            "produce",
            "--profile",
            "secured",
            "--count",
            "20",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let summary = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["name"] == "verification_summary")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(summary["read_back"], 20, "{out}");
    // A second profile whose security comes from its properties file.
    let file = s.properties("sasl-plaintext-plain");
    let toml = std::fs::read_to_string(dir.path().join("kprod/profiles.toml")).unwrap()
        + &format!(
            "\n[from-file]\nbootstrap = \"{}\"\nproperties = \"{}\"\n",
            s.get("SASL_PLAINTEXT"),
            file.display()
        );
    std::fs::write(dir.path().join("kprod/profiles.toml"), toml).unwrap();
    let (code, listed) = kprod(dir.path(), &[], &["profiles"]);
    assert_eq!(code, 0, "{listed}");
    assert!(
        listed.contains("secured:") && listed.contains("$KPROD_TEST_PASSWORD"),
        "{listed}"
    );
    assert!(
        listed.contains(&format!(
            "from-file: {} SASL_PLAINTEXT",
            s.get("SASL_PLAINTEXT")
        )),
        "security.protocol from the profile's properties file: {listed}"
    );
    for secret in [s.get("PASSWORD"), s.get("STORE_PASSWORD")] {
        assert!(
            !out.contains(secret) && !listed.contains(secret),
            "{out}{listed}"
        );
        for entry in walk(dir.path()) {
            let text = std::fs::read(&entry).unwrap();
            assert!(
                !String::from_utf8_lossy(&text).contains(secret),
                "{} holds a secret",
                entry.display()
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
