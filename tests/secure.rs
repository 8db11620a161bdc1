//! kprod on a secured Apache Kafka (scripts/kafka.sh start-secure): SASL_SSL
//! with SCRAM-SHA-512, SSL with a client certificate and SASL_PLAINTEXT with
//! PLAIN, each from a Java client.properties used unchanged, each verified
//! by reading back through the same secured listener; and the failures a
//! user meets first, a wrong password and an untrusted certificate, said
//! plainly with a non-zero exit.

mod common;

use common::kafka::Secure;

/// kprod produce's exit code, and everything it printed (events and stderr).
fn produce(args: &[&str]) -> (i32, String) {
    let (code, events, stderr) = common::produce(args, "");
    let mut out: String = events.iter().map(|e| format!("{e}\n")).collect();
    out.push_str(&stderr);
    (code, out)
}

/// One JSON event of kprod produce's output, by name.
fn event(out: &str, name: &str) -> Option<serde_json::Value> {
    out.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["name"] == name)
}

fn produces_and_verifies(kind: &str, listener: &str, topic: &str) {
    let Some(s) = Secure::shared(kind) else {
        return;
    };
    let config = s.properties(kind);
    let (code, out) = produce(&[
        "-b",
        s.get(listener),
        "-t",
        topic,
        "--producer.config",
        config.to_str().unwrap(),
        "--count",
        "50",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{out}");
    let summary = event(&out, "verification_summary").expect("verified");
    assert_eq!(summary["acked"], 50, "{out}");
    assert_eq!(
        summary["read_back"], 50,
        "read back through {listener}: {out}"
    );
    assert_eq!(summary["missing"], 0, "{out}");
    // Secrets from the file are never printed.
    for secret in [
        s.get("PASSWORD"),
        s.get("STORE_PASSWORD"),
        s.get("OAUTH_SECRET"),
    ] {
        assert!(!out.contains(secret), "a secret in the output: {out}");
    }
}

#[test]
fn sasl_ssl_with_scram_from_a_java_client_properties() {
    produces_and_verifies("sasl-ssl-scram", "SASL_SSL", "secure-scram");
}

/// OAUTHBEARER with the client-credentials grant, as a Java client's
/// OAuthBearerLoginModule and OAuthBearerLoginCallbackHandler ask for it:
/// librdkafka fetches the token from the endpoint, and the broker checks
/// its signature against the provider's keys.
#[test]
fn sasl_ssl_with_oauthbearer_client_credentials_from_a_java_client_properties() {
    produces_and_verifies("sasl-ssl-oauth", "SASL_SSL", "secure-oauth");
}

/// A client secret the token endpoint refuses: said in the endpoint's own
/// words within seconds, with a non-zero exit, not as a timeout.
#[test]
fn a_wrong_client_secret_is_said_in_the_token_endpoints_words() {
    let Some(s) = Secure::shared("wrong client secret") else {
        return;
    };
    let (code, out) = with_edited(s, "sasl-ssl-oauth", "SASL_SSL", &[], |t| {
        t.replace(s.get("OAUTH_SECRET"), "not-the-secret")
    });
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("invalid_client"),
        "the endpoint's words: {out}"
    );
    // Failed for the refusal, as a Java producer fails without its login,
    // not left to delivery.timeout.ms.
    assert!(
        out.contains("\"exception\":\"SASL_AUTHENTICATION_FAILED\""),
        "{out}"
    );
    assert!(!out.contains("MESSAGE_TIMED_OUT"), "{out}");
    assert!(!out.contains("not-the-secret"), "{out}");
}

#[test]
fn ssl_with_a_client_certificate_from_a_java_client_properties() {
    produces_and_verifies("ssl", "SSL", "secure-ssl");
}

#[test]
fn sasl_plaintext_with_plain_from_a_java_client_properties() {
    produces_and_verifies("sasl-plaintext-plain", "SASL_PLAINTEXT", "secure-plain");
}

/// Runs kprod produce with `config`'s settings altered by `edit`, and
/// returns its exit code and output.
fn with_edited(
    s: &Secure,
    kind: &str,
    listener: &str,
    extra: &[&str],
    edit: impl Fn(&str) -> String,
) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(s.properties(kind)).unwrap();
    let path = dir.path().join("client.properties");
    std::fs::write(&path, edit(&text)).unwrap();
    let mut args = vec![
        "-b",
        s.get(listener),
        "--producer.config",
        path.to_str().unwrap(),
        "--count",
        "1",
    ];
    args.extend(extra);
    produce(&args)
}

#[test]
fn a_wrong_password_is_said_plainly_and_exits_non_zero() {
    let Some(s) = Secure::shared("wrong password") else {
        return;
    };
    // delivery.timeout.ms as it is (2 minutes): the record must fail for
    // the refusal, as a Java send does, not for running out of time.
    let (code, out) = with_edited(s, "sasl-ssl-scram", "SASL_SSL", &[], |t| {
        t.replace(s.get("PASSWORD"), "not-the-password")
    });
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("\"exception\":\"SASL_AUTHENTICATION_FAILED\""),
        "failed for the refusal: {out}"
    );
    assert!(
        out.contains("Authentication failed"),
        "the broker's reason: {out}"
    );
    assert!(!out.contains("not-the-password"), "{out}");
}

#[test]
fn a_wrong_password_shows_beside_the_init_transactions_timeout() {
    let Some(s) = Secure::shared("wrong password, transactional") else {
        return;
    };
    // init_transactions says only that it timed out; the refusal came
    // through the error callback, and kprod shows it beside the timeout.
    let txn = [
        "-X",
        "transactional.id=kprod-secure-txn",
        "-X",
        "transaction.timeout.ms=10000",
        "--transaction-size",
        "1",
    ];
    let (code, out) = with_edited(s, "sasl-ssl-scram", "SASL_SSL", &txn, |t| {
        t.replace(s.get("PASSWORD"), "not-the-password")
    });
    assert_ne!(code, 0, "{out}");
    let ready = out
        .lines()
        .find(|l| l.contains("\"transactions_ready\""))
        .unwrap_or_else(|| panic!("no transactions_ready: {out}"));
    assert!(ready.contains("TIMED_OUT"), "{ready}");
    assert!(
        ready.contains("the client's last error: AUTHENTICATION"),
        "{ready}"
    );
    assert!(!out.contains("not-the-password"), "{out}");
}

#[test]
fn an_untrusted_broker_certificate_is_said_plainly_and_exits_non_zero() {
    let Some(s) = Secure::shared("untrusted certificate") else {
        return;
    };
    // Trust a CA the broker's certificate was not signed by.
    let quick = [
        "-X",
        "delivery.timeout.ms=15000",
        "-X",
        "request.timeout.ms=5000",
    ];
    let (code, out) = with_edited(s, "sasl-ssl-scram", "SASL_SSL", &quick, |t| {
        t.lines()
            .filter(|l| !l.starts_with("ssl.truststore."))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            + &format!(
                "ssl.truststore.location={}\nssl.truststore.type=PEM\n",
                s.get("OTHER_CA")
            )
    });
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("certificate verify failed"),
        "OpenSSL's reason: {out}"
    );
}

/// A fault through kprod's proxy on the SASL_PLAINTEXT listener, the way a
/// user makes one: the producer's login passes through the proxy, the ack
/// is lost, the producer times out and resends, and the record is read
/// back. `kind` is the Java client.properties, `edit` what the user changed.
fn a_lost_ack_through_the_proxy(kind: &str, topic: &str, edit: impl Fn(&str) -> String) {
    let Some(s) = Secure::shared(topic) else {
        return;
    };
    let extra = [
        "-t",
        topic,
        "--proxy",
        "--fault",
        "lose-acks 1",
        "-X",
        "request.timeout.ms=2000",
    ];
    let (code, out) = with_edited(s, kind, "SASL_PLAINTEXT", &extra, edit);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("its response will be dropped"), "{out}");
    assert!(
        out.contains("proxy: passes SASL_PLAINTEXT through; its own requests (leader moves) log in to the cluster as the producer does"),
        "the proxy's own login: {out}"
    );
    let summary = event(&out, "verification_summary").expect("verified");
    assert_eq!(summary["acked"], 1, "{out}");
    assert_eq!(summary["missing"], 0, "{out}");
    assert!(
        out.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|v| v["name"] == "producer_request" && v["outcome"] == "timed_out"),
        "the lost ack timed out: {out}"
    );
    assert!(!out.contains(s.get("PASSWORD")), "{out}");
}

#[test]
fn a_fault_through_the_proxy_on_sasl_plaintext_with_plain() {
    a_lost_ack_through_the_proxy("sasl-plaintext-plain", "secure-proxy-plain", |t| {
        t.to_string()
    });
}

#[test]
fn a_fault_through_the_proxy_on_sasl_plaintext_with_scram_sha_512() {
    // The SASL_SSL file pointed at the SASL_PLAINTEXT listener: the same
    // SCRAM login without TLS.
    a_lost_ack_through_the_proxy("sasl-ssl-scram", "secure-proxy-scram", |t| {
        t.replace(
            "security.protocol=SASL_SSL",
            "security.protocol=SASL_PLAINTEXT",
        )
    });
}

#[test]
fn the_proxy_refuses_tls_and_says_what_to_do_instead() {
    let Some(s) = Secure::shared("proxy on SASL_SSL") else {
        return;
    };
    let (code, out) = with_edited(
        s,
        "sasl-ssl-scram",
        "SASL_SSL",
        &["-t", "secure-proxy-tls", "--proxy"],
        |t| t.to_string(),
    );
    assert_eq!(code, 0, "the records go straight to the cluster: {out}");
    assert!(
        out.contains("kprod's proxy cannot stand in a SASL_SSL connection")
            && out.contains("SASL_PLAINTEXT or PLAINTEXT listener")
            && out.contains("the producer goes straight to the cluster"),
        "{out}"
    );
}

#[test]
fn the_proxys_own_login_with_a_wrong_password_is_refused_in_words() {
    let Some(s) = Secure::shared("proxy wrong password") else {
        return;
    };
    let (code, out) = with_edited(
        s,
        "sasl-ssl-scram",
        "SASL_PLAINTEXT",
        &["-t", "secure-proxy-refused", "--proxy"],
        |t| {
            t.replace(
                "security.protocol=SASL_SSL",
                "security.protocol=SASL_PLAINTEXT",
            )
            .replace(s.get("PASSWORD"), "not-the-password")
        },
    );
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("kprod's proxy could not log in to the cluster for its own requests: the cluster refused SCRAM-SHA-512 as alice"),
        "{out}"
    );
    assert!(!out.contains("not-the-password"), "{out}");
}

#[test]
fn a_fault_through_the_proxy_on_sasl_plaintext_with_scram_sha_256() {
    a_lost_ack_through_the_proxy("sasl-ssl-scram", "secure-proxy-scram-256", |t| {
        t.replace(
            "security.protocol=SASL_SSL",
            "security.protocol=SASL_PLAINTEXT",
        )
        .replace(
            "sasl.mechanism=SCRAM-SHA-512",
            "sasl.mechanism=SCRAM-SHA-256",
        )
    });
}
