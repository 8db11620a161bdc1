//! Apicurio Registry for tests, through scripts/apicurio.sh: one registry
//! per test binary, stopped when the test process ends. Outside CI a
//! missing Java 21+ or Apicurio skips the test, saying why; in CI it fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/apicurio.sh")
}

fn run(args: &[&str]) -> Result<String, String> {
    let out = Command::new("bash")
        .arg(script())
        .args(args)
        .env("APICURIO_SH_OWNER_PID", std::process::id().to_string())
        .output()
        .map_err(|e| format!("cannot run scripts/apicurio.sh: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "scripts/apicurio.sh {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The URL of the Confluent-compatible API of the registry this test
/// binary shares, or None (outside CI) when it cannot run here.
pub fn shared(test: &str) -> Option<&'static str> {
    static SHARED: OnceLock<Result<String, String>> = OnceLock::new();
    let why = run(&["java"]).and_then(|_| run(&["fetch"])).err();
    if let Some(why) = why {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: Apicurio Registry is needed in CI: {why}"
        );
        eprintln!("SKIPPED {test}: {why} (.ci/run installs and fetches what is needed)");
        return None;
    }
    let url = SHARED.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kprod-apicurio-{}", std::process::id()));
        run(&["start", dir.to_str().unwrap()])
            .map(|out| out.lines().last().unwrap_or("").trim().to_string())
    });
    match url {
        Ok(u) => Some(u.as_str()),
        Err(e) => panic!("{test}: {e}"),
    }
}

/// The shared registry's HTTPS URL and the PEM of the CA that signed its
/// certificate, as scripts/apicurio.sh wrote them in DIR/tls.env.
pub fn shared_tls(test: &str) -> Option<(String, String)> {
    shared(test)?;
    let dir = std::env::temp_dir().join(format!("kprod-apicurio-{}", std::process::id()));
    let env = std::fs::read_to_string(dir.join("tls.env"))
        .unwrap_or_else(|e| panic!("{test}: no tls.env beside the registry: {e}"));
    let get = |key: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{test}: tls.env has no {key}"))
            .to_string()
    };
    Some((get("HTTPS_URL"), get("CA")))
}
