//! Stores made by the tools a Java user has (keytool) and by openssl, read
//! by kprod's translation of client.properties as they stand.

use std::process::Command;

use kprod_engine::security::translate;

fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("-help").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is missing in CI: .ci/run installs it"
        );
        eprintln!("SKIPPED: {name} is not installed");
    }
    found
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate and its key, as openssl makes a test CA.
fn self_signed(subject: &str, key: &str, cert: &str) {
    run(Command::new("openssl").args([
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", subject, "-keyout",
        key, "-out", cert,
    ]));
}

#[test]
fn a_truststore_keytool_made_becomes_the_ca_it_trusts() {
    if !tool("openssl") || !tool("keytool") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let at = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    self_signed("/CN=kprod test ca", &at("ca.key"), &at("ca.pem"));
    // As Kafka's security guide makes one; keytool's default type is PKCS12.
    run(Command::new("keytool").args([
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        &at("ca.pem"),
        "-keystore",
        &at("truststore.jks"),
        "-storepass",
        "changeit",
    ]));
    let t = translate([
        ("ssl.truststore.location", at("truststore.jks").as_str()),
        ("ssl.truststore.password", "changeit"),
    ])
    .unwrap();
    let pem = &t
        .properties
        .iter()
        .find(|m| m.to == "ssl.ca.pem")
        .unwrap()
        .value;
    let ca = std::fs::read_to_string(at("ca.pem")).unwrap();
    assert_eq!(pem.trim(), ca.trim());

    // A real JKS store (the old format) is refused with the command that
    // converts it.
    run(Command::new("keytool").args([
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        &at("ca.pem"),
        "-keystore",
        &at("old.jks"),
        "-storepass",
        "changeit",
        "-storetype",
        "JKS",
    ]));
    let e = translate([("ssl.truststore.location", at("old.jks").as_str())])
        .unwrap_err()
        .to_string();
    assert!(e.contains("keytool -importkeystore"), "{e}");
}

#[test]
fn a_keystore_openssl_exported_goes_to_librdkafka_with_its_password() {
    if !tool("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let at = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    self_signed("/CN=client", &at("client.key"), &at("client.pem"));
    run(Command::new("openssl").args([
        "pkcs12",
        "-export",
        "-in",
        &at("client.pem"),
        "-inkey",
        &at("client.key"),
        "-out",
        &at("client.p12"),
        "-passout",
        "pass:secret",
    ]));
    let t = translate([
        ("ssl.keystore.location", at("client.p12").as_str()),
        ("ssl.keystore.password", "secret"),
        ("ssl.keystore.type", "PKCS12"),
    ])
    .unwrap();
    let to: Vec<&str> = t.properties.iter().map(|m| m.to).collect();
    assert_eq!(to, ["ssl.keystore.location", "ssl.keystore.password"]);
    let e = translate([
        ("ssl.keystore.location", at("client.p12").as_str()),
        ("ssl.keystore.password", "wrong"),
    ])
    .unwrap_err();
    assert!(e.to_string().contains("could not be opened"), "{e}");
}

/// A connection reads the stores once, when it is made: every client made
/// from it (the producer, the side clients) carries that one translation,
/// even after the file is gone; a store it could not read is kept as the
/// reason the producer is refused.
#[test]
fn a_connection_translates_the_java_settings_once_for_every_client() {
    use kprod_engine::connection::Connection;
    use kprod_engine::settings::Settings;
    if !tool("openssl") || !tool("keytool") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let at = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    self_signed("/CN=kprod test ca", &at("ca.key"), &at("ca.pem"));
    run(Command::new("keytool").args([
        "-importcert",
        "-noprompt",
        "-storetype",
        "PKCS12",
        "-alias",
        "ca",
        "-file",
        &at("ca.pem"),
        "-keystore",
        &at("truststore.p12"),
        "-storepass",
        "changeit",
    ]));
    let mut s = Settings::default();
    for (k, v) in [
        ("security.protocol", "SSL".to_string()),
        ("ssl.truststore.location", at("truststore.p12")),
        ("ssl.truststore.password", "changeit".to_string()),
    ] {
        s.set(k, &v).unwrap();
    }
    let c = Connection::new("b:1", &s);
    assert!(c.untranslated().is_none());
    std::fs::remove_file(at("truststore.p12")).unwrap();
    let ca = std::fs::read_to_string(at("ca.pem")).unwrap();
    for (client, cfg) in [
        ("producer", c.producer_config()),
        ("verifier", c.verifier_config()),
        ("metadata", c.to("proxy:2").metadata_config()),
    ] {
        let pem = cfg.get("ssl.ca.pem").unwrap_or_else(|| panic!("{client}"));
        assert_eq!(pem.trim(), ca.trim(), "{client}");
        assert_eq!(cfg.get("ssl.truststore.location"), None, "{client}");
    }
    // Made again now, it cannot read the store, and says so.
    let again = Connection::new("b:1", &s);
    let e = again.untranslated().expect("the store is gone").to_string();
    assert!(e.contains("truststore.p12"), "{e}");
}
