//! Settings: validation of every value a user can type, the Java-name to
//! librdkafka mapping, and the rules between settings.

use kprod::engine::settings::{spec, SettingError, Settings, SPECS};

#[test]
fn java_names_map_to_librdkafka_properties() {
    let table = [
        ("acks", "acks"),
        ("linger.ms", "queue.buffering.max.ms"),
        ("batch.size", "batch.size"),
        ("compression.type", "compression.codec"),
        ("enable.idempotence", "enable.idempotence"),
        ("retries", "message.send.max.retries"),
        ("retry.backoff.ms", "retry.backoff.ms"),
        (
            "request.timeout.ms",
            "request.timeout.ms + socket.timeout.ms",
        ),
        ("delivery.timeout.ms", "message.timeout.ms"),
        (
            "max.in.flight.requests.per.connection",
            "max.in.flight.requests.per.connection",
        ),
        ("buffer.memory", "queue.buffering.max.kbytes"),
        ("partitioner", "partitioner"),
        ("transactional.id", "transactional.id"),
        ("transaction.timeout.ms", "transaction.timeout.ms"),
    ];
    for (java, lib) in table {
        assert_eq!(
            spec(java).map(|s| s.maps_to()).as_deref(),
            Some(lib),
            "{java}"
        );
        // Each librdkafka name finds the same row, so one setting is one row.
        for name in lib.split(" + ") {
            assert_eq!(spec(name).map(|s| s.java), Some(java), "{name}");
        }
    }
    // The rest are kprod's own, and say so where the mapping is shown.
    let own: Vec<&str> = SPECS
        .iter()
        .filter(|s| s.maps_to() == "(kprod)")
        .map(|s| s.java)
        .collect();
    assert_eq!(own, ["max.block.ms", "partitioner.rules"]);
    assert_eq!(SPECS.len(), table.len() + own.len());
}

#[test]
fn kprods_own_partitioners_leave_librdkafka_on_murmur2_and_need_a_rule_file() {
    let mut s = Settings::default();
    assert_eq!(s.get("partitioner"), Some("java_default"));
    for p in ["java_default", "round_robin", "uniform_sticky"] {
        s.set("partitioner", p).unwrap();
        let cfg = s.client_config("b:1");
        assert_eq!(cfg.get("partitioner"), Some("murmur2_random"), "{p}");
        assert_eq!(
            cfg.get("partitioner.rules"),
            None,
            "kprod's own setting stays out"
        );
    }
    s.set("partitioner", "rules").unwrap();
    let err = s.check().unwrap_err().to_string();
    assert!(err.contains("needs a rule file"), "{err}");
    s.set("partitioner.rules", "/no/such/rules.txt").unwrap();
    let err = s.partitioner().unwrap_err().to_string();
    assert!(err.contains("cannot read /no/such/rules.txt"), "{err}");
}

#[test]
fn client_config_sets_every_setting_under_its_librdkafka_name() {
    let mut s = Settings::default();
    s.set("linger.ms", "50").unwrap();
    s.set("delivery.timeout.ms", "90000").unwrap();
    s.set("statistics.interval.ms", "1000").unwrap();
    let cfg = s.client_config("127.0.0.1:9092");
    assert_eq!(cfg.get("bootstrap.servers"), Some("127.0.0.1:9092"));
    assert_eq!(cfg.get("queue.buffering.max.ms"), Some("50"));
    assert_eq!(cfg.get("message.timeout.ms"), Some("90000"));
    assert_eq!(cfg.get("statistics.interval.ms"), Some("1000"));
    // Java defaults are set explicitly, not librdkafka's.
    assert_eq!(cfg.get("batch.size"), Some("16384"));
    assert_eq!(cfg.get("partitioner"), Some("murmur2_random"));
    assert_eq!(cfg.get("enable.idempotence"), Some("true"));
    // librdkafka itself accepts the whole set.
    cfg.create_native_config()
        .expect("librdkafka accepts the config");
}

#[test]
fn librdkafka_names_set_the_java_row() {
    let mut s = Settings::default();
    s.set("queue.buffering.max.ms", "20").unwrap();
    assert_eq!(s.get("linger.ms"), Some("20"));
    assert_eq!(s.extras().count(), 0);
}

#[test]
fn buffer_memory_is_bytes_and_librdkafka_gets_kib() {
    let mut s = Settings::default();
    // Java's default, 32 MiB, not librdkafka's 1 GiB.
    assert_eq!(s.get("buffer.memory"), Some("33554432"));
    let cfg = s.client_config("127.0.0.1:9092");
    assert_eq!(cfg.get("queue.buffering.max.kbytes"), Some("32768"));
    // A part of a KiB is a whole one: the queue is never smaller than asked.
    s.set("buffer.memory", "1000000").unwrap();
    let cfg = s.client_config("127.0.0.1:9092");
    assert_eq!(cfg.get("queue.buffering.max.kbytes"), Some("977"));
    cfg.create_native_config()
        .expect("librdkafka accepts the config");
    // librdkafka's name counts KiB and sets the Java row in bytes.
    s.set("queue.buffering.max.kbytes", "2048").unwrap();
    assert_eq!(s.get("buffer.memory"), Some("2097152"));
    assert_eq!(s.extras().count(), 0);
    for (name, value, why) in [
        ("buffer.memory", "1000", "between 1024 and"),
        ("buffer.memory", "32MB", "not a whole number"),
        ("queue.buffering.max.kbytes", "lots", "whole number of KiB"),
        (
            "queue.buffering.max.kbytes",
            "9223372036854775807",
            "whole number of KiB",
        ),
        ("queue.buffering.max.kbytes", "0", "between 1024 and"),
    ] {
        let err = s.set(name, value).unwrap_err().to_string();
        assert!(err.contains(why), "{name}={value}: {err}");
    }
    assert_eq!(
        s.get("buffer.memory"),
        Some("2097152"),
        "a refusal changes nothing"
    );
}

#[test]
fn good_values_are_accepted_and_normalised() {
    let table = [
        ("acks", "-1", "all"),
        ("acks", "ALL", "all"),
        ("acks", "0", "0"),
        ("acks", "1", "1"),
        ("linger.ms", " 0 ", "0"),
        ("linger.ms", "900000", "900000"),
        ("batch.size", "1", "1"),
        ("compression.type", "ZSTD", "zstd"),
        ("compression.type", "lz4", "lz4"),
        ("enable.idempotence", "False", "false"),
        ("retries", "0", "0"),
        ("partitioner", "consistent_random", "consistent_random"),
    ];
    for (name, value, want) in table {
        let mut s = Settings::default();
        s.set(name, value)
            .unwrap_or_else(|e| panic!("{name}={value}: {e}"));
        assert_eq!(s.get(name), Some(want), "{name}={value}");
    }
}

#[test]
fn bad_values_are_refused_with_a_reason() {
    let table = [
        ("acks", "7", "0, 1 or all"),
        ("acks", "", "0, 1 or all"),
        ("linger.ms", "-1", "between 0 and 900000"),
        ("linger.ms", "900001", "between 0 and 900000"),
        ("linger.ms", "1.5", "not a whole number"),
        ("batch.size", "abc", "not a whole number"),
        ("batch.size", "0", "between 1 and"),
        ("batch.size", "99999999999999999999999", "out of range"),
        ("batch.size", "", "a whole number is needed"),
        (
            "compression.type",
            "brotli",
            "one of none, gzip, snappy, lz4, zstd",
        ),
        ("enable.idempotence", "yes", "true or false"),
        ("retries", "-3", "between 0 and"),
        ("retry.backoff.ms", "0", "between 1 and"),
        ("request.timeout.ms", "ten", "not a whole number"),
        (
            "max.in.flight.requests.per.connection",
            "0",
            "between 1 and",
        ),
        (
            "partitioner",
            "sticky",
            "one of java_default, murmur2_random",
        ),
    ];
    for (name, value, reason) in table {
        let mut s = Settings::default();
        let before = s.clone();
        let err = s
            .set(name, value)
            .expect_err(&format!("{name}={value} must be refused"));
        let text = err.to_string();
        assert!(
            text.contains(reason),
            "{name}={value}: '{text}' lacks '{reason}'"
        );
        assert!(text.starts_with(name), "{text}");
        assert_eq!(s, before, "a refused value changes nothing");
    }
}

#[test]
fn unknown_librdkafka_properties_are_checked_by_librdkafka() {
    let mut s = Settings::default();
    s.set_pair("statistics.interval.ms=500").unwrap();
    assert_eq!(s.get("statistics.interval.ms"), Some("500"));

    // An unknown name is named once, without librdkafka's repeated tail.
    let err = s.set_pair("no.such.property=1").unwrap_err();
    assert_eq!(err, SettingError::Unknown("no.such.property".into()));
    assert_eq!(
        err.to_string().matches("no.such.property").count(),
        1,
        "{err}"
    );

    let err = s.set_pair("statistics.interval.ms=-5").unwrap_err();
    assert!(
        err.to_string()
            .ends_with("outside allowed range 0..86400000"),
        "{err}"
    );

    let err = s.set_pair("linger.ms").unwrap_err();
    assert_eq!(err, SettingError::Syntax("linger.ms".into()));
}

#[test]
fn java_settings_librdkafka_cannot_honour_are_refused_not_ignored() {
    for name in [
        "interceptor.classes",
        "partitioner.class",
        "bootstrap.servers",
    ] {
        let mut s = Settings::default();
        let err = s.set(name, "1").unwrap_err();
        assert!(
            matches!(
                err,
                SettingError::Unsupported { .. } | SettingError::Brokers(_)
            ),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("cannot be honoured"), "{err}");
    }
}

#[test]
fn a_transactional_id_makes_the_producer_idempotent_and_says_what_it_forces() {
    let mut s = Settings::default();
    assert_eq!(s.forced("enable.idempotence"), None);
    s.set("transactional.id", "payments-1").unwrap();
    s.set("transaction.timeout.ms", "30000").unwrap();
    assert_eq!(s.transactional_id(), Some("payments-1"));
    assert!(s.idempotent());
    let (value, why) = s.forced("enable.idempotence").unwrap();
    assert_eq!(value, "true");
    assert!(why.contains("transactional.id=payments-1"), "{why}");
    // librdkafka refuses message.timeout.ms above transaction.timeout.ms.
    let (value, why) = s.forced("delivery.timeout.ms").unwrap();
    assert_eq!(value, "30000");
    assert!(why.contains("transaction.timeout.ms"), "{why}");
    let cfg = s.client_config("localhost:9092");
    assert_eq!(cfg.get("message.timeout.ms"), Some("30000"));
    // And socket.timeout.ms above transaction.timeout.ms + 100.
    assert_eq!(cfg.get("socket.timeout.ms"), Some("30000"));
    s.set("transaction.timeout.ms", "10000").unwrap();
    let cfg = s.client_config("localhost:9092");
    assert_eq!(cfg.get("socket.timeout.ms"), Some("10100"));
    assert!(s.forced("request.timeout.ms").is_some());
    s.set("transaction.timeout.ms", "30000").unwrap();
    assert_eq!(cfg.get("transactional.id"), Some("payments-1"));
    assert!(s.check().is_ok());
    // The Java client refuses a transaction without idempotence; so does kprod.
    s.set("enable.idempotence", "false").unwrap();
    let err = s.check().unwrap_err().to_string();
    assert!(err.contains("needs enable.idempotence=true"), "{err}");
    // No id is no property: librdkafka would take an empty one as an id.
    let plain = Settings::default().client_config("localhost:9092");
    assert_eq!(plain.get("transactional.id"), None);
    let err = Settings::default()
        .set("transaction.timeout.ms", "10")
        .unwrap_err();
    assert!(err.to_string().contains("between 1000"), "{err}");
}

#[test]
fn rules_between_settings_are_enforced() {
    let conflict = |pairs: &[&str]| {
        let mut s = Settings::default();
        for p in pairs {
            s.set_pair(p).unwrap();
        }
        s.check().err().map(|e| e.to_string())
    };
    assert_eq!(conflict(&[]), None, "the defaults are consistent");

    let e = conflict(&["delivery.timeout.ms=30000", "linger.ms=10"]).unwrap();
    assert!(e.contains("delivery.timeout.ms (30000) must be at least linger.ms + request.timeout.ms (10 + 30000 = 30010)"), "{e}");
    assert_eq!(
        conflict(&["delivery.timeout.ms=30010", "linger.ms=10"]),
        None
    );

    let e = conflict(&["acks=1"]).unwrap();
    assert!(e.contains("enable.idempotence=true needs acks=all"), "{e}");
    assert_eq!(conflict(&["acks=1", "enable.idempotence=false"]), None);

    let e = conflict(&["max.in.flight.requests.per.connection=6"]).unwrap();
    assert!(e.contains("<= 5"), "{e}");

    let e = conflict(&["retries=0"]).unwrap();
    assert!(e.contains("retries > 0"), "{e}");
}

#[test]
fn changes_are_listed_for_the_log() {
    let before = Settings::default();
    let mut after = before.clone();
    after.set_pair("linger.ms=100").unwrap();
    after.set_pair("client.id=lab").unwrap();
    assert_eq!(
        after.changes_from(&before),
        vec!["linger.ms: 5 -> 100", "client.id: (unset) -> lab"]
    );
    after.reset("client.id");
    after.reset("linger.ms");
    assert_eq!(after, before);
}

#[test]
fn command_line_settings_are_validated_before_start() {
    use clap::Parser;
    let cli = kprod::cli::Cli::parse_from(["kprod", "-X", "acks=7"]);
    assert!(cli
        .common
        .settings()
        .unwrap_err()
        .to_string()
        .contains("acks"));
    let cli = kprod::cli::Cli::parse_from(["kprod", "-X", "acks=1"]);
    assert!(cli
        .common
        .settings()
        .unwrap_err()
        .to_string()
        .contains("needs acks=all"));
    let cli = kprod::cli::Cli::parse_from([
        "kprod",
        "-X",
        "acks=1",
        "-X",
        "enable.idempotence=false",
        "-X",
        "linger.ms=20",
    ]);
    assert_eq!(cli.common.settings().unwrap().get("linger.ms"), Some("20"));
}

#[test]
fn request_timeout_is_the_clients_wait_as_in_java() {
    // librdkafka's request.timeout.ms only goes to the broker; the client
    // waits socket.timeout.ms. The Java name means both.
    let mut s = Settings::default();
    s.set_pair("request.timeout.ms=1500").unwrap();
    let cfg = s.client_config("b:1");
    assert_eq!(cfg.get("request.timeout.ms"), Some("1500"));
    assert_eq!(cfg.get("socket.timeout.ms"), Some("1500"));
    // A value librdkafka's socket.timeout.ms cannot take is refused.
    assert!(s.set_pair("request.timeout.ms=400000").is_err());
}

#[test]
fn the_rule_file_and_the_statistics_interval_are_read_typed() {
    let mut s = Settings::default();
    assert_eq!(s.rules_file(), None, "an empty path names no file");
    assert_eq!(
        s.statistics_interval_ms(),
        kprod::engine::stats::INTERVAL_MS
    );
    s.use_rules("/tmp/rules.txt").unwrap();
    assert_eq!(s.rules_file(), Some("/tmp/rules.txt"));
    assert_eq!(s.get("partitioner"), Some("rules"));
    s.set("statistics.interval.ms", "0").unwrap();
    assert_eq!(s.statistics_interval_ms(), 0, "0 is off, not the default");
}

/// The "defaults of" presets (concept 22): Kafka 2.8 against 3.0 differ
/// in acks and idempotence, 4.0 in linger.ms, and librdkafka's are what the
/// library itself reports, in the settings' own terms. Every preset can be
/// applied as it stands.
#[test]
fn defaults_of_java_releases_and_of_librdkafka() {
    use kprod::engine::settings::Defaults;
    let of = |d: Defaults, name: &str| d.of(spec(name).unwrap());
    assert_eq!(of(Defaults::Java, "acks"), "all");
    assert_eq!(of(Defaults::Java, "linger.ms"), "5");
    assert_eq!(of(Defaults::Java3, "linger.ms"), "0");
    assert_eq!(of(Defaults::Java3, "enable.idempotence"), "true");
    assert_eq!(of(Defaults::Java28, "acks"), "1");
    assert_eq!(of(Defaults::Java28, "enable.idempotence"), "false");
    assert_eq!(of(Defaults::Java28, "batch.size"), "16384");
    for (name, value) in [
        ("acks", "all"),
        ("linger.ms", "5"),
        ("batch.size", "1000000"),
        ("enable.idempotence", "false"),
        ("partitioner", "consistent_random"),
        ("delivery.timeout.ms", "300000"),
        ("max.in.flight.requests.per.connection", "1000000"),
        // queue.buffering.max.kbytes 1048576, as bytes.
        ("buffer.memory", "1073741824"),
        ("partitioner.rules", ""),
    ] {
        assert_eq!(of(Defaults::Librdkafka, name), value, "{name}");
    }
    let mut d = Defaults::default();
    for _ in 0..4 {
        let mut s = Settings::default();
        d.apply_to(&mut s).unwrap();
        s.check().unwrap_or_else(|e| panic!("{}: {e}", d.name()));
        for spec in SPECS {
            assert_eq!(s.get(spec.java).unwrap(), d.of(spec), "{}", d.name());
        }
        d = d.next();
    }
    assert_eq!(d, Defaults::Java, "round");
}
