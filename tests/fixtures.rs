//! Config files a user writes, loaded as kprod loads them: every file in
//! tests/fixtures/valid/ loads, and every file in tests/fixtures/invalid/
//! is refused with exactly the message in its `.expected` twin (where
//! `{file}` stands for the file's path).

use clap::Parser;
use kprod::cli::Cli;
use kprod::ui::theme::Theme;
use std::path::{Path, PathBuf};

/// Loads one fixture as a user's file of its kind is loaded.
fn load(kind: &str, file: &Path) -> Result<(), String> {
    let path = file.to_str().expect("fixture paths are UTF-8");
    match kind {
        "themes" => Theme::load(Some(file)).map(drop),
        "properties" => Cli::try_parse_from(["kprod", "--producer.config", path])
            .map_err(|e| e.to_string())?
            .common
            .settings()
            .map(drop),
        "rules" => {
            let rules = format!("partitioner.rules={path}");
            Cli::try_parse_from(["kprod", "-X", "partitioner=rules", "-X", &rules])
                .map_err(|e| e.to_string())?
                .common
                .settings()
                .map(drop)
        }
        // As --profile reads profiles.toml, every profile in it checked.
        "profiles" => kprod::profile::load(file)
            .map(drop)
            .map_err(|e| e.to_string()),
        other => panic!("no loader for fixtures of kind {other}"),
    }
}

/// The fixtures of one side (valid or invalid), as (kind, file), without
/// the `.expected` files.
fn fixtures(side: &str) -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(side);
    let mut out = Vec::new();
    for kind in std::fs::read_dir(&root).unwrap() {
        let kind = kind.unwrap();
        let name = kind.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(kind.path()).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "expected") {
                continue;
            }
            out.push((name.clone(), file));
        }
    }
    out.sort();
    out
}

#[test]
fn every_valid_config_loads() {
    let files = fixtures("valid");
    for kind in ["themes", "properties", "rules", "profiles"] {
        assert!(
            files.iter().any(|(k, _)| k == kind),
            "no valid {kind} fixture"
        );
    }
    for (kind, file) in files {
        if let Err(e) = load(&kind, &file) {
            panic!("{} was refused: {e}", file.display());
        }
    }
}

#[test]
fn every_invalid_config_is_refused_with_its_message() {
    let files = fixtures("invalid");
    for kind in ["themes", "properties", "rules", "profiles"] {
        assert!(
            files.iter().any(|(k, _)| k == kind),
            "no invalid {kind} fixture"
        );
    }
    let mut wrong = Vec::new();
    for (kind, file) in files {
        let expected_file = PathBuf::from(format!("{}.expected", file.display()));
        let expected = std::fs::read_to_string(&expected_file)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_file.display()))
            .trim_end()
            .replace("{file}", &file.display().to_string());
        match load(&kind, &file) {
            Ok(()) => wrong.push(format!("{} was accepted", file.display())),
            Err(e) if e.trim_end() != expected => wrong.push(format!(
                "{}\n  said:     {e}\n  expected: {expected}",
                file.display()
            )),
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
