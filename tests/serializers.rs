//! Serializers: kprod's bytes equal those of Kafka's Java serializers
//! (vectors made by tests/vectors/SerializerVectors.java), input that does
//! not fit a type is refused with the reason, and the composer sends what
//! its preview shows.

mod common;

use kprod::engine::serde::Serializer;

fn by_name(name: &str) -> Serializer {
    match name {
        "String" => Serializer::String,
        "Short" => Serializer::Short,
        "Integer" => Serializer::Integer,
        "Long" => Serializer::Long,
        "Double" => Serializer::Double,
        other => panic!("unknown type {other}"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const VECTORS: &str = include_str!("vectors/serializers.tsv");

#[test]
fn bytes_equal_kafkas_java_serializers() {
    let mut n = 0;
    for line in VECTORS.lines() {
        let mut cols = line.split('\t');
        let (ty, input, want) = (
            cols.next().unwrap(),
            cols.next().unwrap(),
            cols.next().unwrap_or(""),
        );
        let got = by_name(ty)
            .serialize(input.as_bytes())
            .unwrap_or_else(|e| panic!("{ty} {input}: {e}"));
        assert_eq!(hex(&got), want, "{ty} '{input}'");
        n += 1;
    }
    assert!(n >= 30, "vectors read: {n}");
}

#[test]
fn the_vectors_are_what_the_java_program_prints() {
    // Needs Java and the Kafka jars; the CI run has both.
    let libs =
        std::path::Path::new(&std::env::var("HOME").unwrap()).join(".cache/kprod/kafka-4.3.1/libs");
    let java = std::process::Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", libs.display()))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/SerializerVectors.java"
        ))
        .output();
    match java {
        Ok(out) if out.status.success() => {
            assert_eq!(String::from_utf8_lossy(&out.stdout), VECTORS)
        }
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "Java and the Kafka jars are needed in CI: {other:?}"
            );
            eprintln!("SKIPPED: Java or the Kafka jars are missing (.ci/run installs them)");
        }
    }
}

#[test]
fn bytes_json_and_files() {
    let s = |ser: Serializer, input: &str| ser.serialize(input.as_bytes()).map(|b| hex(&b));
    assert_eq!(s(Serializer::Hex, "de ad BE ef").unwrap(), "deadbeef");
    assert_eq!(s(Serializer::Hex, "0x00ff").unwrap(), "00ff");
    assert_eq!(s(Serializer::Hex, "").unwrap(), "");
    assert_eq!(s(Serializer::Base64, "3q2+7w==").unwrap(), "deadbeef");
    assert_eq!(
        s(Serializer::JsonCompact, "{ \"b\": 1,\n \"a\": [1, 2] }").unwrap(),
        hex(br#"{"b":1,"a":[1,2]}"#)
    );
    let typed = "{ \"b\": 1 }";
    assert_eq!(
        s(Serializer::JsonAsTyped, typed).unwrap(),
        hex(typed.as_bytes())
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob.bin");
    std::fs::write(&file, [0u8, 1, 2, 255]).unwrap();
    assert_eq!(
        s(Serializer::File, file.to_str().unwrap()).unwrap(),
        "000102ff"
    );
}

#[test]
fn input_that_does_not_fit_is_refused_with_the_reason() {
    let table = [
        (
            Serializer::Integer,
            "12x",
            "'12x' is not a whole number (Integer)",
        ),
        (
            Serializer::Integer,
            "",
            "a whole number is needed (Integer)",
        ),
        (
            Serializer::Integer,
            "2147483648",
            "2147483648 is out of range for Integer (-2147483648..2147483647)",
        ),
        (
            Serializer::Short,
            "70000",
            "70000 is out of range for Short (-32768..32767)",
        ),
        (
            Serializer::Long,
            "9223372036854775808",
            "out of range for Long",
        ),
        (Serializer::Long, "1.5", "not a whole number (Long)"),
        (Serializer::Double, "one", "'one' is not a number (Double)"),
        (Serializer::Hex, "abc", "an odd number of hex digits"),
        (Serializer::Hex, "zz", "'z' is not a hex digit"),
        (Serializer::Base64, "***", "not base64"),
        (Serializer::JsonCompact, "{\"a\": }", "invalid JSON"),
        (Serializer::JsonAsTyped, "[1, 2", "invalid JSON"),
        (
            Serializer::File,
            "/no/such/file",
            "cannot read /no/such/file",
        ),
        (Serializer::File, "", "type the path of a file"),
    ];
    for (ser, input, reason) in table {
        let err = ser
            .serialize(input.as_bytes())
            .expect_err(input)
            .to_string();
        assert!(err.contains(reason), "{} '{input}': {err}", ser.name());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_serializes_each_numbered_record_and_refuses_those_that_do_not_fit() {
    use kprod::engine::record::Draft;
    use kprod::engine::settings::Settings;
    use kprod::engine::{Command, Event};
    let (engine, mut rx) = common::embedded("demo", Settings::default());
    // {seq} as a Short: 0..=32767 fit, the rest must fail, not wrap.
    engine.send(Command::Burst {
        draft: Draft {
            topic: "demo".into(),
            key: Some(b"3276{seq}".to_vec()),
            key_serializer: Serializer::Short,
            value: Some(b"1.5".to_vec()),
            value_serializer: Serializer::Double,
            ..Default::default()
        },
        count: 10,
        rate: None,
        also: Vec::new(),
    });
    let events = common::until_reported(&mut rx, 10).await;
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut refused = Vec::new();
    for e in &events {
        match e {
            Event::Acked(a) => {
                assert_eq!(a.value.as_deref(), Some(&1.5f64.to_be_bytes()[..]));
                keys.push(a.key.clone().unwrap());
            }
            Event::Failed { code, message, .. } => refused.push((code.clone(), message.clone())),
            _ => {}
        }
    }
    keys.sort();
    let want: Vec<Vec<u8>> = (32760..=32767i16)
        .map(|k| k.to_be_bytes().to_vec())
        .collect();
    assert_eq!(keys, want);
    assert_eq!(refused.len(), 2, "32768 and 32769: {refused:?}");
    for (code, message) in refused {
        assert_eq!(code, "KEY_SERIALIZATION");
        assert!(
            message.contains("key as Short: 3276") && message.contains("out of range for Short"),
            "{message}"
        );
    }
}
