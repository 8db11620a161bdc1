//! confluent-kafka's deserializers, from the virtualenv .ci/run makes: an
//! independent reading of what kprod's schema serializers wrote.
#![allow(dead_code)]

/// The Python of the confluent-kafka virtualenv tests/vectors/schema_vectors.sh
/// makes (.ci/run makes it), or None outside CI when there is none.
pub fn confluent_python(test: &str) -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("KPROD_CONFLUENT_VENV")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::Path::new(&h).join(".cache/kprod/confluent-venv"))
        })?;
    let python = venv.join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import confluent_kafka, grpc_tools"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: confluent-kafka's virtualenv is needed in CI ({})",
            venv.display()
        );
        eprintln!("SKIPPED {test}: no confluent-kafka virtualenv at {} (bash tests/vectors/schema_vectors.sh makes it)", venv.display());
        return None;
    }
    Some(python)
}

/// `records` decoded by confluent-kafka's deserializer for `format`.
pub fn confluent_decoded(
    python: &std::path::Path,
    url: &str,
    format: &str,
    topic: &str,
    records: &[Vec<u8>],
) -> Vec<serde_json::Value> {
    let hexed: Vec<String> = records
        .iter()
        .map(|r| r.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let out = std::process::Command::new(python)
        .arg(format!(
            "{}/tests/vectors/deserialize.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args([url, format, topic])
        .args(&hexed)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
