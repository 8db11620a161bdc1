//! Connection profiles: named environments (brokers, security, a default
//! topic, default producer settings) in one TOML file in kprod's config
//! directory, with every secret named by where it comes from (an
//! environment variable, or a masked prompt at start) and never kept in the
//! file itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::engine::settings::is_secret;

/// One environment kprod connects to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Brokers, as -b takes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<String>,
    /// The topic records go to unless -t says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// A Java client.properties file, read as --producer.config reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<PathBuf>,
    /// Producer and security settings, by Java or librdkafka name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
    /// Where each secret setting's value comes from.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Secret>,
}

/// Where a secret comes from: `{ env = "NAME" }` or `"prompt"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Secret {
    Env { env: String },
    Ask(Ask),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ask {
    Prompt,
}

#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("cannot read {path}: {why}")]
    Unreadable { path: PathBuf, why: std::io::Error },
    #[error("{path}: {why}")]
    Syntax { path: PathBuf, why: String },
    #[error("{path}: profile '{profile}' holds {name} in plain text; a secret is not kept in the file: write it under [{profile}.secrets] as {name} = {{ env = \"VARIABLE\" }} or {name} = \"prompt\"")]
    SecretInFile {
        path: PathBuf,
        profile: String,
        name: String,
    },
    #[error("{path}: profile '{profile}': [{profile}.secrets] names {name}, which is no secret: put it under [{profile}.settings]")]
    NotASecret {
        path: PathBuf,
        profile: String,
        name: String,
    },
    #[error("no profile '{name}'{known}")]
    Unknown { name: String, known: String },
    #[error(
        "profile '{profile}': {name} comes from the environment variable {var}, which is not set"
    )]
    Unset {
        profile: String,
        name: String,
        var: String,
    },
    #[error("profile '{profile}': {name} is asked for at start, but {why}; set it through {{ env = \"VARIABLE\" }} instead")]
    CannotAsk {
        profile: String,
        name: String,
        why: String,
    },
    #[error("cannot write {path}: {why}")]
    Unwritable { path: PathBuf, why: std::io::Error },
}

/// Where profiles are kept: profiles.toml in kprod's config directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kprod").map(|d| d.config_dir().join("profiles.toml"))
}

/// Every profile in `path` by name; none if the file does not exist.
pub fn load(path: &Path) -> Result<BTreeMap<String, Profile>, ProfileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(why) => {
            return Err(ProfileError::Unreadable {
                path: path.into(),
                why,
            })
        }
    };
    let profiles: BTreeMap<String, Profile> =
        toml::from_str(&text).map_err(|e| ProfileError::Syntax {
            path: path.into(),
            why: e.message().trim().replace('\n', ": ") + &line_of(&text, e.span()),
        })?;
    for (name, p) in &profiles {
        if let Some(secret) = p.settings.keys().find(|k| is_secret(k)) {
            return Err(ProfileError::SecretInFile {
                path: path.into(),
                profile: name.clone(),
                name: secret.clone(),
            });
        }
        if let Some(plain) = p.secrets.keys().find(|k| !is_secret(k)) {
            return Err(ProfileError::NotASecret {
                path: path.into(),
                profile: name.clone(),
                name: plain.clone(),
            });
        }
    }
    Ok(profiles)
}

/// Where in the file a TOML error is, as "(line N)".
fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(s) => format!(
            " (line {})",
            text[..s.start.min(text.len())].matches('\n').count() + 1
        ),
        None => String::new(),
    }
}

/// The profile named `name` in `path`.
pub fn find(path: &Path, name: &str) -> Result<Profile, ProfileError> {
    let mut all = load(path)?;
    all.remove(name).ok_or_else(|| {
        let known = if all.is_empty() {
            format!(" ({} has none)", path.display())
        } else {
            let list: Vec<&str> = all.keys().map(String::as_str).collect();
            format!(": {} has {}", path.display(), list.join(", "))
        };
        ProfileError::Unknown {
            name: name.into(),
            known,
        }
    })
}

impl Profile {
    /// The secret settings' values: from the environment (`env`), or asked
    /// for (`ask`, given the prompt's text) for those marked prompt.
    pub fn secrets(
        &self,
        profile: &str,
        env: impl Fn(&str) -> Option<String>,
        mut ask: impl FnMut(&str) -> Result<String, String>,
    ) -> Result<Vec<(String, String)>, ProfileError> {
        let mut out = Vec::new();
        for (name, from) in &self.secrets {
            let value = match from {
                Secret::Env { env: var } => env(var).ok_or_else(|| ProfileError::Unset {
                    profile: profile.into(),
                    name: name.clone(),
                    var: var.clone(),
                })?,
                Secret::Ask(Ask::Prompt) => ask(&format!("{name} for profile '{profile}': "))
                    .map_err(|why| ProfileError::CannotAsk {
                        profile: profile.into(),
                        name: name.clone(),
                        why,
                    })?,
            };
            out.push((name.clone(), value));
        }
        Ok(out)
    }
}

/// Writes `profiles` to `path` (for profiles made or edited in the console):
/// secrets stay references, so the file never holds one.
pub fn save(path: &Path, profiles: &BTreeMap<String, Profile>) -> Result<(), ProfileError> {
    let unwritable = |why| ProfileError::Unwritable {
        path: path.into(),
        why,
    };
    for (name, p) in profiles {
        if let Some(secret) = p.settings.keys().find(|k| is_secret(k)) {
            return Err(ProfileError::SecretInFile {
                path: path.into(),
                profile: name.clone(),
                name: secret.clone(),
            });
        }
    }
    let text = toml::to_string_pretty(profiles)
        .map_err(|e| unwritable(std::io::Error::other(e.to_string())))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(unwritable)?;
    }
    let header = "# kprod's connection profiles (kprod --profile NAME). Secrets are never\n# kept here: each is { env = \"VARIABLE\" } or \"prompt\" under [NAME.secrets].\n\n";
    std::fs::write(path, format!("{header}{text}")).map_err(unwritable)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[staging]
bootstrap = "kafka-1.staging:9093,kafka-2.staging:9093"
topic = "orders"
properties = "/etc/qa/staging.properties"

[staging.settings]
"security.protocol" = "SASL_SSL"
"sasl.mechanism" = "SCRAM-SHA-512"
"sasl.username" = "qa"
acks = "all"

[staging.secrets]
"sasl.password" = { env = "STAGING_KAFKA_PASSWORD" }
"ssl.key.password" = "prompt"

[local]
bootstrap = "127.0.0.1:9092"
"#;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profiles.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn profiles_are_read_and_secrets_come_from_where_they_say() {
        let (_dir, path) = write(FILE);
        let all = load(&path).unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["local", "staging"]);
        let p = find(&path, "staging").unwrap();
        assert_eq!(p.topic.as_deref(), Some("orders"));
        assert_eq!(p.settings["sasl.mechanism"], "SCRAM-SHA-512");
        let mut asked = Vec::new();
        let secrets = p
            .secrets(
                "staging",
                |var| (var == "STAGING_KAFKA_PASSWORD").then(|| "from-env".to_string()),
                |prompt| {
                    asked.push(prompt.to_string());
                    Ok("typed".into())
                },
            )
            .unwrap();
        assert_eq!(
            secrets,
            [
                ("sasl.password".to_string(), "from-env".to_string()),
                ("ssl.key.password".to_string(), "typed".to_string())
            ]
        );
        assert_eq!(asked, ["ssl.key.password for profile 'staging': "]);
        let e = p
            .secrets("staging", |_| None, |_| Ok(String::new()))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("STAGING_KAFKA_PASSWORD, which is not set"),
            "{e}"
        );
    }

    #[test]
    fn a_secret_written_into_the_file_is_refused_and_named() {
        let (_dir, path) = write("[x.settings]\n\"sasl.password\" = \"hunter2\"\n");
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("holds sasl.password in plain text"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let (_dir, path) = write("[x.secrets]\nacks = \"prompt\"\n");
        assert!(load(&path)
            .unwrap_err()
            .to_string()
            .contains("acks, which is no secret"));
    }

    #[test]
    fn bad_files_and_names_say_what_is_wrong() {
        let (_dir, path) = write("[x]\nbootstrap = 9092\n");
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        let (_dir, path) = write("[x]\nbootstrp = \"a:1\"\n");
        assert!(load(&path).unwrap_err().to_string().contains("bootstrp"));
        let (_dir, path) = write(FILE);
        let e = find(&path, "prod").unwrap_err().to_string();
        assert!(
            e.contains("no profile 'prod'") && e.contains("local, staging"),
            "{e}"
        );
        let missing = path.with_file_name("none.toml");
        assert!(load(&missing).unwrap().is_empty());
    }

    #[test]
    fn a_saved_profile_keeps_secret_references_and_reads_back_the_same() {
        let (_dir, path) = write(FILE);
        let all = load(&path).unwrap();
        let out = path.with_file_name("saved.toml");
        save(&out, &all).unwrap();
        assert_eq!(load(&out).unwrap(), all);
        let mut bad = all.clone();
        bad.get_mut("local")
            .unwrap()
            .settings
            .insert("ssl.keystore.password".into(), "pw".into());
        assert!(save(&out, &bad).is_err());
    }
}
